/**
 * How the Polar engine (oso 0.27) treats JavaScript values, written out so that a compiled decision reads and
 * compares attributes exactly as the engine would. Every rule here was measured against the engine (see
 * polar-values.spec.ts, which checks them value by value against oso). Whatever the engine does that is not
 * modelled here, or where two engine behaviours cannot be told apart, ends in `AskEngine`: the compiled check
 * gives up and the engine decides.
 */
import { defaultEqualityFn, Relation, Variable } from '../engine/oso-library.js';
import type { Class } from 'oso';
import {
  Expression,
  ancestors,
  Pattern,
  Predicate,
  Dict,
  type HostTypes,
  type UserType,
} from '../engine/oso-internals.js';

/** Thrown inside a compiled check when only the engine can answer (it may answer with an error). */
export class AskEngine {
  constructor(readonly reason: string) {}
}

/**
 * Thrown by `lookup` for a data filtering relation not yet fetched in this decision. The caller may fetch it as the
 * engine would (see relation-fetch.ts) and decide again; otherwise it hands the decision to the engine, as any
 * `AskEngine`.
 */
export class FetchRelation extends AskEngine {
  constructor(
    readonly receiver: object,
    readonly attribute: string,
    readonly relation: Relation,
  ) {
    super(RELATION_REASON);
  }
}

/** The relations fetched for the decision being made: receiver → attribute → what the adapter returned. */
export type FetchedRelations = Map<object, Map<string, unknown>>;

/** The kinds of Polar values, as `Host.toPolar` sorts JavaScript values. */
export const NUMBER = 0;
export const BOOLEAN = 1;
export const STRING = 2;
export const LIST = 3;
export const DICTIONARY = 4;
/** Anything else is an external instance: objects, `null`, `undefined`, functions. */
export const EXTERNAL = 5;
export type Kind = 0 | 1 | 2 | 3 | 4 | 5;

export type ComparisonOperator = 'Eq' | 'Neq' | 'Lt' | 'Leq' | 'Gt' | 'Geq';

const ASK_SPECIAL = new AskEngine('a Polar term (variable, expression, pattern, call) as a value');
const ASK_UNSAFE_INTEGER = new AskEngine('an integer beyond 2^53, which the engine rejects');
const ASK_FUNCTION = new AskEngine('a function as a value');
const ASK_PROMISE = new AskEngine('a Promise (async attribute), which only the engine awaits');
const ASK_MISSING = new AskEngine('an attribute lookup that fails (the engine answers with an error)');
const ASK_TYPE_ERROR = new AskEngine('a comparison the engine rejects as a type error');
const ASK_ITERATION = new AskEngine('`in` over a value the engine iterates differently or rejects');
const ASK_NEGATION = new AskEngine('a negated comparison whose engine result depends on how the policy wrote it');
const ASK_ISA = new AskEngine('a `matches` check the engine answers through its own class registry');
const RELATION_REASON = 'a data filtering relation, fetched by the adapter';
const ASK_STRING = new AskEngine('a string with unpaired surrogates');

/** The kind of a value, or `AskEngine` for values the compiled check does not model. */
export function kindOf(value: unknown): Kind {
  switch (typeof value) {
    case 'number':
      return NUMBER;
    case 'string':
      return STRING;
    case 'boolean':
      return BOOLEAN;
    case 'object':
      if (value === null) return EXTERNAL;
      if (Array.isArray(value)) return LIST;
      if (value instanceof Dict) return DICTIONARY;
      if (
        value instanceof Expression ||
        value instanceof Variable ||
        value instanceof Pattern ||
        value instanceof Predicate
      ) {
        throw ASK_SPECIAL;
      }
      return EXTERNAL;
    default:
      return EXTERNAL;
  }
}

/**
 * Checks that a looked-up value reaches the engine unchanged: integers beyond 2^53 make the engine fail, Promises
 * are awaited by it, functions and classes become class or method references, and unpaired surrogates do not
 * survive the trip to WebAssembly. Lists and dictionaries are copied by the engine, so their items are checked too.
 */
