import { Inject, Injectable, type ExecutionContext } from '@nestjs/common';
import { authorizationStateOf } from '../authorization/authorization-state.js';
import { OsoGuard } from './oso.guard.js';
import { OSO_MODULE_OPTIONS } from '../module/oso.module-definition.js';
import type { OsoModuleOptions } from '../module/oso-module-options.interface.js';
import { OsoPolicyReloader } from '../policy/policy-reloader.service.js';
import { OsoRequestPipeline } from './request-pipeline.service.js';
import { OsoRouteAuthorizer } from './route-authorizer.service.js';

/**
 * The `OsoGuard` that `OsoModule` installs for the whole app, so `@Authorize()` never silently does nothing.
 * Global guards run before a controller's own guards, so when it sees no actor yet on a route where a later guard
 * may still set one (an authentication guard on the controller), it leaves the check to that route's own
 * `OsoGuard` or to `OsoGlobalInterceptor`, which runs after every guard (see `OsoRequestPipeline`).
 * With `reload: 'poll'` it first has the policy files looked at (django-oso's `ReloadPolicyMiddleware`): it runs
 * before the route's own guards, the interceptors and the handler, so every check of the request sees the files as
 * they were when it arrived.
 */
@Injectable()
export class OsoGlobalGuard extends OsoGuard {
  constructor(
    routes: OsoRouteAuthorizer,
    @Inject(OSO_MODULE_OPTIONS) private readonly options: OsoModuleOptions,
    private readonly reloader: OsoPolicyReloader,
    private readonly pipeline: OsoRequestPipeline,
  ) {
    super(routes);
  }

  override canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    // Before any check: the route's own enhancers enforce requireAuthorization on the requests marked here.
    if (this.pipeline.enforcesOnRoute(context)) authorizationStateOf(context.getArgByIndex(0)).enforcedOnRoute = true;
    if (this.options.reload === 'poll') return this.reloader.refresh().then(() => super.canActivate(context));
    return super.canActivate(context);
  }

  protected override shouldAuthorizeRoute(): boolean {
    return this.options.routeAuthorization === true;
  }

  protected override deferWithoutActor(context: ExecutionContext): boolean {
    return this.pipeline.waitsForLaterGuards(context.getClass(), context.getHandler());
  }

  protected override interceptorFinishes(context: ExecutionContext): boolean {
    return this.pipeline.interceptorFinishes(context.getHandler());
  }
}
