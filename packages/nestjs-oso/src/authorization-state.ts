import { AsyncLocalStorage } from 'node:async_hooks';
import { DecisionMemo } from './decision-memo.js';

/**
 * Everything nestjs-oso knows about one request: whether it was authorized or skipped, whether a route check is
 * still owed, and the resource `@Authorize()` loaded. The guard, the service and the interceptors all read and write
 * this one object; nothing per-request lives anywhere else.
 */
export class AuthorizationState {
  /** True once a check allowed something in this request. */
  authorized = false;
  /** Set (possibly to an empty string) by `@SkipAuthorization()` or `OsoService.skipAuthorization()`. */
  skipReason: string | undefined;
  /** True once the route's own check (decorator or route authorization) has passed. */
  routeChecked = false;
  /** True when the global guard saw no actor and left the route check to run after every guard of the route. */
  routeCheckDeferred = false;
  /** The resource loaded by `@Authorize(action, { resource })`, for `@AuthorizedResource()`. */
  resource: unknown = undefined;
  /** Whether `resource` was set, since a resource may itself be falsy. */
  hasResource = false;
  /** Engine decisions already made in this request. */
  readonly decisions = new DecisionMemo();

  get skipped(): boolean {
    return this.skipReason !== undefined;
  }

  /** Whether the require-authorization check is satisfied. */
  get satisfied(): boolean {
    return this.authorized || this.skipped;
  }

  skip(reason = ''): void {
    this.skipReason ??= reason;
  }

  setResource(resource: unknown): void {
    this.resource = resource;
    this.hasResource = true;
  }
}

/**
 * The state of each platform request object (Express or Fastify), keyed by the request so that guards, which run
 * before any interceptor could enter the async context, find the same object. Not a property of the request: in V8
 * every Express request object gets a hidden class of its own, so adding a property copies it, at every request.
 * The state must never reference its request (an `HttpRequest` does): V8's young-generation GC keeps a WeakMap
 * entry whose value reaches its key, so every request would survive until a full GC.
 */
const stateOfRequest = new WeakMap<object, AuthorizationState>();

/** The state of a platform request object, created on first use. */
export function authorizationStateOf(request: object): AuthorizationState {
  let state = stateOfRequest.get(request);
  if (state === undefined) {
    state = new AuthorizationState();
    stateOfRequest.set(request, state);
  }
  return state;
}

/**
 * Carries the state of the current request through the handler and everything it awaits, so that `OsoService`
 * calls made at any depth count for that request.
 */
const authorizationStorage = new AsyncLocalStorage<AuthorizationState>();

/** Runs `fn` with `state` as the current request's state. */
export function runWithAuthorizationState<T>(state: AuthorizationState, fn: () => T): T {
  return authorizationStorage.run(state, fn);
}

/** The state of the request whose handler is running, if any. */
export function currentAuthorizationState(): AuthorizationState | undefined {
  return authorizationStorage.getStore();
}
