import * as fc from 'fast-check';

/**
 * Objects made from loaded rows, for the suites that compare whole rows with objects (`e = x`, `e.submitter = m`):
 * equal to a row in every column, or differing in one column, a missing or extra property, a hidden or symbol
 * property, their class (a plain object, a look-alike class, a subclass) or a loaded relation. Shared by the adapters'
 * suites, each passing its own classes.
 */
export type Row = Record<string | symbol, unknown>;

/** A copy of a row: an object of the row's class (or `prototype`) with the same own properties. */
export function copy(row: object, prototype: object | null = Object.getPrototypeOf(row) as object): Row {
  return Object.assign(Object.create(prototype) as Row, row);
}

export const MUTATIONS = [
  'same object',
  'copy',
  'set',
  'delete',
  'undefined',
  'extra',
  'hidden',
  'symbol',
  'plain object',
  'other class',
  'subclass',
  'loaded relation',
] as const;
export type Mutation = (typeof MUTATIONS)[number];

/** One object to make: which row, which change, which column, which value. */
export interface Variant {
  base: number;
  mutation: Mutation;
  column: number;
  value: unknown;
}

/** How a suite's classes make the objects that depend on them. */
export interface VariantClasses {
  /** A prototype of another class than the row's (a look-alike). */
  lookalike: object;
  /** A prototype of a subclass of the row's class. */
  subclassOf(row: object): object;
  /** Adds a loaded relation (an object or a list) to the copy of `row`. */
  loadRelation(row: object, copy: Row): void;
}

/** The values `set` and `extra` use: near the seeded values, of every type, NaN included. */
export const VALUE = fc.oneof(
  fc.integer({ min: -2, max: 1000 }),
  fc.constantFrom(1, 2, 3, 50, 100, 'alice', 'bob', 'ok', 'OK', '', 'E1', 'travel', true, false, null, NaN, 1.5, '1'),
  fc.string({ maxLength: 4 }),
  fc.constantFrom([], ['travel'], ['food', 'travel'], [''], ['a,b'], ['a b']),
);

export function variants(value: fc.Arbitrary<unknown> = VALUE): fc.Arbitrary<Variant> {
  return fc.record({
    base: fc.nat({ max: 5 }),
    mutation: fc.constantFrom(...MUTATIONS),
    column: fc.nat({ max: 6 }),
    value,
  });
}

/** The object a variant makes of one of the loaded rows. */
export function make(rows: object[], variant: Variant, classes: VariantClasses): unknown {
  const base = rows[variant.base % rows.length]!;
  const keys = Object.keys(base);
  const key = keys[variant.column % keys.length]!;
  const object = copy(base);
  switch (variant.mutation) {
    case 'same object':
      return base;
    case 'copy':
      return object;
    case 'set':
      object[key] = variant.value;
      return object;
    case 'delete':
      delete object[key];
      return object;
    case 'undefined':
      object[key] = undefined;
      return object;
    case 'extra':
      object[`extra${variant.column}`] = variant.value;
      return object;
    case 'hidden':
      // Not enumerable: isEqual does not see it, so the object is still the row.
      Object.defineProperty(object, 'hidden', { value: variant.value, enumerable: false });
      return object;
    case 'symbol':
      object[Symbol('tag')] = variant.value;
      return object;
    case 'plain object':
      return { ...base };
    case 'other class':
      return copy(base, classes.lookalike);
    case 'subclass':
      return copy(base, classes.subclassOf(base));
    case 'loaded relation':
      classes.loadRelation(base, object);
      return object;
  }
}

/** What a suite's `differential` counted: its calls, and those where `isAllowed` allowed some row. */
export interface Outcomes {
  calls: number;
  someAllowed: number;
}

/**
 * Registers the generated-objects cases both adapters' suites run, one per action of their shared policy rules
 * (`read`, `same`, `among`, `by-any`, `other`, `not-mine`), each with its fixed seed: the objects made of the loaded
 * members (for the actions on the submitter) or expenses go to the suite's `differential` as one actor or a list.
 */
export function generatedObjectCases(options: {
  members: () => object[];
  expenses: () => object[];
  classes: VariantClasses;
  differential: (actor: unknown, action: string) => Promise<unknown>;
  value?: fc.Arbitrary<unknown>;
  timeout?: number;
}): void {
  const variant = variants(options.value);
  const one = () => fc.tuple(variant);
  const many = () => fc.array(variant, { minLength: 0, maxLength: 3 });
  const property = (action: string, arbitrary: () => fc.Arbitrary<Variant[]>, seed: number) =>
    it(
      `generated objects, "${action}": the list is isAllowed's, row by row`,
      async () => {
        const rowsOf = () => (['read', 'by-any', 'not-mine'].includes(action) ? options.members() : options.expenses());
        await fc.assert(
          fc.asyncProperty(arbitrary(), async (chosen) => {
            const objects = chosen.map((each) => make(rowsOf(), each, options.classes));
            await options.differential(['among', 'by-any'].includes(action) ? objects : objects[0], action);
          }),
          { seed, numRuns: 40 },
        );
      },
      options.timeout,
    );
  property('read', one, 2026);
  property('same', one, 2027);
  property('among', many, 2029);
  property('by-any', many, 2030);
  property('other', one, 2031);
  property('not-mine', one, 2032);
}

/** The generated objects are equal to rows often enough to allow some, and different often enough to deny. */
export function expectSomeAllowedSomeDenied(outcomes: Outcomes): void {
  expect(outcomes.someAllowed).toBeGreaterThan(outcomes.calls / 5);
  expect(outcomes.someAllowed).toBeLessThan(outcomes.calls);
}

/** Whether a value holds NaN anywhere (isEqual finds NaN equal to NaN; SQL cannot, so adapters refuse it). */
export function hasNaN(value: unknown): boolean {
  if (typeof value === 'number') return Number.isNaN(value);
  if (Array.isArray(value)) return value.some(hasNaN);
  return typeof value === 'object' && value !== null && Object.values(value).some(hasNaN);
}
