import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { callStateOf, type AuthorizationState } from '../authorization/authorization-state.js';
import { OSO_CALL_AUTHORIZER } from '../module/oso.constants.js';

/** What the guard needs of `OsoModule`: the check of a call where it stands (`OsoRouteAuthorizer.authorizeCall`). */
interface CallAuthorizer {
  authorizeCall(context: ExecutionContext, state: AuthorizationState): boolean | Promise<boolean>;
}

/** Marks the guard class across the CommonJS and ES module builds of nestjs-oso (see `isAuthorizeGuard`). */
const AUTHORIZE_GUARD = Symbol.for('nestjs-oso:authorize-guard');

/**
 * The guard `@Authorize()` attaches to what it decorates, so that the decorator cannot be ignored where no global
 * enhancer reaches. On HTTP routes it lets OsoModule's global guard decide (which always runs there). On GraphQL,
 * WebSocket and microservice handlers, where Nest applies the app's global guards only in some setups (a hybrid
 * app's microservice needs `inheritAppConfig: true`), it checks the call itself unless a guard already did. Resolved
 * through dependency injection: an app that uses `@Authorize()` without importing `OsoModule` fails at startup.
 */
@Injectable()
export class AuthorizeGuard implements CanActivate {
  static readonly [AUTHORIZE_GUARD] = true;

  constructor(@Inject(OSO_CALL_AUTHORIZER) private readonly calls: CallAuthorizer) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType() === 'http') return true;
    return this.calls.authorizeCall(context, callStateOf(context));
  }
}

/** Whether a guard listed in `@UseGuards()` metadata is the one `@Authorize()` attaches, from either build. */
export function isAuthorizeGuard(guard: unknown): boolean {
  return typeof guard === 'function' && (guard as { [AUTHORIZE_GUARD]?: boolean })[AUTHORIZE_GUARD] === true;
}
