import { describe, expect, it } from '@jest/globals';
import { Variable } from '../engine/oso-library.js';
import { Dict, Expression, Pattern, Predicate } from '../engine/oso-internals.js';
import { showConstraint, UnsupportedPolicy } from './constraint-model.js';
import { conjunctionOf, conjunctionOfSingle, parseTerm } from './constraint-parser.js';
import { SINGLE } from './partial-evaluation.js';

const dot = (base: unknown, attribute: string) => new Expression('Dot', [base, attribute]);
const isa = (term: unknown, tag: string) => new Expression('Isa', [term, new Pattern({ tag, fields: {} })]);

describe('reading partial results into constraints', () => {
  it('reads one result of the separate form as one conjunction, `_this` renamed, each constraint once', () => {
    const resource = new Expression('And', [
      isa(new Variable('_this'), 'Expense'),
      new Expression('Unify', [dot(new Variable('_this'), 'ownerId'), dot(new Variable('actor'), 'id')]),
      new Expression('Unify', [dot(new Variable('_this'), 'ownerId'), dot(new Variable('actor'), 'id')]),
    ]);
    const conjunction = conjunctionOf(new Map<string, unknown>([['resource', resource]]));
    expect(conjunction.map(showConstraint)).toEqual(['resource matches Expense', 'resource.ownerId = actor.id']);
  });

  it('reads the single form: `x.actor` and `x.resource` are the actor and the resource', () => {
    const x = new Variable(SINGLE);
    const single = new Expression('And', [new Expression('Geq', [dot(dot(x, 'actor'), 'level'), 3])]);
    expect(conjunctionOfSingle(new Map([[SINGLE, single]])).map(showConstraint)).toEqual(['actor.level >= 3']);
  });

  it('keeps constant lists and dicts as constants, and others as terms', () => {
    expect(parseTerm([1, 2], 'resource')).toEqual({ t: 'const', value: [1, 2] });
    expect(parseTerm([new Variable('_m_1')], 'resource')).toEqual({ t: 'list', items: [{ t: 'var', name: '_m_1' }] });
    const dict = new Dict({ a: new Variable('actor') });
    expect(parseTerm(dict, 'resource')).toEqual({ t: 'dict', entries: [['a', { t: 'var', name: 'actor' }]] });
  });

  it('refuses what the compiled subset does not cover, so that the engine keeps deciding', () => {
    const refused = [
      () => parseTerm(new Predicate('f', []), 'resource'),
      () => parseTerm(dot(new Variable('actor'), new Predicate('f', []) as unknown as string), 'resource'),
      () => parseTerm(class {}, 'resource'),
      () => conjunctionOf(new Map([['resource', new Expression('Print', [1])]])),
      () => conjunctionOf(new Map([['other', 1]])),
    ];
    for (const attempt of refused) expect(attempt).toThrow(UnsupportedPolicy);
  });
});
