import type { ExecutionContext } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { AuthorizationState } from '../authorization/authorization-state.js';
import type { OsoService } from '../authorization/oso.service.js';
import { OsoConfigurationError } from '../errors/oso-configuration.error.js';
import { DEFAULT_READ_ACTION } from '../module/oso.constants.js';
import { toTransportError } from '../transports/transport-error.js';

/**
 * Options of `authorizeField()`.
 *
 * @example
 * @Field(() => String, { nullable: true, middleware: [authorizeField({ action: 'audit', whenDenied: 'error' })] })
 * auditTrail?: string;
 * @publicApi
 */
export interface AuthorizeFieldOptions {
  /** The action asked of the policy's `allow_field` rules (default `"read"`). */
  action?: string;
  /**
   * What a denied field resolves to: `'null'` (the default; the field must be nullable) or `'error'`, a `FORBIDDEN`
   * error on that field alone (`UNAUTHENTICATED` without an actor), the other fields of the object still resolved.
   */
  whenDenied?: 'null' | 'error';
}

/**
 * What @nestjs/graphql hands a field middleware (its `MiddlewareContext`), declared here so that nestjs-oso's types
 * never need graphql or @nestjs/graphql, which apps without GraphQL do not install.
 */
interface FieldMiddlewareContext {
  source: unknown;
  args: unknown;
  context: unknown;
  info?: { fieldName: string; rootValue?: unknown } | null;
}

/** A field middleware, structurally @nestjs/graphql's `FieldMiddleware`. */
type FieldMiddleware = (ctx: FieldMiddlewareContext, next: () => unknown) => Promise<unknown>;

/** What the guard leaves on each GraphQL request's context for the field middleware, which has no injection. */
interface FieldAuthorization {
  readonly oso: OsoService;
  /** The actor of the request, by the guard's rules (module `getActor`, else where the transport keeps it). */
  readonly actorOf: (context: ExecutionContext) => unknown;
}

/** A registered symbol, so that the CommonJS and ES module builds of nestjs-oso, if an app loads both, share it. */
const FIELD_AUTHORIZATION = Symbol.for('nestjs-oso:graphql-fields');

type FieldAuthorizationHolder = { [FIELD_AUTHORIZATION]?: FieldAuthorization };

/** The answers for one object and action: who asks, each field's decision, and the execution they hold for. */
interface RememberedFields {
  /** The execution's root value. */
  root: unknown;
  actor: Promise<unknown>;
  /** Field name → whether `allow_field` allows it. */
  fields: Map<string, Promise<boolean>>;
}

/**
 * The answers per GraphQL request (its context object), then per object and action, then per field: each guarded
 * field of an object is decided once (`OsoService.isFieldAllowed`, compiled like `allow`), and the actor found once
 * per object. A subscription keeps one context for all its events but executes each with the event as root value:
 * an answer holds for one execution, so that an object sent again after a change is decided again.
 */
const fieldAnswersMemo = new WeakMap<object, WeakMap<object, Map<string, RememberedFields>>>();

/**
 * Leaves the service and the actor rules on the GraphQL context of the call, for `authorizeField()`. Called by
 * `OsoGuard` on every root resolver (OsoModule's global guard runs on each), before any skip.
 * @internal
 */
export function shareWithFieldMiddleware(
  context: ExecutionContext,
  oso: OsoService,
  actorOf: (context: ExecutionContext) => unknown,
): void {
  const gqlContext: unknown = context.getArgByIndex(2);
  if (typeof gqlContext !== 'object' || gqlContext === null) return;
  // The first guard of the request wins: OsoModule's global guard, which runs before any other.
  (gqlContext as FieldAuthorizationHolder)[FIELD_AUTHORIZATION] ??= { oso, actorOf };
}

/**
 * A GraphQL field middleware that resolves a field only when the policy's `allow_field(actor, action, object, field)`
 * allows it (the field by its GraphQL name), and otherwise resolves `null` or fails that field alone. Each field of an
 * object is decided once per action in a request, as `OsoService.authorizeField` decides it: by a compiled check
 * when the policy allows (see the `compile` option), else by the engine; a rule allowing any field
 * (`allow_field(_, "read", _: Expense, _field)`) allows them all. The actor is found as `OsoGuard` finds it (the
 * module's `getActor`, else `req.user` of the GraphQL context), once per object. An engine failure fails the field
 * with the internal error, never its value; a field middleware in an app whose `OsoModule` guard did not run on the
 * request fails with an `OsoConfigurationError`.
 *
 * @example
 * @ObjectType()
 * export class Expense {
 *   @Field(() => ID) id!: string;
 *   @Field(() => String, { nullable: true, middleware: [authorizeField()] })
 *   approverNotes?: string;
 *   @Field(() => String, { nullable: true, middleware: [authorizeField({ whenDenied: 'error' })] })
 *   auditTrail?: string;
 * }
 * // policy: allow_field(user: User, "read", expense: Expense, "approverNotes") if allow(user, "approve", expense);
 * @publicApi
 */
