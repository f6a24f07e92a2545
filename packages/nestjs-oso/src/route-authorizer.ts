import { Inject, Injectable, Scope, type ExecutionContext, type Type } from '@nestjs/common';
import { ContextIdFactory, ModuleRef, Reflector } from '@nestjs/core';
import { runWithAuthorizationState, type AuthorizationState } from './authorization-state.js';
import { unauthorizedException } from './authorization-failure.js';
import type { AuthorizeMetadata, ResourceResolver, ResourceResolverFn } from './decorators/authorize.decorator.js';
import { HttpRequest } from './http-request.js';
import { OSO_AUTHORIZE, OSO_SKIP_AUTHORIZATION } from './oso.constants.js';
import { OSO_MODULE_OPTIONS } from './oso.module-definition.js';
import type { OsoModuleOptions } from './oso-module-options.interface.js';
import { OsoService } from './oso.service.js';

/**
 * What a route's decorators ask for: a check, a skip, or (undefined) nothing.
 *
 * @example
 * const rule: RouteRule | undefined = routes.ruleFor(context);
 * @publicApi
 */
export type RouteRule = { kind: 'authorize'; metadata: AuthorizeMetadata } | { kind: 'skip'; reason: string };

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
    private readonly reflector: Reflector,
    private readonly oso: OsoService,
    private readonly moduleRef: ModuleRef,
    @Inject(OSO_MODULE_OPTIONS) private readonly options: OsoModuleOptions,
  ) {}

  /**
   * The rule of a route: the handler's decorators win over the class's, and on one level `@Authorize()` wins over
   * `@SkipAuthorization()` (a contradiction resolves to the safer side).
   */
  ruleFor(context: ExecutionContext): RouteRule | undefined {
    return this.ruleOf(context.getHandler()) ?? this.ruleOf(context.getClass());
  }

  ruleOf(target: object): RouteRule | undefined {
    const metadata = this.reflector.get<AuthorizeMetadata | undefined>(OSO_AUTHORIZE, target as Type);
    if (metadata) return { kind: 'authorize', metadata };
    const reason = this.reflector.get<string | undefined>(OSO_SKIP_AUTHORIZATION, target as Type);
    return reason === undefined ? undefined : { kind: 'skip', reason };
  }

  /** The actor of a route check: the decorator's `actor` option, else the module's `getActor`, else `request.user`. */
  async actorFor(context: ExecutionContext, request: object, metadata: AuthorizeMetadata | undefined): Promise<unknown> {
    if (metadata?.actor) return metadata.actor(request, context);
    if (this.options.getActor) return this.options.getActor(context);
    return (request as { user?: unknown }).user;
  }

  /**
   * Runs the route check and records it in the request's state: the decorator's resource when it names one, else
   * the request itself as an `HttpRequest`. Throws the mapped exception on denial.
   */
  async authorize(
    context: ExecutionContext,
    request: object,
    state: AuthorizationState,
    actor: unknown,
    metadata: AuthorizeMetadata | undefined,
  ): Promise<void> {
    await runWithAuthorizationState(state, async () => {
      const httpRequest = (state.httpRequest ??= HttpRequest.from(request));
      const action = metadata?.action ?? httpRequest.method;
      if (metadata?.resource) {
        const resource = await this.loadResource(metadata.resource, request, context);
        if (resource == null) {
          // Without an actor, say 401 rather than reveal which resources exist.
          const reason = actor == null ? 'unauthenticated' : 'not-found';
          throw await unauthorizedException({ reason, actor: actor ?? null, action, resource }, this.options.onUnauthorized);
        }
        state.setResource(resource);
        await this.oso.authorize(actor, action, resource, { checkRead: metadata.checkRead });
      } else {
        await this.oso.authorizeRequest(actor, httpRequest, action);
      }
    });
    state.routeChecked = true;
  }

  private async loadResource(
    resolver: ResourceResolverFn | Type<ResourceResolver>,
    request: object,
    context: ExecutionContext,
  ): Promise<unknown> {
    if (!isResolverClass(resolver)) return resolver(request, context);
    const instance =
      this.moduleRef.introspect(resolver).scope === Scope.DEFAULT
        ? this.moduleRef.get(resolver, { strict: false })
        : await this.moduleRef.resolve(resolver, ContextIdFactory.getByRequest(request), { strict: false });
    return instance.resolve(request, context);
  }
}

/** Tells an injectable resolver class from a resolver function (arrow functions have no prototype). */
export function isResolverClass(
  resolver: ResourceResolverFn | Type<ResourceResolver>,
): resolver is Type<ResourceResolver> {
  return typeof (resolver as { prototype?: { resolve?: unknown } }).prototype?.resolve === 'function';
}
