import { Inject, Injectable, type ExecutionContext } from '@nestjs/common';
import { OsoGuard } from './oso.guard.js';
import { OSO_MODULE_OPTIONS } from './oso.module-definition.js';
import type { OsoModuleOptions } from './oso-module-options.interface.js';
import { OsoPolicyReloader } from './policy-reloader.js';
import { OsoRouteAuthorizer } from './route-authorizer.js';

/**
 * The `OsoGuard` that `OsoModule` installs for the whole app, so `@Authorize()` never silently does nothing.
 * Global guards run before a controller's own guards, so when it sees no actor yet it leaves the check to
 * `OsoGlobalInterceptor`, which runs after every guard (an authentication guard on the controller may still set
 * `request.user`). With `reload: 'poll'` it first has the policy files looked at (django-oso's
 * `ReloadPolicyMiddleware`): it runs before the route's own guards, the interceptors and the handler, so every
 * check of the request sees the files as they were when it arrived.
 */
@Injectable()
export class OsoGlobalGuard extends OsoGuard {
  constructor(
    routes: OsoRouteAuthorizer,
    @Inject(OSO_MODULE_OPTIONS) private readonly options: OsoModuleOptions,
    private readonly reloader: OsoPolicyReloader,
  ) {
    super(routes);
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.options.reload === 'poll') await this.reloader.refresh();
    return super.canActivate(context);
  }

  protected override shouldAuthorizeRoute(): boolean {
    return this.options.routeAuthorization === true;
  }

  protected override deferWithoutActor(): boolean {
    return true;
  }
}