export function authorizeField(options: AuthorizeFieldOptions = {}): FieldMiddleware {
  const action = options.action ?? DEFAULT_READ_ACTION;
  const whenDenied = options.whenDenied ?? 'null';
  if (whenDenied !== 'null' && whenDenied !== 'error') {
    throw new OsoConfigurationError(
      `authorizeField({ whenDenied: ${JSON.stringify(whenDenied)} }): whenDenied is 'null' or 'error'`,
    );
  }
  return async (field, next) => {
    const fieldName = field.info?.fieldName;
    if (fieldName === undefined) {
      throw new OsoConfigurationError('authorizeField() runs as a GraphQL field middleware (@Field({ middleware }))');
    }
    const authorization = fieldAuthorizationOf(field.context, fieldName);
    const answers = answersOf(authorization, field, action);
    let decision = answers.fields.get(fieldName);
    if (!decision)
      answers.fields.set(fieldName, (decision = askPolicy(authorization, answers, action, field, fieldName)));
    // The decision first: it fails, coded for GraphQL, when finding the actor failed.
    const allowed = await decision;
    if (allowed) return next();
    const actor = await answers.actor;
    if (whenDenied === 'null') return null;
    const state = new AuthorizationState();
    state.transport = 'graphql';
    const reason = actor == null ? 'unauthenticated' : 'forbidden';
    throw await authorization.oso.denial(state, {
      reason,
      actor: actor ?? null,
      action,
      resource: field.source,
      field: fieldName,
    });
  };
}

function fieldAuthorizationOf(gqlContext: unknown, fieldName: string): FieldAuthorization {
  const authorization =
    typeof gqlContext === 'object' && gqlContext !== null
      ? (gqlContext as FieldAuthorizationHolder)[FIELD_AUTHORIZATION]
      : undefined;
  if (authorization) return authorization;
  throw new OsoConfigurationError(
    `authorizeField() on the field "${fieldName}" found no OsoModule guard on this GraphQL request: import ` +
      'OsoModule in the app (its global guard runs on every query, mutation and subscription), or put OsoGuard ' +
      'on the resolver',
  );
}

/** The answers for the field's object and action in this request, kept for its other guarded fields. */
function answersOf(authorization: FieldAuthorization, field: FieldMiddlewareContext, action: string): RememberedFields {
  const { source, context } = field;
  const root = field.info?.rootValue;
  // Objects only: a WeakMap cannot hold a scalar parent, which is asked at each field.
  if (typeof source !== 'object' || source === null) return newAnswers(authorization, field, root);
  const gqlContext = context as object;
  let perSource = fieldAnswersMemo.get(gqlContext);
  if (!perSource) fieldAnswersMemo.set(gqlContext, (perSource = new WeakMap()));
  let perAction = perSource.get(source);
  if (!perAction) perSource.set(source, (perAction = new Map()));
  const remembered = perAction.get(action);
  if (remembered && remembered.root === root) return remembered;
  const answers = newAnswers(authorization, field, root);
  perAction.set(action, answers);
  return answers;
}

function newAnswers(authorization: FieldAuthorization, field: FieldMiddlewareContext, root: unknown): RememberedFields {
  const call = new ExecutionContextHost([field.source, field.args, field.context, field.info]);
  call.setType('graphql');
  const actor = Promise.resolve().then(() => authorization.actorOf(call));
  // Awaited by each decision, which reports its failure; not an unhandled rejection in between.
  actor.catch(() => undefined);
  return { root, actor, fields: new Map() };
}

async function askPolicy(
  authorization: FieldAuthorization,
  answers: RememberedFields,
  action: string,
  field: FieldMiddlewareContext,
  fieldName: string,
): Promise<boolean> {
  try {
    const actor = await answers.actor;
    return await authorization.oso.isFieldAllowed(actor, action, field.source, fieldName);
  } catch (error) {
    // Coded for GraphQL: an actor resolver's 401 (UNAUTHENTICATED), an engine failure (INTERNAL_SERVER_ERROR).
    throw error instanceof Error ? await toTransportError(error, 'graphql') : error;
  }
}