export function checkValue(value: unknown): void {
  switch (typeof value) {
    case 'number':
      if (Number.isInteger(value) && !Number.isSafeInteger(value)) throw ASK_UNSAFE_INTEGER;
      return;
    case 'string':
      if (!isWellFormed(value)) throw ASK_STRING;
      return;
    case 'function':
      throw ASK_FUNCTION;
    case 'object': {
      if (value === null) return;
      if (value instanceof Promise || typeof (value as { then?: unknown }).then === 'function') throw ASK_PROMISE;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          if (!(i in value)) throw ASK_SPECIAL;
          checkValue(value[i]);
        }
        return;
      }
      if (value instanceof Dict) {
        for (const key of Object.keys(value)) checkValue((value as Record<string, unknown>)[key]);
        return;
      }
      kindOf(value);
      return;
    }
    default:
      return;
  }
}

/**
 * `checkValue` of a list, true when it passes: a list of ordinary instances, numbers, booleans or well-formed strings
 * (`user.memberships`, `user.roles`) without a call per item; anything else (a hole, a nested list, a Promise, a
 * list with a `then` method) goes through `checkValue`, which throws where it should.
 */
export function checkList(list: unknown[]): true {
  if (list instanceof Promise || typeof (list as { then?: unknown }).then === 'function') checkValue(list);
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    const plain =
      typeof item === 'object'
        ? item !== null &&
          !(item instanceof Promise) &&
          typeof (item as { then?: unknown }).then !== 'function' &&
          !Array.isArray(item) &&
          !(item instanceof Dict) &&
          !(item instanceof Expression) &&
          !(item instanceof Variable) &&
          !(item instanceof Pattern) &&
          !(item instanceof Predicate)
        : typeof item === 'boolean' ||
          (typeof item === 'number' && Number.isSafeInteger(item)) ||
          (typeof item === 'string' && isWellFormed(item));
    if (!plain) {
      checkValue(list);
      return true;
    }
  }
  return true;
}

/** Whether this Node has `String.prototype.isWellFormed` (Node 20 does; the check is for older runtimes). */
export const hasWellFormed = typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === 'function';
const SURROGATE = /[\uD800-\uDFFF]/;

function isWellFormed(value: string): boolean {
  if (hasWellFormed) return (value as unknown as { isWellFormed(): boolean }).isWellFormed();
  return !SURROGATE.test(value) || !/\p{Surrogate}/u.test(value);
}

/**
 * The registry facts a compiled check needs: the classes registered with the engine (their ids, ancestors and
 * `isa` checks) and which attributes are data filtering relations.
 */
export class PolarClasses {
  private readonly mros = new Map<unknown, number[]>();
  /** Class → attribute → its `Relation` (looked up through the data filtering adapter). */
  readonly relations = new Map<unknown, Map<string, Relation>>();
  /**
   * The relations fetched for the decision being evaluated, set around each (synchronous) run of a predicate and
   * read by `lookup`.
   */
  fetched: FetchedRelations | undefined;

  constructor(readonly types: HostTypes) {
    for (const [key, type] of types) {
      if (typeof key !== 'string') continue;
      for (const [field, fieldType] of type.fields) {
        if (!(fieldType instanceof Relation)) continue;
        if (!this.relations.has(type.cls)) this.relations.set(type.cls, new Map());
        this.relations.get(type.cls)!.set(field, fieldType);
      }
    }
  }

  /** The user type registered under a Polar name. */
  type(tag: string): UserType<Class> | undefined {
    const type = this.types.get(tag);
    return type && typeof type.name === 'string' ? type : undefined;
  }

  /** The Polar name a class was registered under. */
  nameOf(cls: unknown): string | undefined {
    return this.types.get(cls as never)?.name;
  }

  /** Whether a class was registered (its instances carry a class id into the engine). */
  isRegistered(cls: unknown): boolean {
    return this.types.has(cls as never);
  }

  /** The ids of the registered classes among a class's ancestors, as `Host.registerMros` tells the engine. */
  mro(cls: unknown): number[] {
    let mro = this.mros.get(cls);
    if (!mro) {
      mro = ancestors(cls)
        .map((c) => this.types.get(c as never)?.id)
        .filter((id): id is number => id !== undefined);
      this.mros.set(cls, mro);
    }
    return mro;
  }
}

