import type { Adapter, Class, Oso } from 'oso';
import { buildAuthorizedFilter } from './authorized-filter.js';
import { InMemoryAdapter, InMemoryQuery, type InMemoryAdapterOptions } from './in-memory/in-memory.adapter.js';

/**
 * The query of the resources of `resourceClass` that `actor` may do `action` on, built in one partial evaluation of
 * the policy by `adapter` (by default the engine's, from `oso.setDataFilteringAdapter`). Unlike
 * `Oso.authorizedQuery`, it keeps the joins of each rule apart (see `buildAuthorizedFilter`).
 *
 * @example
 * const query = await buildAuthorizedQuery<SelectQueryBuilder<Expense>>(oso, user, 'read', Expense);
 * const expenses = await query.orderBy('Expense.id').getMany();
 * @throws {DataFilteringError} when the policy has a shape the adapter cannot express.
 * @publicApi
 */
export async function buildAuthorizedQuery<Query = unknown>(
  oso: Oso,
  actor: unknown,
  action: unknown,
  resourceClass: Class | string,
  adapter?: Adapter<Query, unknown>,
): Promise<Query> {
  const filter = await buildAuthorizedFilter(oso, actor, action, resourceClass);
  const query = (adapter ?? (oso.getHost().adapter as Adapter<Query, unknown>)).buildQuery(filter);
  // The in-memory predicate leaves to the engine the items it cannot decide as the engine would.
  if (query instanceof InMemoryQuery) query.isAllowed = (item) => oso.isAllowed(actor, action, item);
  return query;
}

/**
 * The resources of `resourceClass` that `actor` may do `action` on, fetched with one query by `adapter` (by default
 * the engine's).
 *
 * @example
 * const expenses = await fetchAuthorizedResources<Expense>(oso, user, 'read', Expense);
 * @throws {DataFilteringError} when the policy has a shape the adapter cannot express.
 * @publicApi
 */
export async function fetchAuthorizedResources<Resource = unknown>(
  oso: Oso,
  actor: unknown,
  action: unknown,
  resourceClass: Class | string,
  adapter?: Adapter<unknown, unknown>,
): Promise<Resource[]> {
  const chosen = adapter ?? oso.getHost().adapter;
  const query = await buildAuthorizedQuery(oso, actor, action, resourceClass, chosen);
  return (await chosen.executeQuery(query)) as Resource[];
}

/**
 * The items of an array that `actor` may do `action` on, exactly as `isAllowed` would decide each (its errors
 * included), but with ONE partial evaluation of the policy and a JavaScript predicate; the few items the predicate
 * cannot decide as the engine would (a property absent, a value of another type) are asked of `isAllowed`.
 * Relations are joined through `options.collections` (hash joins), or through the items' own loaded properties;
 * without options, an `InMemoryAdapter` the engine was given is used.
 *
 * @example
 * const visible = await filterAuthorizedItems(oso, user, 'read', Expense, expenses, {
 *   collections: { Organization: organizations },
 * });
 * @throws {DataFilteringError} when the policy has a shape the in-memory adapter cannot evaluate.
 * @publicApi
 */
export async function filterAuthorizedItems<Item>(
  oso: Oso,
  actor: unknown,
  action: unknown,
  resourceClass: Class | string,
  items: Iterable<Item>,
  options?: InMemoryAdapterOptions,
): Promise<Item[]> {
  const configured = oso.getHost().adapter;
  const adapter = options || !(configured instanceof InMemoryAdapter) ? new InMemoryAdapter(options) : configured;
  const query = await buildAuthorizedQuery(
    oso,
    actor,
    action,
    resourceClass,
    adapter as Adapter<InMemoryQuery<Item>, unknown>,
  );
  return query.authorizedItems(items);
}
