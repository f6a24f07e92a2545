import { Inject, Injectable, Scope, type ExecutionContext, type Type } from '@nestjs/common';
import { ContextIdFactory, ModuleRef } from '@nestjs/core';
import type { AuthorizationState } from '../authorization/authorization-state.js';
import { unauthorizedException } from '../authorization/authorization-failure.js';
import type { AuthorizeMetadata, ResourceResolver, ResourceResolverFn } from '../decorators/authorize.decorator.js';
import { HttpRequest } from '../authorization/http-request.js';
import { isThenable } from './is-thenable.js';
import { OSO_MODULE_OPTIONS } from '../module/oso.module-definition.js';
import type { OsoModuleOptions } from '../module/oso-module-options.interface.js';
import { OsoService } from '../authorization/oso.service.js';
import { routeRuleOf, ruleOf, type RouteRule } from './route-rules.js';

export type { RouteRule } from './route-rules.js';

/**
 * The route check, written once for the guards and the interceptor: reads a route's decorators, finds the actor,
 * loads the resource and asks `OsoService`. Exported for `OsoGuard` subclasses.
 *
 * @example
 * @Injectable()
 * export class AuditedOsoGuard extends OsoGuard {
 *   constructor(routes: OsoRouteAuthorizer, private readonly audit: AuditService) { super(routes); }
 *   override async canActivate(context: ExecutionContext) {
 *     return this.audit.record(context, () => super.canActivate(context));
 *   }
 * }
 * @publicApi
 */
@Injectable()
export class OsoRouteAuthorizer {
  constructor(
    private readonly oso: OsoService,
    private readonly moduleRef: ModuleRef,
    @Inject(OSO_MODULE_OPTIONS) private readonly options: OsoModuleOptions,
  ) {}

  /**
   * The rule of a route: the handler's decorators win over the class's, and on one level `@Authorize()` wins over
   * `@SkipAuthorization()` (a contradiction resolves to the safer side).
   */
  ruleFor(context: ExecutionContext): RouteRule | undefined {
    return routeRuleOf(context.getClass(), context.getHandler());
  }

  /** The rule a class or a handler declares itself. */
  ruleOf(target: object): RouteRule | undefined {
    return ruleOf(target);
  }

  /**
   * The actor of a route check (or a promise of it): the decorator's `actor` option, else the module's `getActor`,
   * else `request.user`.
   */
  actorFor(context: ExecutionContext, request: object, metadata: AuthorizeMetadata | undefined): unknown {
    if (metadata?.actor) return metadata.actor(request, context);
    if (this.options.getActor) return this.options.getActor(context);
    return (request as { user?: unknown }).user;
  }

  /**
   * Runs the route check and records it in the request's state: the decorator's resource when it names one, else
   * the request itself as an `HttpRequest`. Throws the mapped exception on denial. Returns nothing when it could
   * decide at once (a compiled decision on the request), else a promise.
   */
  authorize(
    context: ExecutionContext,
    request: object,
    state: AuthorizationState,
    actor: unknown,
    metadata: AuthorizeMetadata | undefined,
  ): void | Promise<void> {
    if (metadata?.resource) {
      const action = metadata.action ?? HttpRequest.from(request).method;
      return this.authorizeResource(context, request, state, actor, action, metadata.resource, metadata);
    }
    const httpRequest = HttpRequest.from(request);
    const action = metadata?.action ?? httpRequest.method;
    return markRouteChecked(state, this.oso.authorizeInRequest(state, actor, action, httpRequest, false));
  }

  /** The check of a route whose decorator names a resource: loads it, then decides (synchronously if it can). */
  private authorizeResource(
    context: ExecutionContext,
    request: object,
    state: AuthorizationState,
    actor: unknown,
    action: unknown,
    resolver: ResourceResolverFn | Type<ResourceResolver>,
    metadata: AuthorizeMetadata,
  ): void | Promise<void> {
    const loaded = this.loadResource(resolver, request, context);
    if (!isThenable(loaded)) return this.authorizeLoaded(state, actor, action, loaded, metadata);
    return Promise.resolve(loaded).then((resource) => this.authorizeLoaded(state, actor, action, resource, metadata));
  }

  private authorizeLoaded(
    state: AuthorizationState,
    actor: unknown,
    action: unknown,
    resource: unknown,
    metadata: AuthorizeMetadata,
  ): void | Promise<void> {
    if (resource == null) {
      // Without an actor, say 401 rather than reveal which resources exist.
      const reason = actor == null ? 'unauthenticated' : 'not-found';
      return unauthorizedException(
        { reason, actor: actor ?? null, action, resource },
        this.options.onUnauthorized,
      ).then((error) => {
        throw error;
      });
    }
    state.setResource(resource);
    return markRouteChecked(state, this.oso.authorizeInRequest(state, actor, action, resource, metadata.checkRead));
  }

  /** The resource from the decorator's resolver function or injectable class (or a promise of it). */
  private loadResource(
    resolver: ResourceResolverFn | Type<ResourceResolver>,
    request: object,
    context: ExecutionContext,
  ): unknown {
    if (!isResolverClass(resolver)) return resolver(request, context);
    if (this.moduleRef.introspect(resolver).scope === Scope.DEFAULT) {
      return this.moduleRef.get(resolver, { strict: false }).resolve(request, context);
    }
    return this.moduleRef
      .resolve(resolver, ContextIdFactory.getByRequest(request), { strict: false })
      .then((instance) => instance.resolve(request, context));
  }
}
/** Records that the route's check passed, at once or when the pending check resolves (a denial throws past it). */
function markRouteChecked(state: AuthorizationState, checked: void | Promise<void>): void | Promise<void> {
  if (!checked) {
    state.routeChecked = true;
    return;
  }
  return checked.then(() => {
    state.routeChecked = true;
  });
}

/** Tells an injectable resolver class from a resolver function (arrow functions have no prototype). */
export function isResolverClass(
  resolver: ResourceResolverFn | Type<ResourceResolver>,
): resolver is Type<ResourceResolver> {
  return typeof (resolver as { prototype?: { resolve?: unknown } }).prototype?.resolve === 'function';
}