/**
 * `receiver.attribute`, as `Query.handleCall` looks it up: an error for `null`, `undefined`, primitives and a
 * missing attribute (`in`, so inherited ones count), a Promise is awaited (only the engine can), and a relation
 * is what the data filtering adapter returned for it in this decision (`FetchRelation` until it is fetched).
 */
export function lookup(receiver: unknown, attribute: string, classes: PolarClasses): unknown {
  if (receiver === null || typeof receiver !== 'object') throw ASK_MISSING;
  // The engine looks attributes of lists up on a copy, and those of dictionaries itself.
  if (Array.isArray(receiver)) {
    if (attribute !== 'length') throw ASK_MISSING;
    return receiver.length;
  }
  if (receiver instanceof Dict) throw ASK_SPECIAL;
  if (classes.relations.size > 0) {
    const relation = classes.relations.get((receiver as object).constructor)?.get(attribute);
    if (relation) {
      const fetched = classes.fetched?.get(receiver);
      if (!fetched?.has(attribute)) throw new FetchRelation(receiver, attribute, relation);
      const value = fetched.get(attribute);
      checkValue(value);
      return value;
    }
  }
  if (!(attribute in receiver)) throw ASK_MISSING;
  const value = (receiver as Record<string, unknown>)[attribute];
  checkValue(value);
  return value;
}

/** Throws what `lookup` throws for a missing attribute (generated predicates read attributes themselves). */
export function missingAttribute(): never {
  throw ASK_MISSING;
}

/** `left = right` (unification) of two values, as the engine unifies them. */
export function unify(left: unknown, right: unknown, negated: boolean): boolean {
  // Two numbers, two strings or two booleans, the common case, in a function small enough to be inlined.
  const type = typeof left;
  if (type === typeof right && (type === 'string' || type === 'number' || type === 'boolean')) return left === right;
  return unifyValues(left, right, negated);
}

function unifyValues(left: unknown, right: unknown, negated: boolean): boolean {
  const l = kindOf(left);
  const r = kindOf(right);
  if (l === EXTERNAL || r === EXTERNAL) {
    // An external instance unifies with anything through `equalityFn` (lodash `isEqual`, which equates
    // `new Number(1)` with `1`, or an empty null-prototype object with an empty dictionary).
    return left === right || defaultEqualityFn(left, right);
  }
  if (l === r) {
    switch (l) {
      case NUMBER:
      case BOOLEAN:
      case STRING:
        return left === right;
      case LIST: {
        // The engine rejects `!=` between lists, so a `=` written as `not a != b` would have been an error.
        if (negated) throw ASK_NEGATION;
        const a = left as unknown[];
        const b = right as unknown[];
        if (a.length !== b.length) return false;
        for (let i = 0; i < a.length; i++) if (!unifyValues(a[i], b[i], negated)) return false;
        return true;
      }
      default: {
        if (negated) throw ASK_NEGATION;
        const a = left as Record<string, unknown>;
        const b = right as Record<string, unknown>;
        const keys = Object.keys(a);
        if (keys.length !== Object.keys(b).length) return false;
        for (const key of keys) if (!Object.hasOwn(b, key) || !unifyValues(a[key], b[key], negated)) return false;
        return true;
      }
    }
  }
  // Different Polar kinds never unify; but `not a != b` would have compared them (numbers with booleans) or
  // failed with a type error, so a negated policy leaves the question to the engine.
  if (negated) throw ASK_NEGATION;
  return false;
}

