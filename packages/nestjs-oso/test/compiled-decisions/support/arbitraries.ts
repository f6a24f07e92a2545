/**
 * Building blocks of the random cases: objects whose fields are usually well-typed and sometimes null, missing,
 * of the wrong type, or nested wrongly, as real requests bring them.
 */
import * as fc from 'fast-check';

/** A field left out of the object (the engine fails when a policy reads it). */
export const MISSING: unique symbol = Symbol('missing');

/** Values of the wrong type for any field. */
export const odd = fc.constantFrom<unknown>(
  null,
  undefined,
  '1',
  1.5,
  true,
  false,
  0,
  [],
  {},
  NaN,
  -1,
  'member',
  [1],
  new Set([1]),
  // Values the engine treats specially, which a compiled check must hand to it: awaited, rejected, mangled.
  Promise.resolve(1),
  { then: (resolve: (value: unknown) => void) => resolve(1) },
  2 ** 53 + 2,
  'x\ud800',
);

/** Usually `typical`, sometimes an odd value, sometimes missing. */
export function field<T>(typical: fc.Arbitrary<T>, oddWeight = 1): fc.Arbitrary<T | unknown> {
  return fc.oneof(
    { arbitrary: typical, weight: 12 },
    { arbitrary: odd, weight: oddWeight },
    { arbitrary: fc.constant(MISSING), weight: oddWeight },
  );
}

/** An instance of `cls` (its constructor is not run) with these fields, the `MISSING` ones left out. */
export function instance<T>(cls: abstract new (...args: never[]) => T, fields: Record<string, unknown>): T {
  const object = Object.create(cls.prototype) as Record<string, unknown>;
  for (const [key, value] of Object.entries(fields)) if (value !== MISSING) object[key] = value;
  return object as T;
}

/** A plain object with these fields, the `MISSING` ones left out. */
export function plain(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== MISSING));
}

/** Random instances of a class from a record of field arbitraries. */
export function instances<T>(
  cls: abstract new (...args: never[]) => T,
  fields: Record<string, fc.Arbitrary<unknown>>,
): fc.Arbitrary<T> {
  return fc.record(fields).map((values) => instance(cls, values));
}

/** Usually an array of `item`, sometimes a Set of them, sometimes odd or missing. */
export function collection<T>(item: fc.Arbitrary<T>, maxLength = 3): fc.Arbitrary<unknown> {
  return fc.oneof(
    { arbitrary: fc.array(item, { maxLength }), weight: 10 },
    { arbitrary: fc.array(item, { maxLength }).map((items) => new Set(items)), weight: 1 },
    { arbitrary: odd, weight: 1 },
    { arbitrary: fc.constant(MISSING), weight: 1 },
  );
}
