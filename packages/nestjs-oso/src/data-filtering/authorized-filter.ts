import type { Class, Filter, FilterCondition, Oso } from 'oso';
import { Variable } from '../oso-library.js';
import { Expression } from 'oso/dist/src/Expression.js';
import { Pattern } from 'oso/dist/src/Pattern.js';
import { parseFilter, type FilterJson } from 'oso/dist/src/filter.js';
import { DataFilteringError } from './data-filtering.error.js';
import { conflatedElements } from './partial-expression.js';

/**
 * A join of a filter: from a type, through one of its registered `Relation` fields, to another type.
 *
 * @example
 * const join: FilterRelation = { fromTypeName: 'Expense', fromFieldName: 'organization', toTypeName: 'Organization' };
 * @publicApi
 */
export type FilterRelation = Filter['relations'][number];

/** The comparisons the engine emits; oso's `PolarComparisonOperator` type lacks `In` and `Nin`. @internal */
export type FilterComparison = FilterCondition['cmp'] | 'In' | 'Nin';

/**
 * One way of being authorized: the conditions of one rule (an AND) with the joins that rule needs.
 *
 * @example
 * // allow(user: User, "read", e: Expense) if e.organization.id = user.orgId;
 * const branch: FilterBranch = { relations: [expenseToOrganization], conditions: [orgIdIs42] };
 * @publicApi
 */
export interface FilterBranch {
  /** The joins this branch needs, ordered from the resource outwards. */
  relations: FilterRelation[];
  /** Conditions that must all hold; none means "every resource". */
  conditions: FilterCondition[];
}

/**
 * oso's `Filter` with the joins kept per branch. oso merges the joins of all rules into `relations`, so a rule that
 * does not use a relation could not be told apart from one that only requires it to exist (`_ in foo.logs`); the
 * adapters of this package use `branches` to filter each rule with its own joins.
 *
 * @example
 * const filter = await buildAuthorizedFilter(oso, user, 'read', Expense);
 * filter.branches.length; // one per way of being allowed; 0: nothing is allowed
 * @publicApi
 */
export interface AuthorizedFilter extends Filter {
  /** The OR of the ways of being authorized. An empty list allows nothing. */
  branches: FilterBranch[];
}

/**
 * Partially evaluates `allow(actor, action, resource)` for an unknown resource of `resourceClass` and returns the
 * filter describing the authorized resources, with joins kept per rule (see `AuthorizedFilter`). It is what
 * `Oso.authorizedQuery` computes before calling the adapter, without its loss of precision.
 *
 * @example
 * const filter = await buildAuthorizedFilter(oso, user, 'read', Expense);
 * const query = oso.getHost().adapter.buildQuery(filter);
 * @throws {DataFilteringError} when the class is not registered, or the policy has a shape data filtering cannot
 * express (the message quotes the engine's, which points at the rule).
 * @publicApi
 */
