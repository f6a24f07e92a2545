import type { Adapter, Datum, Filter, FilterCondition } from 'oso';
import {
  describeRelation,
  filterBranches,
  mergeBranches,
  orderRelations,
  type FilterBranch,
  type FilterComparison,
  type FilterRelation,
} from '../authorized-filter.js';
import { DataFilteringError } from '../../errors/data-filtering.error.js';
import { printFilterCondition } from '../../engine/polar-printer.js';
import {
  FALSE,
  MISSING,
  objectEq,
  polarEq,
  polarIn,
  polarNeq,
  polarOrder,
  TRUE,
  UNSURE,
  type Ordering,
  type Verdict,
} from './polar-comparison.js';
import { registeredRelation } from '../registered-relation.js';

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
 * Built once per (actor, action, type); it reads the related collections again at each call.
 *
 * The predicate decides an item only where Polar would decide it the same way; an item on which the engine could
 * raise or answer otherwise (a property that is absent, a value of another type than the constant it is compared
 * with, an object that is not an instance of the registered class...) is left to `isAllowed`. `authorizedItems`
 * asks the engine about those items (its errors propagate); the synchronous `filter` and `matches` throw instead.
 *
 * @example
 * const query = await buildAuthorizedQuery<InMemoryQuery<Expense>>(oso, user, 'read', Expense);
 * const visible = await query.authorizedItems(expenses);
 * @publicApi
 */
export class InMemoryQuery<T = unknown> {
  /** @internal */
  constructor(
    /** The Polar name of the filtered type. */
    readonly model: string,
    private readonly branches: CompiledBranch[],
    private readonly adapter: InMemoryAdapter,
    /** The engine's type check of the resource, when the query must decide exactly as `isAllowed`. */
    private readonly isResource?: (item: unknown) => boolean,
    /** @internal How the engine decides an item the predicate leaves to it (set by `buildAuthorizedQuery`). */
    public isAllowed?: (item: unknown) => Promise<boolean>,
  ) {}

  /**
   * The items the policy allows, in their original order (like `Array.prototype.filter`).
   *
   * @example
   * const visible = query.filter(await repository.find());
   * @throws {DataFilteringError} on an item only the engine can decide (use `authorizedItems`).
   */
  filter(items: Iterable<T>): T[] {
    const context = new JoinContext(this.adapter);
    const kept: T[] = [];
    let index = 0;
    for (const item of items) {
      const verdict = this.decide(item, context);
      if (verdict === UNSURE) throw this.undecided(index);
      if (verdict === TRUE) kept.push(item);
      index++;
    }
    return kept;
  }

  /**
   * The items the policy allows, in their original order, exactly as `isAllowed` would decide each: the predicate
   * decides what it can, the engine the rest, one item at a time (an engine error rejects the whole call).
   *
   * @example
   * const visible = await query.authorizedItems(expenses);
   * @throws {DataFilteringError} on an item only the engine can decide when the query has no engine (built by
   * `adapter.buildQuery` rather than `buildAuthorizedQuery`); the engine's own errors otherwise.
   */
  async authorizedItems(items: Iterable<T>): Promise<T[]> {
    const context = new JoinContext(this.adapter);
    const verdicts: Verdict[] = [];
    const list: T[] = [];
    let unsure = 0;
    for (const item of items) {
      const verdict = this.decide(item, context);
      if (verdict === UNSURE) unsure++;
      verdicts.push(verdict);
      list.push(item);
    }
    if (unsure === 0) return list.filter((_, i) => verdicts[i] === TRUE);
    const kept: T[] = [];
    for (let i = 0; i < list.length; i++) {
      const verdict = verdicts[i];
      if (verdict === UNSURE) {
        if (!this.isAllowed) throw this.undecided(i);
        // Asked one after the other, in order, so that the engine's first error is the one reported.
        if (await this.isAllowed(list[i])) kept.push(list[i]!);
      } else if (verdict === TRUE) {
        kept.push(list[i]!);
      }
    }
    return kept;
  }

  /**
   * Whether the policy allows this one item.
   *
   * @example
   * if (query.matches(expense)) show(expense);
   * @throws {DataFilteringError} on an item only the engine can decide.
   */
  matches(item: T): boolean {
    const verdict = this.decide(item, new JoinContext(this.adapter));
    if (verdict === UNSURE) throw this.undecided(0);
    return verdict === TRUE;
  }

