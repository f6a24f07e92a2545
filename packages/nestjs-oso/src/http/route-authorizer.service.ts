import { Inject, Injectable, Scope, type ExecutionContext, type Type } from '@nestjs/common';
import { ContextIdFactory, ModuleRef } from '@nestjs/core';
import type { AuthorizationState } from '../authorization/authorization-state.js';
import type { AuthorizeMetadata, ResourceResolver, ResourceResolverFn } from '../decorators/authorize.decorator.js';
import { HttpRequest } from '../authorization/http-request.js';
import { GraphQLOperation } from '../transports/graphql-operation.js';
import { InboundMessage } from '../transports/inbound-message.js';
import { defaultActor, resolverInput } from '../transports/transport.js';
import { ownGraphQLError } from '../transports/transport-error.js';
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
   * The service the checks go through, which `OsoGuard` hands to GraphQL field middleware (`authorizeField()`).
   * @internal
   */
  get service(): OsoService {
    return this.oso;
  }

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
   * else where the transport usually keeps it (`request.user` on HTTP; see `ActorResolver`).
   */
  actorFor(context: ExecutionContext, request: object, metadata: AuthorizeMetadata | undefined): unknown {
    if (metadata?.actor)
      return metadata.actor(context.getType() === 'http' ? request : resolverInput(context), context);
    if (this.options.getActor) return this.options.getActor(context);
    return defaultActor(context);
  }

  /**
   * Runs the route check and records it in the call's state: the decorator's resource when it names one, else the
   * call itself (an `HttpRequest`, a `GraphQLOperation` or an `InboundMessage`). Throws the mapped exception on denial.
   * Returns nothing when it could decide at once (a compiled decision on the request), else a promise of `true`,
   * which a guard can return as it is (one promise fewer per request than mapping it).
   */
  authorize(
    context: ExecutionContext,
    request: object,
    state: AuthorizationState,
    actor: unknown,
    metadata: AuthorizeMetadata | undefined,
  ): undefined | Promise<true> {
    const checked = this.check(context, request, state, actor, metadata);
    // A GraphQL client tells an engine failure by its code: nestjs-oso's own 500s get INTERNAL_SERVER_ERROR.
    if (!checked || state.transport !== 'graphql') return checked;
    return checked.catch((error: unknown) => {
      throw ownGraphQLError(error, 'graphql');
    });
  }

  private check(
    context: ExecutionContext,
    request: object,
    state: AuthorizationState,
    actor: unknown,
    metadata: AuthorizeMetadata | undefined,
  ): undefined | Promise<true> {
    if (metadata?.resource) {
      const action = metadata.action ?? defaultAction(context, request);
      return this.authorizeResource(context, request, state, actor, action, metadata.resource, metadata);
    }
    const target = routeTarget(context, request);
    const action = metadata?.action ?? actionOn(target);
    return markRouteChecked(state, this.oso.authorizeInRequest(state, actor, action, target, false));
  }

  /**
   * The check of a GraphQL, WebSocket or microservice call where it stands, unless one already ran in the call: the
   * guard `@Authorize()` attaches calls it, so that the decorator holds where no global guard reaches (a hybrid
   * app's microservice without `inheritAppConfig`).
   * @internal
   */
  authorizeCall(context: ExecutionContext, state: AuthorizationState): boolean | Promise<boolean> {
    const rule = this.ruleFor(context);
    if (rule?.kind !== 'authorize' || state.routeChecked || state.routeCheckDeferred) return true;
    const call = context.getArgs();
    const actor = this.actorFor(context, call, rule.metadata);
    if (isThenable(actor))
      return Promise.resolve(actor).then((found) => this.authorize(context, call, state, found, rule.metadata) ?? true);
    return this.authorize(context, call, state, actor, rule.metadata) ?? true;
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
  ): undefined | Promise<true> {
    const loaded = this.loadResource(
      resolver,
      context.getType() === 'http' ? request : resolverInput(context),
      context,
    );
    if (!isThenable(loaded)) return this.authorizeLoaded(state, actor, action, loaded, metadata);
    return Promise.resolve(loaded).then(
      (resource) => this.authorizeLoaded(state, actor, action, resource, metadata) ?? true,
    );
  }

  private authorizeLoaded(
    state: AuthorizationState,
    actor: unknown,
    action: unknown,
    resource: unknown,
    metadata: AuthorizeMetadata,
  ): undefined | Promise<true> {
    if (resource == null) {
      // Without an actor, say 401 rather than reveal which resources exist.
      const reason = actor == null ? 'unauthenticated' : 'not-found';
      return this.oso.denial(state, { reason, actor: actor ?? null, action, resource }).then((error) => {
        throw error;
      });
    }
    state.setResource(resource);
    return markRouteChecked(state, this.oso.authorizeInRequest(state, actor, action, resource, metadata.checkRead));
  }

  /**
   * The resource from the decorator's resolver function or injectable class (or a promise of it), given what the
   * transport has: the platform request, the GraphQL arguments, or the message data.
   */
  private loadResource(
    resolver: ResourceResolverFn | Type<ResourceResolver>,
    input: unknown,
    context: ExecutionContext,
  ): unknown {
    if (!isResolverClass(resolver)) return resolver(input, context);
    if (this.moduleRef.introspect(resolver).scope === Scope.DEFAULT) {
      return this.moduleRef.get(resolver, { strict: false }).resolve(input, context);
    }
    return this.moduleRef
      .resolve(resolver, ContextIdFactory.getByRequest(requestForScope(context)), { strict: false })
      .then((instance) => instance.resolve(input, context));
  }
}
/** What a route check without a resource authorizes: the call itself, as the transport's Polar class. */
function routeTarget(context: ExecutionContext, request: object): HttpRequest | GraphQLOperation | InboundMessage {
  switch (context.getType<string>()) {
    case 'http':
      return HttpRequest.from(request);
    case 'graphql':
      return GraphQLOperation.from(context);
    default:
      return InboundMessage.from(context);
  }
}

