import type { ExecutionContext, Type } from '@nestjs/common';
import type { Adapter, Relation } from 'oso';
import type { CallTransport } from '../transports/transport.js';

/**
 * A class to register with Polar, with an optional Polar name and field types (for data filtering).
 *
 * @example
 * OsoModule.forRoot({ policyDir, classes: [User, { class: Expense, name: 'app::Expense' }] })
 * @publicApi
 */
export interface PolarClassRegistration {
  /** The class itself; Polar sees its instances and can match on it (`e: Expense`). */
  class: Type<unknown>;
  /** The name policies use for the class; defaults to the class name. */
  name?: string;
  /** Types of the class's fields, for data filtering (`{ owner: User, org: new Relation(...) }`). */
  fields?: Record<string, Type<unknown> | Relation>;
  /** Custom `isa` check, for values that are not instances of the class (plain objects from an ORM). */
  isaCheck?: (instance: unknown) => boolean;
}

/**
 * Why an authorization failed, as handed to `onUnauthorized`.
 *
 * - `unauthenticated`: there was no actor (401).
 * - `not-found`: the actor may not even read the resource (404).
 * - `forbidden`: the actor may read it but not do this (403).
 *
 * @example
 * onUnauthorized: (failure) => failure.reason === 'forbidden' ? new ImATeapotException() : undefined
 * @publicApi
 */
export interface AuthorizationFailure {
  /** The kind of failure, which decides the default status. */
  reason: 'unauthenticated' | 'not-found' | 'forbidden';
  /** The actor that was denied (`null` when there was none). */
  actor: unknown;
  /** The action that was denied. */
  action: unknown;
  /** The resource, the `HttpRequest`, or for field checks the resource whose field was denied. */
  resource: unknown;
  /** The field, for `authorizeField` failures. */
  field?: unknown;
  /**
   * The transport of the denied call (`'http'`, `'graphql'`, `'ws'`, `'rpc'`). For all but HTTP, a returned
   * `HttpException` of 4xx is then sent in that transport's form (see the transport pages of the docs).
   */
  context: CallTransport;
}

/**
 * Custom failure handling, like flask-oso's `set_unauthorized_action`: return (or throw) the exception to send
 * instead of the default one. Returning nothing keeps the default; the request is denied either way.
 *
 * @example
 * onUnauthorized: ({ reason }) => reason === 'not-found' ? new ForbiddenException('No access') : undefined
 * @publicApi
 */
export type UnauthorizedHandler = (failure: AuthorizationFailure) => Error | void | Promise<Error | void>;

/**
 * Reads the current actor from an execution context, in every context the app has (HTTP, GraphQL, WebSockets,
 * microservices). The default reads `request.user` on HTTP, the GraphQL context's `req.user`, a socket's
 * `client.data.user`, and nothing on microservices (say where a message carries its user).
 *
 * @example
 * getActor: (context) =>
 *   context.getType() === 'rpc' ? users.fromToken(context.switchToRpc().getData().token) : context.switchToHttp().getRequest().user
 * @publicApi
 */
export type ActorResolver = (context: ExecutionContext) => unknown;

/**
 * Options of `OsoModule.forRoot()` and `OsoModule.forRootAsync()`.
 *
 * @example
 * OsoModule.forRoot({ policyDir: join(import.meta.dirname, 'policy'), classes: [User, Expense], requireAuthorization: true })
 * @publicApi
 */
export interface OsoModuleOptions {
  /** Folder(s) whose `*.polar` files (recursively, in sorted order) make up the policy. */
  policyDir: string | string[];
  /** Further policy files to load with the folders' files. */
  policyFiles?: string[];
  /** Classes that policies refer to by name (`HttpRequest` is always registered). */
  classes?: Array<Type<unknown> | PolarClassRegistration>;
  /** How the guard finds the actor of a call; defaults to `request.user` (see `ActorResolver` for each transport). */
  getActor?: ActorResolver;
  /** Authorize every route without `@Authorize()` or `@SkipAuthorization()` on its `HttpRequest` (default false). */
  routeAuthorization?: boolean;
  /** Answer 500 for any request in which nothing authorized or skipped authorization (default false). */
  requireAuthorization?: boolean;
  /** Replaces the default 401/403/404 exceptions of a failed check. */
  onUnauthorized?: UnauthorizedHandler;
  /** On a denial, answer 404 when the actor may not even read the resource (default true; false: always 403). */
  checkRead?: boolean;
  /** The action `checkRead` asks about (default `"read"`). */
  readAction?: string;
  /**
   * Reload the policy when its files change, keeping the last good policy when a change does not load: `'watch'`
   * watches the policy folders, `'poll'` compares file timestamps at the start of each request (default false). A
   * change is taken only once the files' text has stayed the same for `reloadSettleMs`.
   */
  reload?: 'watch' | 'poll' | false;
  /** How long the policy files must stay unchanged (same text) before a reload takes them, in ms (default 1000). */
  reloadSettleMs?: number;
  /**
   * At startup, run a few hundred milliseconds of checks on a scratch engine so the first requests do not pay for
   * the engine's WebAssembly tier-up (default true; once per process).
   */
  warmUp?: boolean;
  /** Compile `allow` per (actor class, action, resource class) into microsecond predicates; the rest asks the engine (default true). */
  compile?: boolean;
  /** The data filtering adapter of `authorizedQuery` / `authorizedResources` (`typeOrmAdapter(dataSource)`, `new InMemoryAdapter()`). */
  dataFiltering?: Adapter<unknown, unknown>;
  /** Log the engine's whole error message, with the field values of actors and resources, on a failed check (default false: development only). */
  logEngineErrorDetails?: boolean;
}
