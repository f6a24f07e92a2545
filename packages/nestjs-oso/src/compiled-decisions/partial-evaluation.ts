/**
 * Asks the engine for the partial evaluation of a decision rule, `allow(actor, action, resource)` or
 * `allow_field(actor, action, resource, field)`, with the actor and the resource unknown, the action fixed, and the
 * field fixed or unknown. It leans on oso 0.27's internals more than any other file (all taken from
 * `engine/oso-internals.ts`; pinned by the `~0.27.3` dependency): the query runs on a clone of the engine's host so
 * that two of its answers can be changed without touching the engine itself.
 */
import type { Oso } from 'oso';
import { Variable } from '../engine/oso-library.js';
import { Expression, type Host, Host as HostClass, Pattern, Predicate, Query } from '../engine/oso-internals.js';

/** What stands for the actor or the resource in the query. */
export type PartialArgument =
  /** Unknown, of a registered class: `Isa(variable, Tag{})` is bound, as `Oso.authorizedQuery` does. */
  | { kind: 'instance-of'; tag: string }
  /** Unknown, of no known class. */
  | { kind: 'unknown' }
  /** A value known at compile time (`null` or `undefined`). */
  | { kind: 'value'; value: null | undefined };

/** The rule a decision asks, with its fixed action and, for `allow_field`, its field. */
export interface DecisionQuery {
  rule: 'allow' | 'allow_field';
  action: unknown;
  /**
   * `allow_field`'s field: fixed like the action, or unknown like the actor. Fixed, the partial evaluator drops the
   * ways of the other fields, which the engine may follow up to the test of the field (see `guardFieldDecision`).
   */
  field?: { value: unknown } | 'unknown';
}

/** The bounds of one partial evaluation. */
export interface PartialEvaluationLimits {
  /** More results than this usually means recursion the partial evaluator cannot finish. */
  maxResults: number;
  /** Wall-clock bound, checked whenever the engine hands control back. */
  timeoutMs: number;
}

/** Why a partial evaluation cannot stand for the engine. */
export class PartialEvaluationRefused extends Error {}

/**
 * The two forms of the query:
 * - `separate`: `allow(actor, action, resource)` with two unknowns. Its constraints are right, but each comes
 *   filed under the variable it concerns, so the order in which the engine meets them is lost between the two.
 * - `single`: `allow(x.actor, action, x.resource)` with one unknown `x`. Its constraints come in the engine's
 *   order, but it loses some (a variable bound to one path, then unified with another), so it is only used once
 *   it is shown to hold the same constraints as the `separate` form; and it makes the WebAssembly module panic on
 *   some local variables and negations (the query is lost, the engine is not), so it is only asked without them;
 *   it panics too on an unknown field (`x.field`) bound to a value, so an unknown field is asked in `separate` form.
 */
export type PartialForm = 'separate' | 'single';

/**
 * Runs the partial query and returns its results (one map of bindings per result, each binding an `And` of
 * constraints over `_this`, the other variable and local variables).
 *
 * Two answers of the host differ from the engine's own, both to keep every branch the concrete engine could take:
 * - `isaWithPath` (is `resource.organization` an `Organization`?) answers yes. The engine answers from the
 *   `fields` types given at registration and says no when there are none, which drops the branch: the RBAC policy
 *   of the benchmark yields no result at all that way. Answering yes keeps the branch and the `Isa` constraint
 *   itself, which the compiled check then tests on the real value.
 * - Calls into the application (a method or attribute of a constant, `new`, iterating a constant) are recorded:
 *   their answer is fixed into the result, though it could change between requests, so the caller refuses it.
 *
 * @throws {PartialEvaluationRefused} on too many results, a timeout or a call into the application.
 */