/** The default action on a call: the HTTP method, the GraphQL operation type, or `"message"`. */
function actionOn(target: HttpRequest | GraphQLOperation | InboundMessage): string {
  if (target instanceof HttpRequest) return target.method;
  if (target instanceof GraphQLOperation) return target.operation;
  return 'message';
}

/** The default action of `@Authorize(undefined, { resource })`, as for the call itself. */
function defaultAction(context: ExecutionContext, request: object): string {
  return context.getType() === 'http' ? HttpRequest.from(request).method : actionOn(routeTarget(context, request));
}

/**
 * The object Nest's request-scoped providers are keyed by: the platform request; the GraphQL context (where Nest
 * keeps a GraphQL request's context id); the call's arguments elsewhere.
 */
function requestForScope(context: ExecutionContext): object {
  switch (context.getType<string>()) {
    case 'http':
      return context.getArgByIndex(0);
    case 'graphql':
      return context.getArgByIndex(2) ?? context.getArgs();
    default:
      return context.getArgs();
  }
}

/**
 * Records that the route's check passed, at once or when the pending check resolves (a denial throws past it); the
 * pending form resolves to `true`, what a guard answers.
 */
function markRouteChecked(state: AuthorizationState, checked: void | Promise<void>): undefined | Promise<true> {
  if (!checked) {
    state.routeChecked = true;
    return undefined;
  }
  return checked.then(() => {
    state.routeChecked = true;
    return true as const;
  });
}

/** Tells an injectable resolver class from a resolver function (arrow functions have no prototype). */
export function isResolverClass(
  resolver: ResourceResolverFn | Type<ResourceResolver>,
): resolver is Type<ResourceResolver> {
  return typeof (resolver as { prototype?: { resolve?: unknown } }).prototype?.resolve === 'function';
}
