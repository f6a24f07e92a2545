import type { Class, Filter, FilterCondition, Oso } from 'oso';
import { Variable } from '../engine/oso-library.js';
import { Expression, Pattern, parseFilter, type FilterJson } from '../engine/oso-internals.js';
import { DataFilteringError } from '../errors/data-filtering.error.js';
import { policyFeaturesOf } from '../compiled-decisions/policy-sources.js';
import { conflatedElements } from './partial-expression.js';
import { ActorRecording } from './actor-recording.js';
import { queryPartialAllow, rememberedFilters } from './remembered-filters.js';

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
  const reflexive = policyFeaturesOf(oso)?.reflexive;
  if (reflexive !== undefined) {
    throw new DataFilteringError(
      `Data filtering cannot express the policy for ${model} and action ${describeAction(action)}: it compares an ` +
        `attribute with itself ("${reflexive}"), which the engine's partial evaluation drops, so no filter would read ` +
        'the attribute that isAllowed reads (and raises on when it is absent). Remove the comparison, or use isAllowed.',
    );
  }
  const remembered = rememberedFilters(oso, action, model);
  const known = remembered?.recall(actor ?? null);
  const recalled = known instanceof Promise ? await known : known;
  if (recalled) return recalled as AuthorizedFilter;
  const recording = remembered && new ActorRecording(actor ?? null, (value) => host.types.has(value as Class));
  try {
    const filter = await evaluateFilter(oso, recording?.root ?? actor ?? null, action, model, recording);
    if (recording) {
      recording.finish();
      // The engine was given the actor's proxies; the filter carries the real objects.
      for (const branch of [filter.conditions, ...filter.branches.map((b) => b.conditions)]) {
        for (const condition of branch.flat()) {
          for (const side of [condition.lhs, condition.rhs]) {
            if ('value' in side) (side as { value: unknown }).value = recording.unwrap(side.value);
          }
        }
      }
      remembered!.remember(recording, filter);
    }
    return filter;
  } finally {
    recording?.finish();
  }
}

/**
 * The partial evaluation behind `buildAuthorizedFilter`, never remembered; its actor recorded when `recording` is
 * given.
 * @internal
 */
export async function evaluateFilter(
  oso: Oso,
  actor: unknown,
  action: unknown,
  model: string,
  recording: ActorRecording | undefined,
): Promise<AuthorizedFilter> {
  const host = oso.getHost();
  const filter: AuthorizedFilter = { model, relations: [], conditions: [], types: host.types, branches: [] };
  const resource = new Variable('resource');
  const isResource = new Expression('Isa', [resource, new Pattern({ tag: model, fields: {} })]);
  const bindings = new Map([['resource', new Expression('And', [isResource])]]);
  try {
    const results = queryPartialAllow(oso, bindings, actor, action, resource, recording);
    const partials: Array<{ bindings: Map<string, unknown> }> = [];
    // The partial expression of each result, as the engine gave it (`partials` holds it serialized).
    const expressions = new Map<object, unknown>();
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
      const partial = { bindings: new Map([...result.entries()].map(([name, value]) => [name, host.toPolar(value)])) };
      expressions.set(partial, result.get('resource'));
      partials.push(partial);
    }
    if (partials.length === 0) return filter;
    const types = host.serializeTypes() as SerializedTypes;
    const build = async (some: typeof partials, serialized = types) =>
      parseFilter(oso.getFfi().buildDataFilter(serialized, some, 'resource', model) as FilterJson, host);
    // One filter for all results is exact when every branch needs every join and no type is reached twice;
    // otherwise each result (one way through the rules) is built alone, which keeps its joins apart from the others'.
    // When the engine cannot build them together (two results reaching one type through different relations can
    // make it fail), each is built alone too, where a failure is final.
    const all = partials.length === 1 ? undefined : await build(partials).catch(() => undefined);
    const exact = all && exactBranches(all);
    const parts = exact
      ? [{ ...all, branches: exact }]
      : await Promise.all(
          partials.map(async (p) => withBranches(await buildResult(p, expressions.get(p), types, build))),
        );
    for (const part of parts) {
      // Aliases of types (see buildResult) join the filter's types, in a copy: the engine's own stay as they are.
      if (part.types !== host.types) filter.types = new Map([...filter.types, ...part.types]);
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
    filter.conditions.some(
      (conditions) => !typesNeeded(filter.model, filter.relations, conditions).has(relation.toTypeName),
    ),
  );
  const shared = filter.relations.filter((relation) =>
    filter.relations.some((other) => other !== relation && other.toTypeName === relation.toTypeName),
  );
  throw new DataFilteringError(
    `Data filtering: the filter for ${filter.model} joins ${[...new Set([...unused, ...shared])].map(describeRelation).join(', ')} ` +
      'for some of its rules only, or reaches one type through two relations, and a filter built by ' +
      'Oso.authorizedQuery() does not say which rule joins what. Build it with ' +
      'buildAuthorizedFilter() (OsoService.authorizedQuery does), which keeps the joins of each rule.',
  );
}

