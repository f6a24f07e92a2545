/**
 * A data filtering relation fetched for a compiled decision exactly as the engine fetches it (oso 0.27,
 * `Query.handleRelation`): one adapter query for the rows whose `otherField` equals the receiver's `myField`, as read
 * from the receiver. A `one` relation is the single row; a `many` relation is the rows. A loaded relation object on
 * the receiver is never read: the engine does not read it either, so a stale or forged one changes nothing.
 *
 * What the engine would fail on (an unregistered class, an adapter that throws, a `one` relation with no row or with
 * several) is not answered here: the decision goes to the engine, which fails or answers on its own.
 */
import type { Oso } from 'oso';
import { AskEngine, type FetchRelation } from './polar-values.js';

const ASK_UNREGISTERED = new AskEngine('a data filtering relation to a class that is not registered');
const ASK_QUERY_FAILED = new AskEngine('a data filtering relation whose adapter query failed');
const ASK_NOT_ONE = new AskEngine('a data filtering relation of kind "one" that did not find exactly one object');

/** What the adapter returns for `need.receiver[need.attribute]`; rejects with an `AskEngine` when only the engine can tell. */
export async function fetchRelation(engine: Oso, need: FetchRelation): Promise<unknown> {
  const host = engine.getHost();
  const { relation, receiver } = need;
  if (host.getType(relation.otherType) === undefined) throw ASK_UNREGISTERED;
  let results: unknown;
  try {
    // The same filter as the engine's, down to reading the key as a plain property (undefined when missing).
    const value = (receiver as Record<string, unknown>)[relation.myField];
    const filter = {
      model: relation.otherType,
      relations: [],
      conditions: [
        [{ lhs: { typeName: relation.otherType, fieldName: relation.otherField }, cmp: 'Eq' as const, rhs: { value } }],
      ],
      types: host.types,
    };
    results = await host.adapter.executeQuery(host.adapter.buildQuery(filter));
  } catch {
    throw ASK_QUERY_FAILED;
  }
  if (relation.kind === 'one') {
    if ((results as { length?: unknown } | null | undefined)?.length !== 1) throw ASK_NOT_ONE;
    return (results as unknown[])[0];
  }
  return results;
}

/**
 * The relations one call (an HTTP request, a GraphQL operation, a message) has fetched for its compiled decisions, so
 * that each (relation, key value) is fetched once per call: the 100 rows of a page that all belong to one
 * organization, and the actor's memberships that every row's check reads, cost one query each instead of one per
 * check. Within the call this is a snapshot, as the decisions it remembers are (`DecisionMemo`): a handler that
 * changes those rows and checks again in the same call sees them as first fetched. A fetch in flight is shared, so
 * the checks of a page made together (`Promise.all`) wait for one query.
 */
export class RelationFetches {
  private readonly byRelation = new Map<object, Map<unknown, Promise<unknown>>>();

  /** `fetchRelation(engine, need)`, or its answer (or failure) for the same relation and key value in this call. */
  fetch(engine: Oso, need: FetchRelation): Promise<unknown> {
    const key = (need.receiver as Record<string, unknown>)[need.relation.myField];
    // Only keys that compare by value: an object key is fetched each time, as without sharing.
    if (key !== null && (typeof key === 'object' || typeof key === 'function')) return fetchRelation(engine, need);
    let byKey = this.byRelation.get(need.relation);
    if (!byKey) this.byRelation.set(need.relation, (byKey = new Map()));
    let fetched = byKey.get(key);
    if (!fetched) byKey.set(key, (fetched = fetchRelation(engine, need)));
    return fetched;
  }
}

const fetchesOfCalls = new WeakMap<object, RelationFetches>();

/** The relations fetched so far in a call, by the call's state object (created on the call's first fetch). */
export function relationFetchesOf(call: object): RelationFetches {
  let fetches = fetchesOfCalls.get(call);
  if (!fetches) fetchesOfCalls.set(call, (fetches = new RelationFetches()));
  return fetches;
}
