import { Inject, Injectable } from '@nestjs/common';
import { OsoGuard } from './oso.guard.js';
import { OSO_MODULE_OPTIONS } from './oso.module-definition.js';
import type { OsoModuleOptions } from './oso-module-options.interface.js';
import { OsoRouteAuthorizer } from './route-authorizer.js';

/**
 * The `OsoGuard` that `OsoModule` installs for the whole app, so `@Authorize()` never silently does nothing.
 * Global guards run before a controller's own guards, so when it sees no actor yet it leaves the check to
 * `OsoGlobalInterceptor`, which runs after every guard (an authentication guard on the controller may still set
 * `request.user`).
 */
@Injectable()
export class OsoGlobalGuard extends OsoGuard {
  constructor(routes: OsoRouteAuthorizer, @Inject(OSO_MODULE_OPTIONS) private readonly options: OsoModuleOptions) {
    super(routes);
  }

  protected override shouldAuthorizeRoute(): boolean {
    return this.options.routeAuthorization === true;
  }

  protected override deferWithoutActor(): boolean {
    return true;
  }
}