/**
 * The branches of a plain filter when they are certain: one branch, no join, or every branch using every join and
 * no type joined through two relations (oso names joined rows by type, so `Doc.author -> User` and
 * `Comment.author -> User` of two rules would be read as one row).
 */
function exactBranches(filter: Filter): FilterBranch[] | undefined {
  const branches = filter.conditions.map((conditions) => ({ relations: filter.relations, conditions }));
  if (filter.relations.length === 0 || branches.length <= 1) return branches;
  const targets = new Set(filter.relations.map((relation) => relation.toTypeName));
  if (targets.size < filter.relations.length) return undefined;
  for (const { conditions } of branches) {
    const needed = typesNeeded(filter.model, filter.relations, conditions);
    if (filter.relations.some((relation) => !needed.has(relation.toTypeName))) return undefined;
  }
  return branches;
}

/** The types as serialized for the engine's filter builder: fields by name, per Polar type name. */
type SerializedTypes = Record<
  string,
  Record<string, { Relation?: { other_class_tag: string } } & Record<string, unknown>>
>;

/** What the engine says when one result reaches a type through two relations. */
const REACHED_TWICE = /Type `(.+?)` occurs more than once as the target of a relation/;

/**
 * The filter of one result (one way through the rules). The engine names joined rows by type and refuses a result
 * that reaches one type through two relations (`d.author.isAdmin and c in d.comments and c.author.isAdmin`). Each
 * relation into such a type is then given a type of its own, an alias (`User~1`, `User~2`) with the same class and
 * fields, so that each way has its own row; `filter.types` maps the alias to the type (`polarTypeName`).
 */
async function buildResult(
  partial: { bindings: Map<string, unknown> },
  expression: unknown,
  types: SerializedTypes,
  build: (some: Array<typeof partial>, serialized: SerializedTypes) => Promise<Filter>,
): Promise<Filter> {
  let serialized = types;
  const aliases = new Map<string, string>();
  for (;;) {
    try {
      const filter = await build([partial], serialized);
      if (aliases.size === 0) return filter;
      const withAliases = new Map(filter.types);
      for (const [alias, name] of aliases) withAliases.set(alias, filter.types.get(name)!);
      return { ...filter, types: withAliases };
    } catch (error) {
      const twice = REACHED_TWICE.exec((error as Error)?.message ?? '')?.[1];
      // Aliases give each relation its own row, which is exact only when no row is reached twice (`u in p.users and
      // u in t.users`, `foo in foo.bar.foos`) and no type check on a path (`d.author matches User`) needs the name.
      if (twice === undefined || checksTypeOnPath(expression, twice) || reachesOneRowTwice(expression)) throw error;
      const next = aliasTargets(serialized, twice, aliases);
      if (next === undefined) throw error;
      serialized = next;
    }
  }
}

/** The types with each relation into `typeName` (or into one of its aliases) pointed at a new alias of it. */
function aliasTargets(
  types: SerializedTypes,
  typeName: string,
  aliases: Map<string, string>,
): SerializedTypes | undefined {
  const real = aliases.get(typeName) ?? typeName;
  const copy: SerializedTypes = {};
  for (const [name, fields] of Object.entries(types)) copy[name] = { ...fields };
  let changed = false;
  for (const fields of Object.values(copy)) {
    for (const [field, type] of Object.entries(fields)) {
      const target = type.Relation?.other_class_tag;
      if (target === undefined || (aliases.get(target) ?? target) !== real) continue;
      // Relations into other aliases of the type keep theirs.
      if (target !== typeName && aliases.has(target)) continue;
      const alias = `${real}~${aliases.size + 1}`;
      aliases.set(alias, real);
      copy[alias] = { ...types[real] };
      fields[field] = { ...type, Relation: { ...type.Relation!, other_class_tag: alias } };
      changed = true;
    }
  }
  // Bounded: each round gives every relation into the type its own alias, so a second round for it changes nothing.
  return changed && aliases.size < 64 ? copy : undefined;
}

