import {
  Injectable,
  InternalServerErrorException,
  Logger,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { defer, map, mergeMap, Observable } from 'rxjs';
import {
  authorizationStateOf,
  countRequireAuthorizationInterceptor,
  runWithAuthorizationState,
  type AuthorizationState,
} from './authorization-state.js';
import { routeRuleOf } from './route-rules.js';

/**
 * Fails closed when a handler forgot to authorize: after the handler returns, if nothing in the request authorized
 * (a guard, `@Authorize()`, or an enforcing `OsoService` call at any depth) and nothing skipped, the client gets a
 * 500 instead of the handler's response, and the log names `Controller.handler`. Errors the handler threw pass
 * through unchanged. Installed globally by `requireAuthorization: true`, or used on a controller.
 *
 * @example
 * @Controller('admin')
 * @UseInterceptors(RequireAuthorizationInterceptor)
 * export class AdminController {}
 * @publicApi
 */
@Injectable()
export class RequireAuthorizationInterceptor implements NestInterceptor {
  protected readonly logger = new Logger('OsoModule');

  constructor() {
    // Route checks keep their state on the request only when something like this interceptor may read it.
    countRequireAuthorizationInterceptor();
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const state = authorizationStateOf(context.switchToHttp().getRequest());
    // The handler runs inside the request's async context, so OsoService finds the state at any depth.
    let handled = new Observable<unknown>((subscriber) =>
      runWithAuthorizationState(state, () => next.handle().subscribe(subscriber)),
    );
    if (this.isRequired(context)) {
      handled = handled.pipe(
        map((value) => {
          if (!state.satisfied && !isSkippedRoute(context)) this.failUnauthorized(context);
          return value;
        }),
      );
    }
    // Most requests owe nothing before the handler: spare them the extra operators.
    if (!this.hasWorkBeforeHandler(state)) return handled;
    return defer(() => this.beforeHandler(context, state)).pipe(mergeMap(() => handled));
  }

  /** Whether `beforeHandler` has anything to do for this request. Here: never. */
  protected hasWorkBeforeHandler(_state: AuthorizationState): boolean {
    return false;
  }

  /** Whether this route must authorize. Here: always. */
  protected isRequired(_context: ExecutionContext): boolean {
    return true;
  }

  /** Work owed before the handler runs (the global interceptor finishes deferred route checks here). */
  protected async beforeHandler(_context: ExecutionContext, _state: AuthorizationState): Promise<void> {}

  protected failUnauthorized(context: ExecutionContext): never {
    this.logger.error(
      `${context.getClass().name}.${context.getHandler().name} completed without authorizing: call OsoService.authorize(), ` +
        'use @Authorize(), or mark it with @SkipAuthorization()',
    );
    throw new InternalServerErrorException();
  }
}

/** A route marked `@SkipAuthorization()` (guards record nothing for it). */
function isSkippedRoute(context: ExecutionContext): boolean {
  return routeRuleOf(context.getClass(), context.getHandler())?.kind === 'skip';
}
