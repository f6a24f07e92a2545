import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR, DiscoveryModule, ModulesContainer } from '@nestjs/core';
import { OsoGlobalGuard } from '../http/oso-global.guard.js';
import { OsoGlobalInterceptor } from '../http/oso-global.interceptor.js';
import { OSO_CALL_AUTHORIZER, OSO_ENGINE } from './oso.constants.js';
import {
  ConfigurableOsoModule,
  OSO_ASYNC_OPTIONS_TYPE,
  OSO_MODULE_OPTIONS,
  OSO_OPTIONS_TYPE,
} from './oso.module-definition.js';
import type { OsoModuleOptions, PolarClassRegistration } from './oso-module-options.interface.js';
import { OSO_ENGINE_PROVIDERS, osoFeatureModule } from './oso.providers.js';
import { OsoService } from '../authorization/oso.service.js';
import { OsoPolicyReloader } from '../policy/policy-reloader.service.js';
import { OsoRequestPipeline } from '../http/request-pipeline.service.js';
import { OsoRouteAuthorizer } from '../http/route-authorizer.service.js';
import { OsoRouteExplorer } from '../http/route-explorer.service.js';

/**
 * Oso authorization for a Nest app: loads the Polar policy once at startup (a broken policy stops the app),
 * provides `OsoService`, and installs the global guard that makes `@Authorize()`, `@SkipAuthorization()` and
 * `routeAuthorization` work, plus a global interceptor when `requireAuthorization` (or a route whose check must
 * wait for a later guard) needs one. Global by default.
 *
 * @example
 * @Module({ imports: [OsoModule.forRoot(join(import.meta.dirname, 'policy'))] })
 * export class AppModule {}
 * @publicApi
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    ...OSO_ENGINE_PROVIDERS,
    OsoService,
    OsoPolicyReloader,
    OsoRouteAuthorizer,
    { provide: OSO_CALL_AUTHORIZER, useExisting: OsoRouteAuthorizer },
    OsoRouteExplorer,
    {
      provide: OsoRequestPipeline,
      useFactory: (options: OsoModuleOptions, modules: ModulesContainer) =>
        OsoRequestPipeline.analyze(options, modules, OsoGlobalGuard),
      inject: [OSO_MODULE_OPTIONS, ModulesContainer],
    },
    { provide: APP_GUARD, useClass: OsoGlobalGuard },
    // Only when something needs it: a factory that gives nothing installs no interceptor (see OsoRequestPipeline).
    {
      provide: APP_INTERCEPTOR,
      useFactory: (pipeline: OsoRequestPipeline, routes: OsoRouteAuthorizer, options: OsoModuleOptions) =>
        pipeline.interceptorInstalled ? new OsoGlobalInterceptor(routes, options) : null,
      inject: [OsoRequestPipeline, OsoRouteAuthorizer, OSO_MODULE_OPTIONS],
    },
  ],
  exports: [OsoService, OSO_ENGINE, OsoRouteAuthorizer, OSO_CALL_AUTHORIZER, OSO_MODULE_OPTIONS, OsoPolicyReloader],
})
export class OsoModule extends ConfigurableOsoModule {
  /**
   * Configures the module with a policy folder, or with full options.
   *
   * @example
   * OsoModule.forRoot('policy')
   * OsoModule.forRoot({ policyDir: 'policy', classes: [User], requireAuthorization: true })
   */
  static override forRoot(policyDirOrOptions: string | typeof OSO_OPTIONS_TYPE): DynamicModule {
    return super.forRoot(
      typeof policyDirOrOptions === 'string' ? { policyDir: policyDirOrOptions } : policyDirOrOptions,
    );
  }

  /**
   * Configures the module from other providers (`useFactory` with `inject`, `useClass` or `useExisting`).
   *
   * @example
   * OsoModule.forRootAsync({ inject: [ConfigService], useFactory: (config: ConfigService) => ({ policyDir: config.get('POLICY_DIR') }) })
   */
  static override forRootAsync(options: typeof OSO_ASYNC_OPTIONS_TYPE): DynamicModule {
    return super.forRootAsync(options);
  }

  /**
   * Declares the Polar classes of a feature module (its entities, usually decorated with `@PolarClass()`), as
   * `TypeOrmModule.forFeature()` declares repositories. The app's `OsoModule.forRoot()` registers the classes of
   * every `forFeature()` in the app with those of its `classes` option; other apps in the process never see them.
   *
   * @example
   * @Module({ imports: [OsoModule.forFeature([Expense, Organization])], controllers: [ExpensesController] })
   * export class ExpensesModule {}
   */
  static forFeature(classes: Array<Type<unknown> | PolarClassRegistration>): DynamicModule {
    return osoFeatureModule(classes);
  }
}
