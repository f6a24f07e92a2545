import { isDeepStrictEqual } from 'node:util';
import type { Adapter, Datum, Filter, FilterCondition } from 'oso';
import { filterBranches, mergeBranches, orderRelations, type FilterBranch, type FilterComparison, type FilterRelation } from './authorized-filter.js';
import { DataFilteringError, describeCondition } from './data-filtering.error.js';
import { registeredRelation } from './registered-relation.js';

/**
 * Options of the in-memory adapter.
 *
 * @example
 * new InMemoryAdapter({ collections: { Organization: () => organizations.values() }, keys: { Organization: 'uuid' } })
 * @publicApi
 */
export interface InMemoryAdapterOptions {
  /**
   * The items of each Polar type, by Polar name: what relations join to (by hash join on the registered
   * `Relation` fields), and what `executeQuery` filters. A function is called again at each query.
   */
  collections?: Record<string, Iterable<unknown> | (() => Iterable<unknown>)>;
  /** The identity field of each Polar type, used when a policy compares whole objects; defaults to `id`. */
  keys?: Record<string, string>;
}

/**
 * The authorized subset of a collection, as a compiled predicate: `filter(items)` keeps the items the policy allows.
 * Built once per (actor, action, type); it reads the related collections again at each `filter` call.
 *
 * @example
 * const query = await buildAuthorizedQuery<InMemoryQuery<Expense>>(oso, user, 'read', Expense);
 * const visible = query.filter(expenses);
 * @publicApi
 */
export class InMemoryQuery<T = unknown> {
  /** @internal */
  constructor(
    /** The Polar name of the filtered type. */
    readonly model: string,
    private readonly branches: CompiledBranch[],
    private readonly adapter: InMemoryAdapter,
  ) {}

  /**
   * The items the policy allows, in their original order (like `Array.prototype.filter`).
   *
   * @example
   * const visible = query.filter(await repository.find());
   */
  filter(items: Iterable<T>): T[] {
    const context = new JoinContext(this.adapter);
    const kept: T[] = [];
    for (const item of items) if (this.branches.some((branch) => branch(item, context))) kept.push(item);
    return kept;
  }

  /**
   * Whether the policy allows this one item.
   *
   * @example
   * if (query.matches(expense)) show(expense);
   */
  matches(item: T): boolean {
    const context = new JoinContext(this.adapter);
    return this.branches.some((branch) => branch(item, context));
  }
}

/**
 * A data filtering adapter for objects in memory: it compiles oso's filter into a JavaScript predicate (joins are
 * hash joins on the registered `Relation` fields, over `collections`), so that 10,000 items are filtered with one
 * partial evaluation of the policy instead of 10,000 `isAllowed` calls.
 *
 * @example
 * const adapter = new InMemoryAdapter({ collections: { Organization: organizations, Expense: expenses } });
 * oso.setDataFilteringAdapter(adapter);
 * const visible = (await buildAuthorizedQuery<InMemoryQuery<Expense>>(oso, user, 'read', Expense)).filter(expenses);
 * @publicApi
 */
export class InMemoryAdapter implements Adapter<InMemoryQuery, unknown> {
  constructor(private readonly options: InMemoryAdapterOptions = {}) {}

  /**
   * Compiles a filter into a query object.
   *
   * @example
   * const query = adapter.buildQuery(await buildAuthorizedFilter(oso, user, 'read', 'Expense'));
   * @throws {DataFilteringError} on a condition it cannot evaluate, naming it.
   */
  buildQuery(filter: Filter): InMemoryQuery {
    return new InMemoryQuery(
      filter.model,
      mergeBranches(filterBranches(filter)).map((branch) => compileBranch(filter, branch, this)),
      this,
    );
  }

