import { Inject, Injectable, type ExecutionContext } from '@nestjs/common';
import type { AuthorizationState } from '../authorization/authorization-state.js';
import { OSO_MODULE_OPTIONS } from '../module/oso.module-definition.js';
import type { OsoModuleOptions } from '../module/oso-module-options.interface.js';
import { RequireAuthorizationInterceptor } from './require-authorization.interceptor.js';
import { callOf } from '../transports/transport.js';
import { OsoRouteAuthorizer } from './route-authorizer.service.js';

/**
 * The interceptor `OsoModule` installs for the whole app: it carries each request's authorization state into the
 * handler, finishes route checks the global guard deferred (it runs after every guard), and enforces
 * `requireAuthorization` when that option is on.
 */
@Injectable()
export class OsoGlobalInterceptor extends RequireAuthorizationInterceptor {
  constructor(
    private readonly routes: OsoRouteAuthorizer,
    @Inject(OSO_MODULE_OPTIONS) private readonly options: OsoModuleOptions,
  ) {
    super();
  }

  protected override isRequired(): boolean {
    return this.options.requireAuthorization === true;
  }

  protected override hasWorkBeforeHandler(state: AuthorizationState): boolean {
    return state.routeCheckDeferred && !state.routeChecked;
  }

  protected override async beforeHandler(context: ExecutionContext, state: AuthorizationState): Promise<void> {
    const request = callOf(context);
    const rule = this.routes.ruleFor(context);
    const metadata = rule?.kind === 'authorize' ? rule.metadata : undefined;
    const actor = await this.routes.actorFor(context, request, metadata);
    await this.routes.authorize(context, request, state, actor, metadata);
  }
}
