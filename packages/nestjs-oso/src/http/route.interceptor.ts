import type { CallHandler, ExecutionContext } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { requestStateOf } from '../authorization/authorization-state.js';
import { RequireAuthorizationInterceptor } from './require-authorization.interceptor.js';
import { ROUTE_ENFORCER } from './route-rules.js';

/**
 * `RequireAuthorizationInterceptor` on one HTTP route, added by OsoModule to the routes whose handler must authorize
 * itself (see `route-enforcement.ts`), instead of a global interceptor that every route would pay for: it carries
 * the request's state into the handler (so `OsoService` calls at any depth count), refuses an `@Sse()` stream not
 * authorized before its handler, and answers 500 for whatever the handler returns, throws or writes unauthorized.
 * It acts only on the requests the app's global guard marked (`enforcedOnRoute`), so one instance serves every app.
 */
export class OsoRouteInterceptor extends RequireAuthorizationInterceptor {
  protected static override readonly readsRouteChecks = false;
  readonly [ROUTE_ENFORCER] = true;

  override intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http' || requestStateOf(context.getArgByIndex(0))?.enforcedOnRoute !== true)
      return next.handle();
    return super.intercept(context, next);
  }
}