  private decide(item: unknown, context: JoinContext): Verdict {
    if (!this.isResource) {
      // A plain filter (the engine following a relation): a lookup that is its own definition.
      for (let b = 0; b < this.branches.length; b++) if (this.branches[b]!(item, context) === TRUE) return TRUE;
      return FALSE;
    }
    if (!this.isResource(item)) return UNSURE;
    // Every branch is evaluated, so that an item on which the engine could raise in any rule is never decided here.
    let verdict: Verdict = FALSE;
    for (let b = 0; b < this.branches.length; b++) {
      const branch = this.branches[b]!(item, context);
      if (branch === UNSURE) return UNSURE;
      if (branch === TRUE) verdict = TRUE;
    }
    return verdict;
  }

  private undecided(index: number): DataFilteringError {
    return new DataFilteringError(
      `InMemoryQuery: item #${index} of ${this.model} can only be decided by the engine (a property is absent, a value ` +
        'has another type than what it is compared with, or the item is not an instance of the registered class); ' +
        'use authorizedItems(items), filterAuthorizedItems() or OsoService.authorizedResources(), which ask isAllowed',
    );
  }
}

/**
 * A data filtering adapter for objects in memory: it compiles oso's filter into a JavaScript predicate (joins are
 * hash joins on the registered `Relation` fields, over `collections`), so that 10,000 items are filtered with one
 * partial evaluation of the policy instead of 10,000 `isAllowed` calls. The predicate compares values as Polar does
 * and leaves to `isAllowed` the items it cannot decide as the engine would (see `InMemoryQuery`).
 *
 * @example
 * const adapter = new InMemoryAdapter({ collections: { Organization: organizations, Expense: expenses } });
 * oso.setDataFilteringAdapter(adapter);
 * const query = await buildAuthorizedQuery<InMemoryQuery<Expense>>(oso, user, 'read', Expense);
 * const visible = await query.authorizedItems(expenses);
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
    // A filter built by buildAuthorizedFilter stands for `isAllowed`, and is evaluated exactly (see InMemoryQuery);
    // a plain one (the engine following a relation) is a key lookup that defines the relation.
    const exact = 'branches' in filter;
    const type = filter.types.get(filter.model) as { isaCheck?: (item: unknown) => boolean } | undefined;
    const isResource = exact ? (type?.isaCheck?.bind(type) ?? (() => false)) : undefined;
    return new InMemoryQuery(
      filter.model,
      mergeBranches(filterBranches(filter)).map((branch) => compileBranch(filter, branch, this, exact)),
      this,
      isResource,
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
          'items with query.authorizedItems(items)',
      );
    }
    return query.authorizedItems(items);
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

/** A compiled branch: with some choice of related items, does the root item satisfy every condition? */
type CompiledBranch = (item: unknown, context: JoinContext) => Verdict;
type Env = unknown[];
type Test = (env: Env) => Verdict;
/** The related items of one join; undefined when only the engine knows them (it could raise). */
type Step = (env: Env, context: JoinContext) => readonly unknown[] | undefined;

/** Hash indexes over the collections, built lazily and shared by the items of one call. */
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

/**
 * The Polar type a filter's type name stands for: itself, or the type of an alias that `buildAuthorizedFilter` gives
 * to one of two relations into one type (`User~2` is a `User`), whose collection and key are the type's.
 */
function typeNameOf(filter: Filter, typeName: string): string {
  const type = filter.types.get(typeName);
  return typeof type?.name === 'string' ? type.name : typeName;
}

