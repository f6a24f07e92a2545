/**
 * Polar's comparisons on the values of JavaScript objects, as `isAllowed` evaluates them, for the in-memory filter.
 *
 * Two evaluators meet in the engine. Numbers, strings and booleans are Polar values, compared by the Polar VM: `=`
 * between two types is false, but `!=` and `<` between two types raise, and a bare `d.flag` raises on anything but a
 * boolean (its filter is `d.flag = true`, so `=` with a boolean cannot be decided here). Everything else (nil, an
 * `undefined` property, dates, objects) is a host instance, compared by oso's host with JavaScript's own operators
 * (`null < 2` is true) and lodash's `isEqual`. A property that is absent raises.
 *
 * Each comparison answers `FALSE`, `TRUE`, or `UNSURE` when the engine could raise or decide otherwise; an item with
 * an unsure comparison is decided by the engine itself.
 */
import { defaultEqualityFn } from '../../engine/oso-library.js';

/** The comparison is false for the engine too. @internal */
export const FALSE = 0;
/** The comparison is true for the engine too. @internal */
export const TRUE = 1;
/** The engine could raise, or decide otherwise: only `isAllowed` can tell. @internal */
export const UNSURE = 2;
/** @internal */
export type Verdict = typeof FALSE | typeof TRUE | typeof UNSURE;

/** What reading an absent property gives: the engine raises on it. @internal */
export const MISSING: unique symbol = Symbol('missing property');

/** A number the engine holds as the same number: floats, and integers it can hold as an i64 without rounding. */
function exactNumber(value: number): boolean {
  // Comparisons rule out NaN and the infinities; within the safe range, a number is a safe integer or a fraction.
  return value >= -Number.MAX_SAFE_INTEGER && value <= Number.MAX_SAFE_INTEGER;
}

/** `a = b` (and `b = a`) as Polar unifies or compares them. @internal */
export function polarEq(a: unknown, b: unknown): Verdict {
  const ta = typeof a;
  const tb = typeof b;
  if (ta === 'string' && tb === 'string') return a === b ? TRUE : FALSE;
  if (ta === 'number' && tb === 'number')
    return exactNumber(a as number) && exactNumber(b as number) ? (a === b ? TRUE : FALSE) : UNSURE;
  // A boolean against anything else is what a bare `d.flag` becomes, which raises on non-booleans.
  if (ta === 'boolean' || tb === 'boolean') return ta === tb ? (a === b ? TRUE : FALSE) : UNSURE;
  if (a === MISSING || b === MISSING) return UNSURE;
  if (a == null || b == null) {
    // nil and undefined are host instances: lodash's isEqual, for which null and undefined differ.
    if (a == null && b == null) return a === b ? TRUE : FALSE;
    const other = a == null ? b : a;
    return typeof other === 'string' || (typeof other === 'number' && exactNumber(other)) ? FALSE : UNSURE;
  }
  // A string against a number: two Polar values of two types, which never unify.
  if (
    (ta === 'string' && tb === 'number' && exactNumber(b as number)) ||
    (ta === 'number' && tb === 'string' && exactNumber(a as number))
  ) {
    return FALSE;
  }
  return UNSURE;
}

/** `a != b`: the negation of `=`, except that the Polar VM raises on two values of two types. @internal */
export function polarNeq(a: unknown, b: unknown): Verdict {
  const ta = typeof a;
  const tb = typeof b;
  if (ta !== tb && a != null && b != null) return UNSURE;
  const equal = polarEq(a, b);
  return equal === UNSURE ? UNSURE : equal === TRUE ? FALSE : TRUE;
}

/** The ordered comparisons, by operator. @internal */
export type Ordering = 'Lt' | 'Leq' | 'Gt' | 'Geq';

// Strings with surrogates compare differently in UTF-16 (JavaScript) and UTF-8 (Polar).
const SURROGATE = /[\uD800-\uDFFF]/;

/** `a < b` and the like: numbers and strings by the Polar VM, nil and numbers by JavaScript (`null < 2`). @internal */
export function polarOrder(op: Ordering, a: unknown, b: unknown): Verdict {
  const ta = typeof a;
  const tb = typeof b;
  if (ta === 'number' && tb === 'number') {
    if (!exactNumber(a as number) || !exactNumber(b as number)) return UNSURE;
  } else if (ta === 'string' && tb === 'string') {
    if (SURROGATE.test(a as string) || SURROGATE.test(b as string)) return UNSURE;
  } else if (a === MISSING || b === MISSING) {
    return UNSURE;
  } else if (a == null || b == null) {
    // The host compares nil with JavaScript's operators; kept to numbers and nil, where they are plain.
    const other = a == null ? b : a;
    if (!(other == null || (typeof other === 'number' && exactNumber(other)))) return UNSURE;
  } else {
    return UNSURE;
  }
  const x = a as number;
  const y = b as number;
  switch (op) {
    case 'Lt':
      return x < y ? TRUE : FALSE;
    case 'Leq':
      return x <= y ? TRUE : FALSE;
    case 'Gt':
      return x > y ? TRUE : FALSE;
    case 'Geq':
      return x >= y ? TRUE : FALSE;
  }
}

/** `a in list`: `=` with each element (unification, so two types are simply unequal). @internal */
export function polarIn(a: unknown, list: unknown, equal: (a: unknown, b: unknown) => Verdict = polarEq): Verdict {
  if (!Array.isArray(list)) return UNSURE;
  let found: Verdict = FALSE;
  for (const element of list) {
    const verdict = equal(a, element);
    if (verdict === UNSURE) return UNSURE;
    if (verdict === TRUE) found = TRUE;
  }
  return found;
}

/**
 * Whole objects (`expense.organization = org`): the engine compares them with its equality (`defaultEqualityFn`,
 * lodash's `isEqual`), used here too. The same object is equal; two objects with different keys are not; two that
 * the engine's equality tells apart are left to the engine.
 *
 * @internal
 */
export function objectEq(key: string): (a: unknown, b: unknown) => Verdict {
  return (a, b) => {
    if (a === MISSING || b === MISSING) return UNSURE;
    if (a === b) return TRUE;
    const objectA = typeof a === 'object' && a !== null;
    const objectB = typeof b === 'object' && b !== null;
    if (!objectA && !objectB) return polarEq(a, b);
    if (!objectA || !objectB) return a === null || b === null ? FALSE : UNSURE;
    const ka = Object.hasOwn(a as object, key) ? (a as Record<string, unknown>)[key] : MISSING;
    const kb = Object.hasOwn(b as object, key) ? (b as Record<string, unknown>)[key] : MISSING;
    if (polarEq(ka, kb) === FALSE) return FALSE;
    return defaultEqualityFn(a, b) ? TRUE : UNSURE;
  };
}