  /**
   * The items of the query's type (from `collections`) that the query keeps.
   *
   * @example
   * const expenses = await adapter.executeQuery(query);
   * @throws {DataFilteringError} when `collections` has no entry for the type, or `query` is not an `InMemoryQuery`.
   */
  async executeQuery(query: unknown): Promise<unknown[]> {
    // Typed `unknown` so that the adapter fits an `Oso` of any query type.
    if (!(query instanceof InMemoryQuery)) {
      throw new DataFilteringError('InMemoryAdapter.executeQuery: expected a query built by buildQuery');
    }
    const items = this.collection(query.model);
    if (!items) {
      throw new DataFilteringError(
        `InMemoryAdapter: no collection for ${query.model}; pass it in the "collections" option, or filter your own ` +
          'items with query.filter(items)',
      );
    }
    return query.filter(items);
  }

  /** @internal */
  collection(typeName: string): Iterable<unknown> | undefined {
    const source = this.options.collections?.[typeName];
    return typeof source === 'function' ? source() : source;
  }

  /** @internal */
  keyOf(typeName: string): string {
    return this.options.keys?.[typeName] ?? 'id';
  }
}

/** A compiled branch: does this root item, with some choice of related items, satisfy every condition? */
type CompiledBranch = (item: unknown, context: JoinContext) => boolean;
type Env = unknown[];
type Test = (env: Env) => boolean;

/** Hash indexes over the collections, built lazily and shared by the items of one `filter` call. */
class JoinContext {
  private readonly indexes = new Map<string, Map<unknown, unknown[]>>();

  constructor(readonly adapter: InMemoryAdapter) {}

  index(typeName: string, field: string, relation: string): Map<unknown, unknown[]> | undefined {
    const id = `${typeName}\u0000${field}`;
    let index = this.indexes.get(id);
    if (!index) {
      const items = this.adapter.collection(typeName);
      if (!items) return undefined;
      index = new Map();
      for (const item of items) {
        const key = (item as Record<string, unknown>)?.[field];
        if (typeof key === 'object' && key !== null) {
          // Hash joins match single keys; a list or an object here would silently match nothing.
          throw new DataFilteringError(
            `InMemoryAdapter: cannot follow ${relation}: ${typeName}.${field} holds ${Array.isArray(key) ? 'a list' : 'an object'}, ` +
              'not a key; register a Relation on key fields, or load the relation on the items',
          );
        }
        const bucket = index.get(key);
        if (bucket) bucket.push(item);
        else index.set(key, [item]);
      }
      this.indexes.set(id, index);
    }
    return index;
  }
}

function compileBranch(filter: Filter, branch: FilterBranch, adapter: InMemoryAdapter): CompiledBranch {
  // Slot 0 holds the root item; each join adds the slot of its target type.
  const slots = new Map<string, number>([[filter.model, 0]]);
  const joins: Array<{ from: number; relation: FilterRelation }> = [];
  for (const relation of orderRelations(filter.model, branch.relations)) {
    joins.push({ from: slots.get(relation.fromTypeName)!, relation });
    slots.set(relation.toTypeName, slots.size);
  }
  // Each condition is checked as soon as every slot it reads is filled.
  const testsAt: Test[][] = Array.from({ length: slots.size }, () => []);
  for (const condition of branch.conditions) {
    const compiled = compileCondition(condition, slots, adapter);
    if (compiled === true) continue;
    if (compiled === false) return () => false;
    testsAt[compiled.slot]!.push(compiled.test);
  }
  const steps = joins.map(({ from, relation }) => joinStep(filter, from, relation));
  const rootTests = testsAt[0]!;

  if (steps.length === 0) {
    if (rootTests.length === 1) {
      const [test] = rootTests;
      return (item) => test!([item]);
    }
    return (item) => rootTests.every((test) => test([item]));
  }
  // Joins: a depth-first search for related items that pass the tests of their slot. `filter` is synchronous, so
  // one environment per branch is reused from item to item.
  const env: Env = new Array(slots.size);
  let context: JoinContext;
  const passes = (tests: Test[]): boolean => {
    for (let t = 0; t < tests.length; t++) if (!tests[t]!(env)) return false;
    return true;
  };
  const search = (step: number): boolean => {
    if (step === steps.length) return true;
    const candidates = steps[step]!(env, context);
    const tests = testsAt[step + 1]!;
    for (let i = 0; i < candidates.length; i++) {
      env[step + 1] = candidates[i];
      if (passes(tests) && search(step + 1)) return true;
    }
    return false;
  };
  return (item, joinContext) => {
    env[0] = item;
    context = joinContext;
    return passes(rootTests) && search(0);
  };
}