function compileBranch(filter: Filter, branch: FilterBranch, adapter: InMemoryAdapter, exact: boolean): CompiledBranch {
  // Slot 0 holds the root item; each join adds the slot of its target type.
  const slots = new Map<string, number>([[filter.model, 0]]);
  const joins: Array<{ from: number; relation: FilterRelation }> = [];
  for (const relation of orderRelations(filter.model, branch.relations)) {
    if (slots.has(relation.toTypeName)) {
      // Conditions name the joined row by its type: two rows of one type could not be told apart.
      throw new DataFilteringError(
        `Data filtering: a rule of ${filter.model} reaches ${relation.toTypeName} twice (${branch.relations.map(describeRelation).join(', ')}), ` +
          'which the filter cannot tell apart',
      );
    }
    joins.push({ from: slots.get(relation.fromTypeName)!, relation });
    slots.set(relation.toTypeName, slots.size);
  }
  // Each condition is checked as soon as every slot it reads is filled.
  const testsAt: Test[][] = Array.from({ length: slots.size }, () => []);
  // Tests that also read a joined slot other than their own, which may hold no item on some ways through the joins.
  const crossTests = new Map<Test, number[]>();
  for (const condition of branch.conditions) {
    const compiled = compileCondition(filter, condition, slots, adapter);
    if (compiled === TRUE) continue;
    if (compiled === FALSE || compiled === UNSURE) {
      if (!exact) return () => FALSE;
      // The engine still follows the rule's relations before it fails: they are evaluated all the same.
      testsAt[0]!.push(() => compiled);
      continue;
    }
    testsAt[compiled.slot]!.push(compiled.test);
    if (compiled.reads.some((slot) => slot !== 0 && slot !== compiled.slot))
      crossTests.set(compiled.test, compiled.reads);
  }
  const steps = joins.map(({ from, relation }) => joinStep(filter, from, relation, exact));
  return exact
    ? exactBranch(
        testsAt,
        steps,
        joins.map(({ from }) => from),
        crossTests,
      )
    : lookupBranch(testsAt, steps, slots.size);
}

/**
 * A branch as `isAllowed` would evaluate it, but for the engine's order: every join is followed from every item it
 * starts from and every test is evaluated on every way through the joins (the engine may reach any of them first),
 * and any unsure one leaves the item to the engine. A join without related items leaves its own joins and tests
 * out (the engine has nothing to follow them from) but not the others.
 */
function exactBranch(
  testsAt: Test[][],
  steps: Step[],
  from: number[],
  crossTests: Map<Test, number[]>,
): CompiledBranch {
  const rootTests = testsAt[0]!;
  if (steps.length === 0 && rootTests.length === 1) {
    const [test] = rootTests;
    const env: Env = [undefined];
    return (item) => {
      env[0] = item;
      return test!(env);
    };
  }
  // `filter` is synchronous, so one environment per branch is reused from item to item.
  const env: Env = new Array(steps.length + 1);
  let context: JoinContext;
  const passes = (tests: Test[]): Verdict => {
    let verdict: Verdict = TRUE;
    for (let t = 0; t < tests.length; t++) {
      const test = tests[t]!;
      const reads = crossTests.size > 0 ? crossTests.get(test) : undefined;
      if (reads?.some((slot) => env[slot] === ABSENT)) {
        verdict = FALSE;
        continue;
      }
      const result = test(env);
      if (result === UNSURE) return UNSURE;
      if (result === FALSE) verdict = FALSE;
    }
    return verdict;
  };
  const search = (step: number): Verdict => {
    if (step === steps.length) return TRUE;
    if (env[from[step]!] === ABSENT) {
      // Nothing to follow this join from, on this way through the joins.
      env[step + 1] = ABSENT;
      return search(step + 1) === UNSURE ? UNSURE : FALSE;
    }
    const candidates = steps[step]!(env, context);
    if (candidates === undefined) return UNSURE;
    if (candidates.length === 0) {
      env[step + 1] = ABSENT;
      return search(step + 1) === UNSURE ? UNSURE : FALSE;
    }
    const tests = testsAt[step + 1]!;
    let found: Verdict = FALSE;
    for (let i = 0; i < candidates.length; i++) {
      env[step + 1] = candidates[i];
      const here = passes(tests);
      if (here === UNSURE) return UNSURE;
      const deeper = search(step + 1);
      if (deeper === UNSURE) return UNSURE;
      if (here === TRUE && deeper === TRUE) found = TRUE;
    }
    return found;
  };
  return (item, joinContext) => {
    env[0] = item;
    context = joinContext;
    const root = passes(rootTests);
    if (root === UNSURE) return UNSURE;
    const joined = search(0);
    if (joined === UNSURE) return UNSURE;
    return root === TRUE && joined === TRUE ? TRUE : FALSE;
  };
}

/** The item of a slot that a join found no related item for, on one way through the joins. */
const ABSENT = Symbol('no related item');

/** A branch of a plain filter: the first way through the joins that passes every test (unsure counts as no). */
function lookupBranch(testsAt: Test[][], steps: Step[], size: number): CompiledBranch {
  const env: Env = new Array(size);
  let context: JoinContext;
  const passes = (tests: Test[]): boolean => {
    for (let t = 0; t < tests.length; t++) if (tests[t]!(env) !== TRUE) return false;
    return true;
  };
  const search = (step: number): boolean => {
    if (step === steps.length) return true;
    const candidates = steps[step]!(env, context) ?? NONE;
    const tests = testsAt[step + 1]!;
    for (let i = 0; i < candidates.length; i++) {
      env[step + 1] = candidates[i];
      if (passes(tests) && search(step + 1)) return true;
    }
    return false;
  };
  const rootTests = testsAt[0]!;
  return (item, joinContext) => {
    env[0] = item;
    context = joinContext;
    return passes(rootTests) && search(0) ? TRUE : FALSE;
  };
}

