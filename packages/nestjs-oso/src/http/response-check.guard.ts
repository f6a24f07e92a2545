import { Logger, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { requestStateOf } from '../authorization/authorization-state.js';
import { refuseUnauthorizedResponse } from './route-response.js';
import { ROUTE_ENFORCER } from './route-rules.js';

/**
 * The last guard of an HTTP route whose handler must authorize itself under `requireAuthorization` (OsoModule adds
 * it, see `route-enforcement.ts`): once every guard has let the request through, the platform response refuses any
 * status below 400 while nothing in the request has authorized or skipped, whoever writes it. That covers what
 * `OsoRouteInterceptor`, the innermost interceptor, cannot see: an interceptor of the app that answers without
 * calling the handler (a cache), or that turns the refusal back into a success. Before this guard runs (a guard
 * denied, and an exception filter answers with a redirect, say), the response is not the handler's and passes.
 * It acts only on the requests the app's global guard marked (`enforcedOnRoute`), so one instance serves every app.
 */
export class OsoResponseCheckGuard implements CanActivate {
  readonly [ROUTE_ENFORCER] = true;
  private readonly logger = new Logger('OsoModule');

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const state = requestStateOf(context.getArgByIndex(0));
    if (state?.enforcedOnRoute !== true) return true;
    const response = context.getArgByIndex<{ raw?: ServerResponse } & ServerResponse>(1);
    refuseUnauthorizedResponse(
      response.raw ?? response,
      () => state.satisfied,
      () =>
        this.logger.error(
          `${context.getClass().name}.${context.getHandler().name} answered without authorizing: call ` +
            'OsoService.authorize(), use @Authorize(), or mark it with @SkipAuthorization()',
        ),
    );
    return true;
  }
}