/**
 * The related items of one join: the relation as the item carries it (a loaded ORM relation, nested data), or else
 * a hash join on the registered `Relation` over the related type's collection.
 */
function joinStep(filter: Filter, from: number, relation: FilterRelation) {
  const registered = registeredRelation(filter.types, relation);
  const { fromTypeName, fromFieldName, toTypeName } = relation;
  const describe = `${fromTypeName}.${fromFieldName}`;
  const one: unknown[] = [];
  if (registered?.otherField.includes('#')) {
    // typeOrmPolarClasses names a many-to-many without an inverse side "Owner#property": only SQL can follow it.
    return (env: Env): readonly unknown[] => {
      const loaded = carried((env[from] as Record<string, unknown>)[fromFieldName], one);
      if (loaded) return loaded;
      throw new DataFilteringError(`InMemoryAdapter: cannot follow the many-to-many ${describe}: load it on the items`);
    };
  }
  return (env: Env, context: JoinContext): readonly unknown[] => {
    const owner = env[from] as Record<string, unknown>;
    const loaded = carried(owner[fromFieldName], one);
    if (loaded) return loaded;
    const index = registered && context.index(toTypeName, registered.otherField, describe);
    if (index) return index.get(owner[registered.myField]) ?? NONE;
    throw new DataFilteringError(
      `InMemoryAdapter: cannot follow ${describe}: the ${fromTypeName} item does not carry "${fromFieldName}" ` +
        `and there is no collection for ${toTypeName} in the "collections" option` +
        (registered ? '' : ` (nor a registered Relation for ${describe})`),
    );
  };
}

const NONE: readonly unknown[] = [];

/**
 * A relation value an item carries: its related objects, or undefined when it holds none or only a key. A single
 * object is returned in `one`, an array the step reuses (its search reads it before the step runs again).
 */
function carried(value: unknown, one: unknown[]): readonly unknown[] | undefined {
  if (Array.isArray(value)) return value;
  if (value === null) return NONE;
  if (typeof value !== 'object' || value === undefined || value instanceof Date) return undefined;
  one[0] = value;
  return one;
}

type CompiledCondition = boolean | { slot: number; test: Test };
type Operand = { constant: true; value: unknown } | { constant: false; slot: number; read: (env: Env) => unknown };

function compileCondition(condition: FilterCondition, slots: Map<string, number>, adapter: InMemoryAdapter): CompiledCondition {
  const lhs = operand(condition.lhs, slots, condition);
  const rhs = operand(condition.rhs, slots, condition);
  // Whole objects compare by their identity field (`expense.organization = org`).
  const key = wholeObjectType(condition.lhs) ?? wholeObjectType(condition.rhs);
  const equal = key === undefined ? polarEquals : keyedEquals(adapter.keyOf(key));
  const compare = comparison(condition, equal);
  if (lhs.constant && rhs.constant) return compare(lhs.value, rhs.value);
  const slot = Math.max(lhs.constant ? 0 : lhs.slot, rhs.constant ? 0 : rhs.slot);
  if (lhs.constant) {
    const left = lhs.value;
    const right = (rhs as Extract<Operand, { constant: false }>).read;
    return { slot, test: (env) => compare(left, right(env)) };
  }
  if (rhs.constant) {
    const right = rhs.value;
    const left = lhs.read;
    // `field in [plain values]` (merged branches, `x in [...]`): a Set lookup.
    if ((condition.cmp as FilterComparison) === 'In' && key === undefined && Array.isArray(right) && right.every(isPlain)) {
      const set = new Set(right);
      return { slot, test: (env) => set.has(left(env)) };
    }
    // The most common shape by far (`resource.field = value`), kept free of indirection.
    if (condition.cmp === 'Eq' && key === undefined && (right === null || typeof right !== 'object')) {
      return right === null
        ? { slot, test: (env) => left(env) == null }
        : { slot, test: (env) => left(env) === right };
    }
    return { slot, test: (env) => compare(left(env), right) };
  }
  const left = lhs.read;
  const right = rhs.read;
  return { slot, test: (env) => compare(left(env), right(env)) };
}

