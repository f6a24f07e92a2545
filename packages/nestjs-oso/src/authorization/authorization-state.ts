import { AsyncLocalStorage } from 'node:async_hooks';
import { IncomingMessage } from 'node:http';
import type { ExecutionContext } from '@nestjs/common';
import { callOf, transportOf, type CallTransport } from '../transports/transport.js';
import { DecisionMemo } from './decision-memo.js';

/**
 * Everything nestjs-oso knows about one request (or one GraphQL, WebSocket or microservice call): whether it was
 * authorized or skipped, whether a route check is still owed, and the resource `@Authorize()` loaded. The guard, the
 * service and the interceptors all read and write this one object; nothing per-request lives anywhere else.
 */
export class AuthorizationState {
  /** The transport of the call, which decides the form of its authorization errors. */
  transport: CallTransport = 'http';
  /** Outside HTTP, the arguments of the call this state belongs to (see `callStateOf`). */
  args: readonly unknown[] | undefined;
  /** True once a check allowed something in this request. */
  authorized = false;
  /** Set (possibly to an empty string) by `OsoService.skipAuthorization()` (`@SkipAuthorization()`: see the route). */
  skipReason: string | undefined;
  /** True once the route's own check (decorator or route authorization) has passed. */
  routeChecked = false;
  /** True when the global guard saw no actor and left the route check to run after every guard of the route. */
  routeCheckDeferred = false;
  /**
   * Set by OsoModule's global guard on an HTTP route whose own enhancers enforce `requireAuthorization` (see
   * `OsoRequestPipeline`): what those enhancers, shared by every app that uses the controller, act on.
   */
  enforcedOnRoute = false;
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
 * Where a platform request object keeps its state, so that guards, which run before any interceptor could enter the
 * async context, find the same object:
 * - Fastify's request (and any other object): a symbol property. Not a WeakMap keyed by the request: every entry of
 *   a WeakMap is an ephemeron that each young-generation collection must trace, which slowed those collections and a
 *   Fastify route's throughput (see bench/README.md for the cost).
 * - Node's own request (`IncomingMessage`: Express, and Fastify's `request.raw`): a WeakMap. Express gives each
 *   request a prototype of its own, so a property added to it makes a new hidden class in V8 at every request, which
 *   costs more than the WeakMap entry (about 0.02 of a route's throughput, side by side).
 * Both are registered in the process (`Symbol.for`), so that the CommonJS and the ES module builds of nestjs-oso, if
 * an app loads both, share them.
 */
const AUTHORIZATION_STATE = Symbol.for('nestjs-oso:authorization-state');
const NODE_REQUEST_STATES = ((globalThis as { [key: symbol]: unknown })[
  Symbol.for('nestjs-oso:node-request-states')
] ??= new WeakMap<object, AuthorizationState>()) as WeakMap<object, AuthorizationState>;

type StateHolder = { [AUTHORIZATION_STATE]?: AuthorizationState };

/** The state of a platform request object, created on first use (outside HTTP, see `callStateOf`). */
export function authorizationStateOf(request: object): AuthorizationState {
  if (!(request instanceof IncomingMessage))
    return ((request as StateHolder)[AUTHORIZATION_STATE] ??= new AuthorizationState());
  let state = NODE_REQUEST_STATES.get(request);
  if (state === undefined) NODE_REQUEST_STATES.set(request, (state = new AuthorizationState()));
  return state;
}

/** The state of a platform request object, if it has one (nothing is created). */
export function requestStateOf(request: object): AuthorizationState | undefined {
  if (request instanceof IncomingMessage) return NODE_REQUEST_STATES.get(request);
  return (request as StateHolder)[AUTHORIZATION_STATE];
}

/**
 * The state of the call of `context`, created on first use: the request's on HTTP; elsewhere the one kept on the
 * call's holder (see `callOf`) for these very arguments. A state found there for other arguments (a transport that
 * reused a context object for another call) is replaced, so that one call's check never counts for another. Nest
 * hands parameter decorators a copy of the arguments array: a copy with the same elements is the same call.
 */
export function callStateOf(context: ExecutionContext): AuthorizationState {
  const transport = transportOf(context);
  const holder = callOf(context) as StateHolder;
  if (transport === 'http') return authorizationStateOf(holder);
  const args = context.getArgs();
  let state = holder[AUTHORIZATION_STATE];
  if (state === undefined || !sameArguments(state.args, args)) {
    state = holder[AUTHORIZATION_STATE] = new AuthorizationState();
    state.transport = transport;
    state.args = args;
  }
  return state;
}

function sameArguments(recorded: readonly unknown[] | undefined, args: readonly unknown[]): boolean {
  if (recorded === args) return true;
  return recorded !== undefined && recorded.length === args.length && recorded.every((arg, i) => arg === args[i]);
}

/**
 * Who may read a request's state after its route check, counted as they are constructed (before any request):
 * every `RequireAuthorizationInterceptor` (OsoModule's own or the app's), and every `OsoGuard` after the first (it
 * skips a route another one checked). Counted for the whole process, so more apps only mean more states kept.
 */
const laterStateReaders = { interceptors: 0, guards: 0 };

/** Counts a `RequireAuthorizationInterceptor` (from its constructor). */
export function countRequireAuthorizationInterceptor(): void {
  laterStateReaders.interceptors++;
}

/** Counts an `OsoGuard` (from its constructor). */
export function countOsoGuard(): void {
  laterStateReaders.guards++;
}

/**
 * Whether another `OsoGuard` already checked the route of this request. Only asked of the request when a second guard
 * exists: on Express, even looking for a property the request does not have walks its prototype chain uncached.
 */
export function routeAlreadyChecked(request: object): boolean {
  return laterStateReaders.guards > 1 && requestStateOf(request)?.routeChecked === true;
}

/**
 * The state a route check works on: the request's own when anything may read it later (see `laterStateReaders`, and
 * `@AuthorizedResource()` for a check that loads a resource), else one of the check's own: keeping it on the
 * request costs a WeakMap entry on Express or a new property on Fastify (see `authorizationStateOf`), saved where
 * nothing would read the state.
 */
export function routeCheckStateOf(request: object, loadsResource: boolean): AuthorizationState {
  const kept = loadsResource || laterStateReaders.interceptors > 0 || laterStateReaders.guards > 1;
  return kept ? authorizationStateOf(request) : new AuthorizationState();
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