export async function partiallyEvaluateDecision(
  engine: Oso,
  decision: DecisionQuery,
  actor: PartialArgument,
  resource: PartialArgument,
  limits: PartialEvaluationLimits,
  form: PartialForm,
): Promise<Array<Map<string, unknown>>> {
  const deadline = Date.now() + limits.timeoutMs;
  const host = HostClass.clone(engine.getHost(), { acceptExpression: true }) as Host<unknown, unknown>;
  const calls: string[] = [];
  const overridable = host as unknown as Record<string, unknown>;
  overridable.isaWithPath = async () => true;
  const makeInstance = host.makeInstance.bind(host);
  overridable.makeInstance = async (name: string, fields: never[], id: number) => {
    calls.push(`new ${name}(...)`);
    return makeInstance(name, fields, id);
  };

  const bindings = new Map<string, unknown>(decision.action === ANY_ACTION ? [] : [[ACTION, decision.action]]);
  let ffiQuery;
  if (form === 'separate') {
    const argument = (name: string, spec: PartialArgument): unknown => {
      if (spec.kind === 'value') return spec.value;
      if (spec.kind === 'instance-of') bindings.set(name, new Expression('And', [isa(new Variable(name), spec.tag)]));
      return new Variable(name);
    };
    const predicate = new Predicate(decision.rule, [
      argument('actor', actor),
      new Variable(ACTION),
      argument('resource', resource),
      ...fieldArgument(decision, bindings).map((name) =>
        name === FIELD_VALUE ? new Variable(name) : argument(name, { kind: 'unknown' }),
      ),
    ]);
    ffiQuery = engine.getFfi().newQueryFromTerm(host.toPolar(predicate));
  } else {
    const x = new Variable(SINGLE);
    const constraints: unknown[] = [];
    const argument = (name: string, spec: PartialArgument): string => {
      if (spec.kind === 'value') {
        bindings.set(`${name}_value`, spec.value);
        return `${name}_value`;
      }
      if (spec.kind === 'instance-of') constraints.push(isa(new Expression('Dot', [x, name]), spec.tag));
      return `${SINGLE}.${name}`;
    };
    const field = fieldArgument(decision, bindings).map((name) =>
      name === FIELD_VALUE ? name : argument(name, { kind: 'unknown' }),
    );
    const query = `${decision.rule}(${[argument('actor', actor), ACTION, argument('resource', resource), ...field].join(', ')})`;
    // An empty conjunction still makes `x` unknown, like the `Isa` constraints do.
    bindings.set(SINGLE, new Expression('And', constraints));
    ffiQuery = engine.getFfi().newQueryFromStr(query);
  }
  (engine as unknown as { processMessages(): void }).processMessages();
  if (form === 'single') {
    // The `single` form can make the WebAssembly module panic (its query is then unusable, the engine is not);
    // the panic hook's console output is kept quiet during each synchronous step, and the error handled by the caller.
    const step = ffiQuery.nextEvent.bind(ffiQuery);
    ffiQuery.nextEvent = () => {
      const error = console.error;
      console.error = () => undefined;
      try {
        return step();
      } finally {
        console.error = error;
      }
    };
  }
  const query = new Query(ffiQuery, host, bindings);
  const hooks = query as unknown as Record<string, (...args: unknown[]) => Promise<void>>;
  const handleCall = hooks.handleCall!.bind(query);
  hooks.handleCall = (attribute, callId, instance, args) => {
    calls.push(`.${String(attribute)}${args ? '(...)' : ''}`);
    return handleCall(attribute, callId, instance, args);
  };
  const handleNextExternal = hooks.handleNextExternal!.bind(query);
  hooks.handleNextExternal = (callId, iterable) => {
    calls.push('iteration over an application value');
    return handleNextExternal(callId, iterable);
  };

  const results: Array<Map<string, unknown>> = [];
  const iterator = query.results;
  try {
    for (;;) {
      const { done, value } = await iterator.next();
      if (done) break;
      for (const name of [ACTION, FIELD_VALUE, 'actor_value', 'resource_value'])
        if (name !== ACTION || decision.action !== ANY_ACTION) value.delete(name);
      results.push(value);
      if (results.length > limits.maxResults) {
        throw new PartialEvaluationRefused(`more than ${limits.maxResults} alternatives (unbounded recursion?)`);
      }
      if (Date.now() > deadline)
        throw new PartialEvaluationRefused(`partial evaluation took over ${limits.timeoutMs} ms`);
    }
  } finally {
    await iterator.return(undefined);
  }
  if (calls.length > 0) {
    throw new PartialEvaluationRefused(
      `the policy calls into the application while deciding (${[...new Set(calls)].join(', ')}), whose answer may change between requests`,
    );
  }
  return results;
}

/** The variable of the `single` form. */
export const SINGLE = 'x';
/**
 * The action of a listing (`authorizedActions`): unknown, asked in `separate` form only; each result then keeps the
 * action's binding under `ACTION` (a value, or absent when the result allows any action).
 */
export const ANY_ACTION: unique symbol = Symbol('any action');
export const ACTION = 'action_value';
const FIELD_VALUE = 'field_value';

/** The name of the field's argument, if the rule has one: bound to the fixed field, or the unknown `field`. */
function fieldArgument(decision: DecisionQuery, bindings: Map<string, unknown>): string[] {
  if (decision.field === undefined) return [];
  if (decision.field === 'unknown') return ['field'];
  bindings.set(FIELD_VALUE, decision.field.value);
  return [FIELD_VALUE];
}

function isa(term: unknown, tag: string): Expression {
  return new Expression('Isa', [term, new Pattern({ tag, fields: {} })]);
}