function operand(datum: Datum, slots: Map<string, number>, condition: FilterCondition): Operand {
  if (!('typeName' in datum)) {
    // Polar has no undefined: it comes from the engine following a relation on an item without its key.
    if (datum.value === undefined) {
      throw new DataFilteringError(
        `InMemoryAdapter: the condition ${describeCondition(condition)} compares with undefined: a relation was ` +
          'followed on an item that does not hold the key field of its Relation',
      );
    }
    return { constant: true, value: datum.value };
  }
  const slot = slots.get(datum.typeName);
  if (slot === undefined) {
    throw new DataFilteringError(
      `Data filtering: the condition ${describeCondition(condition)} refers to ${datum.typeName}, which it does not join`,
    );
  }
  const field = datum.fieldName;
  if (field === undefined) return { constant: false, slot, read: (env) => env[slot] };
  return { constant: false, slot, read: (env) => (env[slot] as Record<string, unknown> | null | undefined)?.[field] ?? null };
}

function wholeObjectType(datum: Datum): string | undefined {
  return 'typeName' in datum && datum.fieldName === undefined ? datum.typeName : undefined;
}

function comparison(condition: FilterCondition, equal: (a: unknown, b: unknown) => boolean): (a: unknown, b: unknown) => boolean {
  switch (condition.cmp as FilterComparison) {
    case 'Eq':
      return equal;
    case 'Neq':
      return (a, b) => !equal(a, b);
    case 'Lt':
      return (a, b) => a != null && b != null && (a as number) < (b as number);
    case 'Leq':
      return (a, b) => a != null && b != null && (a as number) <= (b as number);
    case 'Gt':
      return (a, b) => a != null && b != null && (a as number) > (b as number);
    case 'Geq':
      return (a, b) => a != null && b != null && (a as number) >= (b as number);
    case 'In':
      return (a, b) => isIterable(b) && [...b].some((element) => equal(a, element));
    case 'Nin':
      // Polar cannot look into nil, so `x not in nil` allows nothing, like `x in nil`.
      return (a, b) => isIterable(b) && ![...b].some((element) => equal(a, element));
    default:
      throw new DataFilteringError(`Data filtering: unsupported comparison in ${describeCondition(condition)}`);
  }
}

function isPlain(value: unknown): boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function isIterable(value: unknown): value is Iterable<unknown> {
  return value != null && typeof value !== 'string' && typeof (value as Iterable<unknown>)[Symbol.iterator] === 'function';
}

/** Polar's equality on host values: numbers, strings and booleans by value, objects by deep equality. */
function polarEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a == null || b == null) return a == null && b == null;
  if (typeof a !== 'object' || typeof b !== 'object') return false;
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  return isDeepStrictEqual(a, b);
}

function keyedEquals(key: string): (a: unknown, b: unknown) => boolean {
  return (a, b) => {
    if (a === b) return true;
    if (a == null || b == null || typeof a !== 'object' || typeof b !== 'object') return polarEquals(a, b);
    const ka = (a as Record<string, unknown>)[key];
    const kb = (b as Record<string, unknown>)[key];
    return ka !== undefined && kb !== undefined ? ka === kb : polarEquals(a, b);
  };
}
