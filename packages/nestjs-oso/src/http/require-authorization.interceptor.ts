import {
  HttpException,
  Injectable,
  InternalServerErrorException,
  Logger,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
  type Type,
} from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { catchError, defer, mergeMap, Observable } from 'rxjs';
import {
  AuthorizationState,
  callStateOf,
  countRequireAuthorizationInterceptor,
  runWithAuthorizationState,
} from '../authorization/authorization-state.js';
import { transportOf, type CallTransport } from '../transports/transport.js';
import { ownError, ownGraphQLError } from '../transports/transport-error.js';
import { refuseUnauthorizedResponse, routeResponseKind } from './route-response.js';
import { routeRuleOf } from './route-rules.js';

/**
 * Fails closed when a handler forgot to authorize: unless something in the request authorized (a guard,
 * `@Authorize()`, or an enforcing `OsoService` call at any depth) or skipped, the client gets a 500 instead of
 * whatever the handler answers, and the log names `Controller.handler`. It holds on every path a response takes:
 * a returned value, a thrown exception below 400 (an error of 400 or more passes unchanged), an error an exception
 * filter would answer, a response the handler writes itself (`@Res()`), and `@Sse()` streams, which must be
 * authorized before their handler runs (their status line leaves before the first event). Outside HTTP (RPC,
 * WebSockets, GraphQL) each call is checked the same way: a call that returns without authorizing fails with the
 * transport's internal error. Installed globally by `requireAuthorization: true`, or
 * used on a controller or handler.
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

  /**
   * Whether instances read the state of route checks from the request, so that checks must keep it there. Not the
   * ones OsoModule adds to the routes that authorize in their handler: no route check runs before those.
   */
  protected static readonly readsRouteChecks: boolean = true;

  constructor() {
    // Route checks keep their state on the request only when something like this interceptor may read it.
    if ((this.constructor as typeof RequireAuthorizationInterceptor).readsRouteChecks)
      countRequireAuthorizationInterceptor();
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const transport = transportOf(context);
    // The request's state, or outside HTTP the call's (kept on its arguments, shared with its guards).
    const state = callStateOf(context);
    let handled = this.isRequired(context) ? this.enforce(context, state, next, transport) : inContextOf(state, next);
    // GraphQL clients tell failures apart by code: nestjs-oso's own 500s get INTERNAL_SERVER_ERROR.
    if (transport === 'graphql') {
      handled = handled.pipe(
        catchError((error: unknown) => {
          throw ownGraphQLError(error, transport);
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
    throw ownError(new InternalServerErrorException());
  }

  /**
   * The handler's answer in the request's context, failing with 500 on every path where the request would answer
   * below 400 without authorizing. One Observable rather than operators: this runs on every request of the routes
   * it guards.
   */
  private enforce(
    context: ExecutionContext,
    state: AuthorizationState,
    next: CallHandler,
    transport: CallTransport,
  ): Observable<unknown> {
    const http = transport === 'http';
    const owesAuthorization = () => !state.satisfied && !isSkippedRoute(context);
    const kind = http ? routeResponseKind(context.getClass(), context.getHandler()) : 'value';
    if (kind === 'stream') {
      // Checked when the stream is subscribed, after the route's own check and before the handler runs (a throw here
      // is the subscriber's error).
      return new Observable<unknown>((subscriber) => {
        if (owesAuthorization()) this.failUnauthorized(context);
        return runWithAuthorizationState(state, () => next.handle().subscribe(subscriber));
      });
    }
    if (kind === 'handler') {
      const response = context.switchToHttp().getResponse<{ raw?: ServerResponse } & ServerResponse>();
      refuseUnauthorizedResponse(
        response.raw ?? response,
        () => !owesAuthorization(),
        () => this.logRefused(context),
      );
    }
    // An error response (400 or more) reveals nothing the policy guards; anything else might answer 2xx on HTTP.
    // Other transports answer any error as an error (a GraphQL error, a WebSocket `exception`, an RPC error).
    const failureFor = (error: unknown): unknown => {
      if (!http || !owesAuthorization() || (error instanceof HttpException && error.getStatus() >= 400)) return error;
      return failureOf(() => this.failUnauthorized(context));
    };
    return new Observable<unknown>((subscriber) =>
      // The handler runs inside the request's async context, so OsoService finds the state at any depth.
      runWithAuthorizationState(state, () =>
        next.handle().subscribe({
          next: (value) => {
            if (!owesAuthorization()) return subscriber.next(value);
            // A GraphQL subscription's resolver returned its event stream already: end it, so that a refused
            // subscription leaves no listener behind.
            closeAsyncIterator(value);
            subscriber.error(failureFor(failureOf(() => this.failUnauthorized(context))));
          },
          error: (error: unknown) => subscriber.error(failureFor(error)),
          complete: () => subscriber.complete(),
        }),
      ),
    );
  }

  private logRefused(context: ExecutionContext): void {
    this.logger.error(
      `${context.getClass().name}.${context.getHandler().name} wrote its response without authorizing: call ` +
        'OsoService.authorize() before writing, use @Authorize(), or mark it with @SkipAuthorization()',
    );
  }
}

/** The handler's answer, run inside the request's async context, so OsoService finds the state at any depth. */
function inContextOf(state: AuthorizationState, next: CallHandler): Observable<unknown> {
  return new Observable<unknown>((subscriber) =>
    runWithAuthorizationState(state, () => next.handle().subscribe(subscriber)),
  );
}

/** What `fail` throws (it always does). */
function failureOf(fail: () => never): unknown {
  try {
    fail();
  } catch (error: unknown) {
    return error;
  }
}

/** Ends an async iterator (`return()`), if the value is one; its own failure to end changes nothing here. */
function closeAsyncIterator(value: unknown): void {
  const iterator = value as { [Symbol.asyncIterator]?: unknown; return?: () => unknown } | null | undefined;
  if (typeof iterator?.[Symbol.asyncIterator] !== 'function' || typeof iterator.return !== 'function') return;
  Promise.resolve()
    .then(() => iterator.return!())
    .catch(() => undefined);
}

/** A route marked `@SkipAuthorization()` (guards record nothing for it). */
function isSkippedRoute(context: ExecutionContext): boolean {
  return routeRuleOf(context.getClass() as Type, context.getHandler())?.kind === 'skip';
}
