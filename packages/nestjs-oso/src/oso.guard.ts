import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { authorizationStateOf } from './authorization-state.js';
import type { AuthorizeMetadata } from './decorators/authorize.decorator.js';
import { OsoRouteAuthorizer, type RouteRule } from './route-authorizer.js';

/**
 * Route authorization. Used on a controller (`@UseGuards(AuthGuard, OsoGuard)`) it checks every route there:
 * `@Authorize()` routes as decorated, the others on their `HttpRequest` with the HTTP method as action, and
 * `@SkipAuthorization()` routes not at all. `OsoModule` also installs it globally for `@Authorize()` (and for every
 * route with `routeAuthorization: true`). Subclass it and override the protected hooks for other transports.
 *
 * @example
 * @Controller('reports')
 * @UseGuards(JwtAuthGuard, OsoGuard)
 * export class ReportsController {}
 * @publicApi
 */
@Injectable()
export class OsoGuard implements CanActivate {
  constructor(protected readonly routes: OsoRouteAuthorizer) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const rule = this.routes.ruleFor(context);
    if (context.getType() !== 'http') return this.canActivateOutsideHttp(context, rule);
    const request = this.getRequest(context);
    const state = authorizationStateOf(request);
    if (rule?.kind === 'skip') {
      state.skip(rule.reason);
      return true;
    }
    // Another OsoGuard (global and per-controller) already checked this route in this request.
    if (state.routeChecked) return true;
    const metadata = rule?.metadata;
    if (!metadata && !this.shouldAuthorizeRoute(context)) return true;
    const actor = await this.getActor(context, request, metadata);
    if (actor == null && this.deferWithoutActor(context)) {
      state.routeCheckDeferred = true;
      return true;
    }
    await this.routes.authorize(context, request, state, actor, metadata);
    return true;
  }

  /** The platform request (Express or Fastify) of the context. */
  protected getRequest(context: ExecutionContext): object {
    return context.switchToHttp().getRequest();
  }

  /** Whether a route without `@Authorize()` is checked on its `HttpRequest`. Here: always. */
  protected shouldAuthorizeRoute(_context: ExecutionContext): boolean {
    return true;
  }

  /** The actor of the check; see `OsoModuleOptions.getActor`. */
  protected getActor(context: ExecutionContext, request: object, metadata?: AuthorizeMetadata): Promise<unknown> {
    return this.routes.actorFor(context, request, metadata);
  }

  /**
   * Whether a check without an actor waits until every guard of the route has run (an authentication guard may
   * still come). A guard placed explicitly checks where it stands.
   */
  protected deferWithoutActor(_context: ExecutionContext): boolean {
    return false;
  }

  /** RPC, WebSocket and GraphQL contexts: nothing to check unless `@Authorize()` asks, which is not supported. */
  protected canActivateOutsideHttp(context: ExecutionContext, rule: RouteRule | undefined): boolean {
    if (rule?.kind === 'authorize') {
      throw new Error(
        `@Authorize() on ${context.getClass().name}.${context.getHandler().name} needs an HTTP context, ` +
          `not "${context.getType()}": subclass OsoGuard to support it`,
      );
    }
    return true;
  }
}