/** `left op right` for `==`, `!=`, `<`, `<=`, `>`, `>=`, as the engine compares. */
export function compare(operator: ComparisonOperator, left: unknown, right: unknown, negated: boolean): boolean {
  const l = kindOf(left);
  const r = kindOf(right);
  if (l === EXTERNAL || r === EXTERNAL) {
    // Host.externalOp: equalityFn for (in)equality, JavaScript's own operators for order.
    if (operator === 'Eq') return defaultEqualityFn(left, right);
    if (operator === 'Neq') return !defaultEqualityFn(left, right);
    // `not a < b` reaches us as `a >= b`, which is not the same in JavaScript for incomparable values.
    if (negated) throw ASK_NEGATION;
    try {
      return jsOrder(operator, left as number, right as number);
    } catch {
      // Objects without a primitive value make JavaScript (and so the engine) throw.
      throw ASK_TYPE_ERROR;
    }
  }
  if ((l === NUMBER || l === BOOLEAN) && (r === NUMBER || r === BOOLEAN)) {
    // Booleans compare with numbers as 1 and 0; NaN compares false.
    const a = +(left as number);
    const b = +(right as number);
    if (negated) {
      // `not a = b` reaches us as `a != b`, but unification never equates a boolean with a number.
      if (operator === 'Neq' && l !== r) throw ASK_NEGATION;
      // `not a < b` reaches us as `a >= b`, which differs when NaN is involved.
      if (operator !== 'Eq' && operator !== 'Neq' && (Number.isNaN(a) || Number.isNaN(b))) throw ASK_NEGATION;
    }
    return jsOrder(operator, a, b);
  }
  if (l === STRING && r === STRING) {
    if (operator === 'Eq') return left === right;
    if (operator === 'Neq') return left !== right;
    const order = compareCodePoints(left as string, right as string);
    return jsOrder(operator, order, 0);
  }
  throw ASK_TYPE_ERROR;
}

function jsOrder(operator: ComparisonOperator, a: number, b: number): boolean {
  switch (operator) {
    case 'Eq':
      return a === b;
    case 'Neq':
      return a !== b;
    case 'Lt':
      return a < b;
    case 'Leq':
      return a <= b;
    case 'Gt':
      return a > b;
    case 'Geq':
      return a >= b;
  }
}

/** Rust orders strings by code point; JavaScript's `<` by UTF-16 unit, which differs only around surrogates. */
function compareCodePoints(a: string, b: string): number {
  if (!SURROGATE.test(a) && !SURROGATE.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  const x = Array.from(a, (c) => c.codePointAt(0)!);
  const y = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

/**
 * The items `x in collection` tries, in the engine's order: list items, the characters of a string, the values of
 * a JavaScript iterable (a Set, a Map's entries). The engine fails on numbers, booleans and objects that are not
 * iterable; dictionaries, async iterables and one-shot iterators are left to it.
 */
export function itemsOf(collection: unknown): Iterable<unknown> {
  // A list, the common case, in a function small enough to be inlined.
  return Array.isArray(collection) ? collection : itemsOfValue(collection);
}

function itemsOfValue(collection: unknown): Iterable<unknown> {
  switch (kindOf(collection)) {
    case LIST:
      return collection as unknown[];
    case STRING:
      return collection as string;
    case EXTERNAL: {
      if (collection === null || collection === undefined) throw ASK_ITERATION;
      const iterable = collection as { [Symbol.iterator]?: () => Iterator<unknown> };
      if (typeof iterable[Symbol.iterator] !== 'function') throw ASK_ITERATION;
      // An iterator that is its own iterable would be consumed by us before the engine could see it.
      if (iterable[Symbol.iterator]!() === collection) throw ASK_ITERATION;
      const items = Array.from(iterable as Iterable<unknown>);
      for (const item of items) checkValue(item);
      return items;
    }
    default:
      throw ASK_ITERATION;
  }
}

/** `x in collection` for a known `x`: some item unifies with it. */
export function member(item: unknown, collection: unknown, negated: boolean): boolean {
  for (const candidate of itemsOf(collection)) if (unify(item, candidate, negated)) return true;
  return false;
}

/**
 * `value matches Tag`: instances of registered classes match by their registered ancestors (the engine never
 * calls `isaCheck` for them); every other value goes through the class's `isaCheck` (by default `instanceof`).
 */
export function isa(value: unknown, tag: string, classes: PolarClasses): boolean {
  const type = classes.type(tag);
  if (!type) throw ASK_ISA;
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Dict)) {
    const cls = (value as object).constructor;
    if (cls !== undefined && classes.isRegistered(cls)) {
      if (classes.mro(cls).includes(type.id)) return true;
      if (type.isaCheck.name !== 'defaultCheck') throw ASK_ISA;
      return false;
    }
  }
  let answer: unknown;
  try {
    answer = type.isaCheck(value);
  } catch {
    throw ASK_ISA;
  }
  if (typeof answer !== 'boolean') throw ASK_ISA;
  return answer;
}