/**
 * The related items of one join: the relation as the item carries it (a loaded ORM relation, nested data), or else
 * a hash join on the registered `Relation` over the related type's collection. Where the engine would raise (no
 * key, a to-one relation without exactly one row), the step answers undefined.
 */
function joinStep(filter: Filter, from: number, relation: FilterRelation, exact: boolean): Step {
  const registered = registeredRelation(filter.types, relation);
  const { fromTypeName, fromFieldName, toTypeName } = relation;
  const describe = `${fromTypeName}.${fromFieldName}`;
  const collectionName = typeNameOf(filter, toTypeName);
  const one: unknown[] = [];
  const toOne = registered?.kind === 'one';
  if (registered?.otherField.includes('#')) {
    // typeOrmPolarClasses names a many-to-many without an inverse side "Owner#property": only SQL can follow it.
    return (env: Env) => {
      const owner = env[from];
      if (owner === null || typeof owner !== 'object') return exact ? undefined : NONE;
      const loaded = carried((owner as Record<string, unknown>)[fromFieldName], one);
      if (loaded) return loaded === NIL ? (exact ? undefined : NONE) : loaded;
      throw new DataFilteringError(`InMemoryAdapter: cannot follow the many-to-many ${describe}: load it on the items`);
    };
  }
  return (env: Env, context: JoinContext) => {
    const owner = env[from] as Record<string, unknown>;
    if (owner === null || typeof owner !== 'object') return exact ? undefined : NONE;
    const loaded = carried(owner[fromFieldName], one);
    if (loaded) return loaded === NIL ? (exact ? undefined : NONE) : loaded;
    const index = registered && context.index(collectionName, registered.otherField, describe);
    if (index) {
      const key = owner[registered.myField];
      if (exact && !isKey(key)) return undefined;
      const related = index.get(key) ?? NONE;
      // oso raises "Wrong number of parents" on a to-one relation without exactly one row.
      return exact && toOne && related.length !== 1 ? undefined : related;
    }
    throw new DataFilteringError(
      `InMemoryAdapter: cannot follow ${describe}: the ${fromTypeName} item does not carry "${fromFieldName}" ` +
        `and there is no collection for ${collectionName} in the "collections" option` +
        (registered ? '' : ` (nor a registered Relation for ${describe})`),
    );
  };
}

const NONE: readonly unknown[] = [];
/** A relation the item holds as nil: the engine cannot follow it. */
const NIL: readonly unknown[] = [];

/** A key the engine looks up as the hash join does: a string or a number it holds exactly. */
function isKey(value: unknown): boolean {
  return typeof value === 'string' || (typeof value === 'number' && Number.isSafeInteger(value));
}

/**
 * A relation value an item carries: its related objects, `NIL` for nil, or undefined when it holds none or only a
 * key. A single object is returned in `one`, an array the step reuses (its search reads it before the step runs
 * again).
 */
function carried(value: unknown, one: unknown[]): readonly unknown[] | undefined {
  if (typeof value !== 'object') return undefined;
  if (value === null) return NIL;
  if (Array.isArray(value)) return value;
  if (value instanceof Date) return undefined;
  one[0] = value;
  return one;
}

type CompiledCondition = Verdict | { slot: number; reads: number[]; test: Test };
type Operand = { constant: true; value: unknown } | { constant: false; slot: number; read: (env: Env) => unknown };

