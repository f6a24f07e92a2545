import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import {
  authorizationStateOf,
  callStateOf,
  countOsoGuard,
  routeAlreadyChecked,
  routeCheckStateOf,
  type AuthorizationState,
} from '../authorization/authorization-state.js';
import type { AuthorizeMetadata } from '../decorators/authorize.decorator.js';
import { shareWithFieldMiddleware } from './authorize-field.middleware.js';
import { isThenable } from './is-thenable.js';
import { OsoRouteAuthorizer, type RouteRule } from './route-authorizer.service.js';
import { callOf } from '../transports/transport.js';

/**
 * Route authorization, on every transport. Used on a controller, resolver or gateway
 * (`@UseGuards(AuthGuard, OsoGuard)`) it checks every handler there: `@Authorize()` handlers as decorated, the
 * others on the call itself (an HTTP route's `HttpRequest` with the method as action, a resolver's
 * `GraphQLOperation` with the operation type, a gateway's or microservice's `InboundMessage` with `"message"`), and
 * `@SkipAuthorization()` handlers not at all. `OsoModule` also installs it globally for `@Authorize()` (and for every
 * handler with `routeAuthorization: true`). Subclass it and override the protected hooks to change how it finds the
 * actor or which handlers it checks.
 *
 * @example
 * @Controller('reports')
 * @UseGuards(JwtAuthGuard, OsoGuard)
 * export class ReportsController {}
 * @publicApi
 */
@Injectable()
export class OsoGuard implements CanActivate {
  constructor(protected readonly routes: OsoRouteAuthorizer) {
    countOsoGuard();
  }

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const rule = this.routes.ruleFor(context);
    if (context.getType() !== 'http') return this.canActivateOutsideHttp(context, rule);
    // Nothing to record for a skipped route: RequireAuthorizationInterceptor reads the route's rule itself.
    if (rule?.kind === 'skip') return true;
    const request = this.getRequest(context);
    // Another OsoGuard (global and per-controller) already checked this route in this request.
    if (routeAlreadyChecked(request)) return true;
    const metadata = rule?.metadata;
    if (!metadata && !this.shouldAuthorizeRoute(context)) return true;
    const state = routeCheckStateOf(request, Boolean(metadata?.resource));
    // Synchronous when it can be (a plain actor, a compiled decision): Nest awaits only guards that return promises.
    const actor = this.getActor(context, request, metadata);
    if (isThenable(actor))
      return Promise.resolve(actor).then((found) => this.checkRoute(context, request, state, found, metadata));
    return this.checkRoute(context, request, state, actor, metadata);
  }

  private checkRoute(
    context: ExecutionContext,
    request: object,
    state: AuthorizationState,
    actor: unknown,
    metadata: AuthorizeMetadata | undefined,
  ): boolean | Promise<boolean> {
    if (actor == null && this.deferWithoutActor(context)) {
      // Marked for the interceptor where it finishes the check; elsewhere a later guard checks (see deferWithoutActor).
      if (this.interceptorFinishes(context)) {
        (context.getType() === 'http' ? authorizationStateOf(request) : state).routeCheckDeferred = true;
      }
      return true;
    }
    return this.routes.authorize(context, request, state, actor, metadata) ?? true;
  }

  /** The platform request (Express or Fastify) of the context. */
  protected getRequest(context: ExecutionContext): object {
    // What `switchToHttp().getRequest()` returns, without the three closures `switchToHttp()` creates at each call.
    return context.getArgByIndex(0);
  }

  /** Whether a route without `@Authorize()` is checked on its `HttpRequest`. Here: always. */
  protected shouldAuthorizeRoute(_context: ExecutionContext): boolean {
    return true;
  }

  /** The actor of the check, or a promise of it; see `OsoModuleOptions.getActor`. */
  protected getActor(context: ExecutionContext, request: object, metadata?: AuthorizeMetadata): unknown {
    return this.routes.actorFor(context, request, metadata);
  }

  /**
   * Whether a check without an actor waits until every guard of the route has run (an authentication guard may
   * still come). A guard placed explicitly checks where it stands.
   */
  protected deferWithoutActor(_context: ExecutionContext): boolean {
    return false;
  }

  /** Whether OsoModule's interceptor runs on this handler after the guards and finishes a check left for it. */
  protected interceptorFinishes(_context: ExecutionContext): boolean {
    return false;
  }

  /**
   * GraphQL, WebSocket and microservice calls: the same rules as HTTP routes, with the call's state kept on its
   * arguments (see `callOf`), which every guard, interceptor and parameter decorator of the call shares.
   */
  protected canActivateOutsideHttp(context: ExecutionContext, rule: RouteRule | undefined): boolean | Promise<boolean> {
    // Before any skip, so that the field middleware of every GraphQL request finds what it needs (authorizeField()).
    if (context.getType<string>() === 'graphql') {
      shareWithFieldMiddleware(context, this.routes.service, (field) => this.getActor(field, field.getArgs()));
    }
    if (rule?.kind === 'skip') return true;
    const call = callOf(context);
    const state = callStateOf(context);
    if (state.routeChecked) return true;
    const metadata = rule?.metadata;
    if (!metadata && !this.shouldAuthorizeRoute(context)) return true;
    const actor = this.getActor(context, call, metadata);
    if (isThenable(actor))
      return Promise.resolve(actor).then((found) => this.checkRoute(context, call, state, found, metadata));
    return this.checkRoute(context, call, state, actor, metadata);
  }
}
