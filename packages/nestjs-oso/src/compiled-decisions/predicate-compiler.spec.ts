import { beforeAll, describe, expect, it } from '@jest/globals';
import type { Constraint, Term } from './constraint-model.js';
import { AskEngine } from './polar-values.js';
import { compileConjunctions, type CompileContext } from './predicate-compiler.js';
import { plainCompileContext } from '../../test/fixtures/compile-context.js';

class User {
  constructor(readonly id: number) {}
}
class Doc {
  constructor(
    readonly ownerId: number,
    readonly readers: number[],
  ) {}
}

const v = (name: string): Term => ({ t: 'var', name });
const dot = (base: Term, attribute: string): Term => ({ t: 'dot', base, attribute });

let context: CompileContext;
beforeAll(() => {
  context = plainCompileContext([User, Doc]);
});

describe('the predicate compiler', () => {
  const isDoc: Constraint = { c: 'isa', term: v('resource'), tag: 'Doc', fields: [] };
  const owns: Constraint = { c: 'unify', left: dot(v('resource'), 'ownerId'), right: dot(v('actor'), 'id') };
  const reads: Constraint[] = [
    isDoc,
    { c: 'in', item: v('_r_1'), collection: dot(v('resource'), 'readers') },
    { c: 'unify', left: v('_r_1'), right: dot(v('actor'), 'id') },
  ];

  it('allows when one of the ways holds, and says which ways it compiled', () => {
    const predicate = compileConjunctions([[isDoc, owns], reads], context, 'exhaustive');
    expect(predicate.rules).toEqual([
      'resource matches Doc and resource.ownerId = actor.id',
      'resource matches Doc and r in resource.readers and r = actor.id',
    ]);
    expect(predicate.evaluate(new User(1), new Doc(1, []))).toBe(true);
    expect(predicate.evaluate(new User(2), new Doc(1, [2]))).toBe(true);
    expect(predicate.evaluate(new User(3), new Doc(1, [2]))).toBe(false);
  });

  it('never allows without a way, and allows always with an empty one', () => {
    expect(compileConjunctions([], context, 'ordered').evaluate(new User(1), new Doc(1, []))).toBe(false);
    const always = compileConjunctions([[]], context, 'ordered');
    expect(always.rules).toEqual(['true']);
    expect(always.evaluate(new User(1), 'anything')).toBe(true);
  });

  it('leaves to the engine a lookup the engine would fail on, in either mode', () => {
    for (const mode of ['ordered', 'exhaustive'] as const) {
      const predicate = compileConjunctions([[isDoc, owns]], context, mode);
      expect(() => predicate.evaluate({ name: 'no id' }, new Doc(1, []))).toThrow(AskEngine);
    }
  });

  it('exhaustively makes every lookup even once a constraint fails; in order it stops as the engine does', () => {
    const missing: Constraint = { c: 'unify', left: dot(v('actor'), 'missing'), right: { t: 'const', value: 1 } };
    const failsFirst: Constraint = {
      c: 'unify',
      left: dot(v('resource'), 'ownerId'),
      right: { t: 'const', value: 99 },
    };
    expect(() =>
      compileConjunctions([[failsFirst, missing]], context, 'exhaustive').evaluate(new User(1), new Doc(1, [])),
    ).toThrow(AskEngine);
    expect(compileConjunctions([[failsFirst, missing]], context, 'ordered').evaluate(new User(1), new Doc(1, []))).toBe(
      false,
    );
  });

  it('reads names and constants of any text as data: none becomes code', () => {
    const odd = ['a"b', "c'd", 'e\\', 'f\n${g}', '*/ h /*', '\u2028', 'constructor', '__proto__'];
    for (const name of odd) {
      const record = Object.create(Doc.prototype) as Record<string, unknown>;
      Object.defineProperty(record, name, { value: name, enumerable: true });
      const sameText: Constraint = { c: 'unify', left: dot(v('resource'), name), right: { t: 'const', value: name } };
      for (const mode of ['ordered', 'exhaustive'] as const) {
        const predicate = compileConjunctions([[isDoc, sameText]], context, mode);
        expect(predicate.evaluate(new User(1), record)).toBe(true);
        // Missing from a Doc (`constructor` and `__proto__` are inherited by every object).
        if (!(name in new Doc(1, []))) expect(() => predicate.evaluate(new User(1), new Doc(1, []))).toThrow(AskEngine);
      }
    }
  });

  it('answers as the value helpers do on the cases its generated code reads directly', () => {
    const idIs = (value: unknown): Constraint => ({
      c: 'unify',
      left: dot(v('actor'), 'id'),
      right: { t: 'const', value },
    });
    const predicate = (value: unknown) => compileConjunctions([[idIs(value)]], context, 'ordered');
    expect(predicate(1).evaluate(new User(1), undefined)).toBe(true);
    expect(predicate(2).evaluate(new User(1), undefined)).toBe(false);
    // A Promise, a thenable, an unsafe integer, a lone surrogate: only the engine knows what it makes of them.
    for (const id of [Promise.resolve(1), { then: () => undefined }, 2 ** 53 + 2, 'x\ud800'])
      expect(() => predicate(1).evaluate(new User(id as number), undefined)).toThrow(AskEngine);
    // A subclass instance matches through its ancestors, an object of no registered class through `instanceof`.
    class SubDoc extends Doc {}
    const isDocOnly = compileConjunctions([[isDoc]], context, 'ordered');
    expect(isDocOnly.evaluate(undefined, new SubDoc(1, []))).toBe(true);
    expect(isDocOnly.evaluate(undefined, { ownerId: 1 })).toBe(false);
    expect(isDocOnly.evaluate(undefined, [new Doc(1, [])])).toBe(false);
  });
});