export async function buildAuthorizedFilter(
  oso: Oso,
  actor: unknown,
  action: unknown,
  resourceClass: Class | string,
): Promise<AuthorizedFilter> {
  const host = oso.getHost();
  const model = typeof resourceClass === 'string' ? resourceClass : host.getType(resourceClass)?.name;
  if (model === undefined) {
    throw new DataFilteringError(`Data filtering: class ${(resourceClass as Class).name} is not registered with Polar`);
  }
  const filter: AuthorizedFilter = { model, relations: [], conditions: [], types: host.types, branches: [] };
  const resource = new Variable('resource');
  const isResource = new Expression('Isa', [resource, new Pattern({ tag: model, fields: {} })]);
  const bindings = new Map([['resource', new Expression('And', [isResource])]]);
  try {
    const results = oso.queryRule({ bindings, acceptExpression: true }, 'allow', actor ?? null, action, resource);
    const partials: Array<{ bindings: Map<string, unknown> }> = [];
    for await (const result of results) {
      const conflated = conflatedElements(result.get('resource'));
      if (conflated !== undefined) {
        throw new DataFilteringError(
          `Data filtering cannot express the policy for ${model} and action ${describeAction(action)}: the rule ` +
            `body "${conflated}" constrains two elements of one collection differently, and oso's filter would ` +
            'merge them into one row (dropping resources that isAllowed accepts). Constrain one element, or use ' +
            'isAllowed for this action.',
        );
      }
      partials.push({ bindings: new Map([...result.entries()].map(([name, value]) => [name, host.toPolar(value)])) });
    }
    if (partials.length === 0) return filter;
    const types = host.serializeTypes();
    const build = async (some: typeof partials) =>
      parseFilter(oso.getFfi().buildDataFilter(types, some, 'resource', model) as FilterJson, host);
    // One filter for all results is exact when every branch needs every join; otherwise each result (one way
    // through the rules) is built alone, which keeps its joins apart from the others'.
    const all = await build(partials);
    const exact = exactBranches(all);
    const parts = exact ? [{ ...all, branches: exact }] : await Promise.all(partials.map(async (p) => withBranches(await build([p]))));
    for (const part of parts) {
      for (const relation of part.relations) {
        if (!filter.relations.some((known) => sameRelation(known, relation))) filter.relations.push(relation);
      }
      filter.conditions.push(...part.conditions);
      filter.branches.push(...part.branches);
    }
  } catch (error) {
    if (error instanceof DataFilteringError) throw error;
    throw new DataFilteringError(
      `Data filtering cannot express the policy for ${model} and action ${describeAction(action)}: ` +
        (error as Error).message,
      { cause: error },
    );
  }
  return filter;
}

/**
 * The branches of a filter. For a filter built by `buildAuthorizedFilter` they are exact; for a plain oso `Filter`
 * (from `Oso.authorizedQuery` or from the engine following a relation of an instance) they are recovered from the
 * conditions, which is exact when every branch uses every join, and refused otherwise.
 *
 * @example
 * for (const branch of filterBranches(filter)) console.log(branch.relations.length, branch.conditions.length);
 * @throws {DataFilteringError} when a plain filter's joins cannot be attributed to its branches.
 * @publicApi
 */
export function filterBranches(filter: Filter): FilterBranch[] {
  if ('branches' in filter && Array.isArray((filter as AuthorizedFilter).branches)) {
    return (filter as AuthorizedFilter).branches;
  }
  const branches = exactBranches(filter);
  if (branches) return branches;
  const unused = filter.relations.filter((relation) =>
    filter.conditions.some((conditions) => !typesNeeded(filter.model, filter.relations, conditions).has(relation.toTypeName)),
  );
  throw new DataFilteringError(
    `Data filtering: the filter for ${filter.model} joins ${unused.map(describeRelation).join(', ')} for some ` +
      'of its rules only, and a filter built by Oso.authorizedQuery() does not say for which. Build it with ' +
      'buildAuthorizedFilter() (OsoService.authorizedQuery does), which keeps the joins of each rule.',
  );
}

/** The branches of a plain filter when they are certain: one branch, no join, or every branch using every join. */
function exactBranches(filter: Filter): FilterBranch[] | undefined {
  const branches = filter.conditions.map((conditions) => ({ relations: filter.relations, conditions }));
  if (filter.relations.length === 0 || branches.length <= 1) return branches;
  for (const { conditions } of branches) {
    const needed = typesNeeded(filter.model, filter.relations, conditions);
    if (filter.relations.some((relation) => !needed.has(relation.toTypeName))) return undefined;
  }
  return branches;
}

/** A filter of one result: all its branches share its joins. */
function withBranches(filter: Filter): Filter & { branches: FilterBranch[] } {
  return { ...filter, branches: filter.conditions.map((conditions) => ({ relations: filter.relations, conditions })) };
}

/**
 * Branches that differ only in the value one field is equal to (a role on several organizations gives
 * `Organization.id = 1`, `Organization.id = 5`, ...) merged into one branch with `Organization.id in [1, 5, ...]`:
 * the same filter, with one join and one lookup instead of one per value.
 *
 * @internal
 */