function compileCondition(
  filter: Filter,
  condition: FilterCondition,
  slots: Map<string, number>,
  adapter: InMemoryAdapter,
): CompiledCondition {
  const lhs = operand(condition.lhs, slots, condition);
  const rhs = operand(condition.rhs, slots, condition);
  // Whole objects compare with the engine's equality, told apart by their identity field.
  const key = wholeObjectType(condition.lhs) ?? wholeObjectType(condition.rhs);
  const equal = key === undefined ? polarEq : objectEq(adapter.keyOf(typeNameOf(filter, key)));
  const compare = comparison(condition, equal, key !== undefined);
  if (lhs.constant && rhs.constant) return compare(lhs.value, rhs.value);
  const slot = Math.max(lhs.constant ? 0 : lhs.slot, rhs.constant ? 0 : rhs.slot);
  const reads = [lhs, rhs].flatMap((side) => (side.constant ? [] : [side.slot]));
  if (lhs.constant) {
    const left = lhs.value;
    const right = (rhs as Extract<Operand, { constant: false }>).read;
    return { slot, reads, test: (env) => compare(left, right(env)) };
  }
  if (rhs.constant) {
    const right = rhs.value;
    const left = lhs.read;
    // `field in [strings and numbers]` (merged branches, `x in [...]`): a Set lookup for values of those types.
    if (
      (condition.cmp as FilterComparison) === 'In' &&
      key === undefined &&
      Array.isArray(right) &&
      right.every(isKeyLike)
    ) {
      const set = new Set(right);
      return {
        slot,
        reads,
        test: (env) => {
          const value = left(env);
          // The set holds only strings and exact numbers: a hit is one of them.
          if (set.has(value)) return TRUE;
          return isKeyLike(value) ? FALSE : polarIn(value, right);
        },
      };
    }
    // The most common shape by far (`resource.field = value`), kept free of indirection.
    if (condition.cmp === 'Eq' && key === undefined && isKeyLike(right)) {
      return {
        slot,
        reads,
        test: (env) => {
          const value = left(env);
          return value === right ? TRUE : polarEq(value, right);
        },
      };
    }
    return { slot, reads, test: (env) => compare(left(env), right) };
  }
  const left = lhs.read;
  const right = rhs.read;
  return { slot, reads, test: (env) => compare(left(env), right(env)) };
}

/** A string or a number held exactly: `===` and a Set decide Polar's `=` between two of them. */
function isKeyLike(value: unknown): boolean {
  // Comparisons rule out NaN and the infinities; within the safe range, a number is a safe integer or a fraction.
  return typeof value === 'string' || (typeof value === 'number' && value >= -MAX_EXACT && value <= MAX_EXACT);
}

const MAX_EXACT = Number.MAX_SAFE_INTEGER;

function operand(datum: Datum, slots: Map<string, number>, condition: FilterCondition): Operand {
  if (!('typeName' in datum)) {
    // Polar has no undefined: it comes from the engine following a relation on an item without its key.
    if (datum.value === undefined) {
      throw new DataFilteringError(
        `InMemoryAdapter: the condition ${printFilterCondition(condition)} compares with undefined: a relation was ` +
          'followed on an item that does not hold the key field of its Relation',
      );
    }
    return { constant: true, value: datum.value };
  }
  const slot = slots.get(datum.typeName);
  if (slot === undefined) {
    throw new DataFilteringError(
      `Data filtering: the condition ${printFilterCondition(condition)} refers to ${datum.typeName}, which it does not join`,
    );
  }
  const field = datum.fieldName;
  if (field === undefined) return { constant: false, slot, read: (env) => env[slot] };
  return {
    constant: false,
    slot,
    read: (env) => {
      const item = env[slot];
      if (item === null || typeof item !== 'object') return MISSING;
      const value = (item as Record<string, unknown>)[field];
      // The engine raises on an absent property; a property holding undefined is a value of its own.
      return value !== undefined || field in item ? value : MISSING;
    },
  };
}

function wholeObjectType(datum: Datum): string | undefined {
  return 'typeName' in datum && datum.fieldName === undefined ? datum.typeName : undefined;
}

function comparison(
  condition: FilterCondition,
  equal: (a: unknown, b: unknown) => Verdict,
  objects: boolean,
): (a: unknown, b: unknown) => Verdict {
  switch (condition.cmp as FilterComparison) {
    case 'Eq':
      return equal;
    case 'Neq':
      return objects ? (a, b) => negate(equal(a, b)) : polarNeq;
    case 'Lt':
    case 'Leq':
    case 'Gt':
    case 'Geq': {
      const op = condition.cmp as Ordering;
      return (a, b) => polarOrder(op, a, b);
    }
    case 'In':
      return (a, b) => polarIn(a, b, equal);
    case 'Nin':
      return (a, b) => negate(polarIn(a, b, equal));
    default:
      throw new DataFilteringError(`Data filtering: unsupported comparison in ${printFilterCondition(condition)}`);
  }
}

function negate(verdict: Verdict): Verdict {
  return verdict === UNSURE ? UNSURE : verdict === TRUE ? FALSE : TRUE;
}