/**
 * Whether one variable (the resource included) is reached through two paths (`u in post.users and u in t.users`),
 * or two paths are unified (`d.author = c.author`): aliases would lose that both are one row.
 */
function reachesOneRowTwice(expression: unknown): boolean {
  if (!(expression instanceof Expression) || expression.operator !== 'And') return true;
  const reached = new Map<string, number>([['_this', 1]]);
  for (const operation of expression.args) {
    if (!(operation instanceof Expression)) continue;
    const [left, right] = operation.args;
    if (operation.operator === 'In' && left instanceof Variable && isPath(right)) {
      reached.set(left.name, (reached.get(left.name) ?? 0) + 1);
    } else if (operation.operator === 'Unify' || operation.operator === 'Eq') {
      if (isDotPath(left) && isDotPath(right)) return true;
      for (const [a, b] of [
        [left, right],
        [right, left],
      ]) {
        if (a instanceof Variable && isDotPath(b)) reached.set(a.name, (reached.get(a.name) ?? 0) + 1);
      }
    } else if (!['Isa', 'In', 'Neq', 'Lt', 'Leq', 'Gt', 'Geq'].includes(operation.operator)) {
      // Anything else (Or, Not, calls): not analysed, so not aliased.
      return true;
    }
  }
  return [...reached.values()].some((count) => count > 1);
}

function isDotPath(term: unknown): boolean {
  return term instanceof Expression && term.operator === 'Dot' && isPath(term.args[0]);
}

function isPath(term: unknown): boolean {
  return term instanceof Variable || isDotPath(term);
}

/** Whether the partial expression checks the type of something else than the resource against `typeName`. */
function checksTypeOnPath(expression: unknown, typeName: string): boolean {
  if (!(expression instanceof Expression)) return false;
  if (expression.operator === 'Isa') {
    const [subject, pattern] = expression.args;
    const isRoot = subject instanceof Variable && subject.name === '_this';
    return !isRoot && pattern instanceof Pattern && pattern.tag === typeName;
  }
  return expression.args.some((arg) => checksTypeOnPath(arg, typeName));
}

/**
 * The Polar type a filter's type name stands for: the name itself, or the type of an alias that
 * `buildAuthorizedFilter` gave to one of two relations into the same type (`User~2` is a `User`). Adapters look up
 * entities and collections by this name, and keep one row per name.
 *
 * @example
 * polarTypeName(filter, relation.toTypeName); // 'User' for 'User~2'
 * @publicApi
 */
export function polarTypeName(filter: Filter, typeName: string): string {
  const type = filter.types.get(typeName);
  return typeof type?.name === 'string' ? type.name : typeName;
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
    const key = JSON.stringify([
      branch.relations.map(describeRelation).sort(),
      single.field.typeName,
      single.field.fieldName,
    ]);
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
    return {
      relations: branch.relations,
      conditions: [{ lhs: condition!.lhs, cmp: 'Eq', rhs: { value: group.values[0] } }],
    };
  });
}

/** `field = value` (either way round) with a plain, non-nil value. */
function equalityToValue(
  condition: FilterCondition,
): { field: { typeName: string; fieldName: string }; value: unknown } | undefined {
  if (condition.cmp !== 'Eq') return undefined;
  for (const [a, b] of [
    [condition.lhs, condition.rhs],
    [condition.rhs, condition.lhs],
  ] as const) {
    if (
      'typeName' in a &&
      a.fieldName !== undefined &&
      'value' in b &&
      ['string', 'number', 'boolean'].includes(typeof b.value)
    ) {
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
      throw new DataFilteringError(
        `Data filtering: the joins of ${model} (${rest.map(describeRelation).join(', ')}) do not start from it`,
      );
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
