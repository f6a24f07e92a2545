import { beforeAll, describe, expect, it } from '@jest/globals';
import { Variable } from '../engine/oso-library.js';
import { Expression, Pattern } from '../engine/oso-internals.js';
import { UnsupportedPolicy } from './constraint-model.js';
import { compileDecision, prepareDecision } from './decision-analysis.js';
import { SINGLE } from './partial-evaluation.js';
import type { CompileContext } from './predicate-compiler.js';
import { plainCompileContext } from '../../test/fixtures/compile-context.js';

class Doc {
  constructor(readonly ownerId: number) {}
}

const dot = (base: unknown, attribute: string) => new Expression('Dot', [base, attribute]);
const isDoc = (term: unknown) => new Expression('Isa', [term, new Pattern({ tag: 'Doc', fields: {} })]);
const owned = (resource: unknown, actor: unknown) =>
  new Expression('Unify', [dot(resource, 'ownerId'), dot(actor, 'id')]);

let context: CompileContext;
beforeAll(() => {
  context = plainCompileContext([Doc]);
});

describe('deciding how a decision compiles', () => {
  const separate = [
    new Map<string, unknown>([
      [
        'resource',
        new Expression('And', [isDoc(new Variable('_this')), owned(new Variable('_this'), new Variable('actor'))]),
      ],
    ]),
  ];

  it('is orderable without local variables or negation, and then follows the single form when it holds the same constraints', () => {
    const prepared = prepareDecision(separate, context);
    expect(prepared.orderable).toBe(true);
    const x = new Variable(SINGLE);
    // The engine's order: the ownership first, then the type check.
    const single = [
      new Map<string, unknown>([
        [SINGLE, new Expression('And', [owned(dot(x, 'resource'), dot(x, 'actor')), isDoc(dot(x, 'resource'))])],
      ]),
    ];
    const ordered = compileDecision(prepared, single, context);
    expect(ordered.mode).toBe('ordered');
    expect(ordered.rules).toEqual(['resource.ownerId = actor.id and resource matches Doc']);
    expect(ordered.evaluate({ id: 1 }, new Doc(1))).toBe(true);
  });

  it('compiles exhaustively when the single form is missing or holds other constraints', () => {
    const prepared = prepareDecision(separate, context);
    expect(compileDecision(prepared, undefined, context).mode).toBe('exhaustive');
    const other = [
      new Map<string, unknown>([[SINGLE, new Expression('And', [isDoc(dot(new Variable(SINGLE), 'resource'))])]]),
    ];
    const compiled = compileDecision(prepared, other, context);
    expect(compiled.mode).toBe('exhaustive');
    expect(compiled.evaluate({ id: 2 }, new Doc(1))).toBe(false);
  });

  it('is not orderable with a local variable, and refuses `not` over one in a policy with negation', () => {
    const local = new Expression('And', [
      new Expression('In', [new Variable('_m_1'), dot(new Variable('_this'), 'members')]),
    ]);
    const withLocal = [new Map<string, unknown>([['resource', local]])];
    expect(prepareDecision(withLocal, context).orderable).toBe(false);
    const negated = new Expression('And', [
      local.args[0],
      new Expression('Not', [new Expression('Unify', [new Variable('_m_1'), 1])]),
    ]);
    expect(() =>
      prepareDecision([new Map<string, unknown>([['resource', negated]])], { ...context, negation: true }),
    ).toThrow(UnsupportedPolicy);
  });
});