export function mergeBranches(branches: FilterBranch[]): FilterBranch[] {
  const merged: FilterBranch[] = [];
  const groups = new Map<string, { branch: FilterBranch; values: unknown[] }>();
  for (const branch of branches) {
    const single = branch.conditions.length === 1 ? equalityToValue(branch.conditions[0]!) : undefined;
    if (!single) {
      merged.push(branch);
      continue;
    }
    const key = JSON.stringify([branch.relations.map(describeRelation).sort(), single.field.typeName, single.field.fieldName]);
    const group = groups.get(key);
    if (group) {
      group.values.push(single.value);
    } else {
      const values = [single.value];
      const condition = { lhs: single.field, cmp: 'In', rhs: { value: values } } as unknown as FilterCondition;
      const mergedBranch = { relations: branch.relations, conditions: [condition] };
      groups.set(key, { branch: mergedBranch, values });
      merged.push(mergedBranch);
    }
  }
  // A group of one stays the plain equality it was.
  return merged.map((branch) => {
    const group = [...groups.values()].find((g) => g.branch === branch);
    if (!group || group.values.length > 1) return branch;
    const [condition] = branch.conditions;
    return { relations: branch.relations, conditions: [{ lhs: condition!.lhs, cmp: 'Eq', rhs: { value: group.values[0] } }] };
  });
}

/** `field = value` (either way round) with a plain, non-nil value. */
function equalityToValue(condition: FilterCondition): { field: { typeName: string; fieldName: string }; value: unknown } | undefined {
  if (condition.cmp !== 'Eq') return undefined;
  for (const [a, b] of [[condition.lhs, condition.rhs], [condition.rhs, condition.lhs]] as const) {
    if ('typeName' in a && a.fieldName !== undefined && 'value' in b && ['string', 'number', 'boolean'].includes(typeof b.value)) {
      return { field: { typeName: a.typeName, fieldName: a.fieldName }, value: b.value };
    }
  }
  return undefined;
}

/** Relations in an order where each one starts from the root or from an earlier relation's target. @internal */
export function orderRelations(model: string, relations: FilterRelation[]): FilterRelation[] {
  const known = new Set([model]);
  const ordered: FilterRelation[] = [];
  let rest = [...relations];
  while (rest.length > 0) {
    const ready = rest.filter((relation) => known.has(relation.fromTypeName));
    if (ready.length === 0) {
      throw new DataFilteringError(`Data filtering: the joins of ${model} (${rest.map(describeRelation).join(', ')}) do not start from it`);
    }
    for (const relation of ready) {
      ordered.push(relation);
      known.add(relation.toTypeName);
    }
    rest = rest.filter((relation) => !ready.includes(relation));
  }
  return ordered;
}

/** The types a branch's conditions refer to, and the types on the way from the root to them. */
function typesNeeded(model: string, relations: FilterRelation[], conditions: FilterCondition[]): Set<string> {
  const needed = new Set<string>();
  for (const { lhs, rhs } of conditions) {
    for (const datum of [lhs, rhs]) if ('typeName' in datum) needed.add(datum.typeName);
  }
  let grew = true;
  while (grew) {
    grew = false;
    for (const relation of relations) {
      if (needed.has(relation.toTypeName) && !needed.has(relation.fromTypeName)) {
        needed.add(relation.fromTypeName);
        grew = true;
      }
    }
  }
  needed.delete(model);
  return needed;
}

function describeAction(action: unknown): string {
  return typeof action === 'string' ? JSON.stringify(action) : String(action);
}

function sameRelation(a: FilterRelation, b: FilterRelation): boolean {
  return a.fromTypeName === b.fromTypeName && a.fromFieldName === b.fromFieldName && a.toTypeName === b.toTypeName;
}

/** `Expense.organization -> Organization`, for messages. @internal */
export function describeRelation(relation: FilterRelation): string {
  return `${relation.fromTypeName}.${relation.fromFieldName} -> ${relation.toTypeName}`;
}
