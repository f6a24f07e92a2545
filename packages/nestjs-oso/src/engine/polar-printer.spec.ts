import { describe, expect, it } from '@jest/globals';
import { Variable } from './oso-library.js';
import { Dict, Expression, Pattern } from './oso-internals.js';
import { polarOperator, printFilterCondition, printPolarTerm, printPolarValue } from './polar-printer.js';

class Expense {}

describe('the Polar printer', () => {
  it('spells the engine operators as Polar does', () => {
    expect(['Unify', 'Eq', 'Neq', 'Lt', 'Leq', 'Gt', 'Geq', 'In', 'Isa', 'Print'].map(polarOperator)).toEqual([
      '=',
      '==',
      '!=',
      '<',
      '<=',
      '>',
      '>=',
      'in',
      'matches',
      'Print',
    ]);
  });

  it('writes values as a policy would, and an application object as an instance of its class', () => {
    expect(
      [null, undefined, 'a "b"', 3, true, [1, 'x'], new Dict({ a: 1 }), new Expense()].map(printPolarValue),
    ).toEqual(['nil', 'nil', '"a \\"b\\""', '3', 'true', '[1, "x"]', '{a: 1}', 'Expense instance']);
  });

  it('writes partial results with the policy names of the variables', () => {
    const m = new Variable('_m_12');
    const term = new Expression('And', [
      new Expression('Isa', [new Variable('_this'), new Pattern({ tag: 'Foo', fields: {} })]),
      new Expression('In', [m, new Expression('Dot', [new Variable('_this'), 'numbers'])]),
      new Expression('Unify', [2, new Expression('Dot', [m, 'number'])]),
    ]);
    expect(printPolarTerm(term)).toBe('resource matches Foo{} and m in resource.numbers and 2 = m.number');
    expect(printPolarTerm(term, new Set(['_m_12']))).toBe(
      'resource matches Foo{} and _ in resource.numbers and 2 = _.number',
    );
  });

  it("writes data filter conditions, the filter's Eq as unification", () => {
    const condition = { lhs: { typeName: 'Bar', fieldName: 'isCool' }, cmp: 'Eq' as const, rhs: { value: true } };
    expect(printFilterCondition(condition)).toBe('Bar.isCool = true');
    expect(
      printFilterCondition({
        lhs: { value: 'food' },
        cmp: 'In' as never,
        rhs: { typeName: 'Expense', fieldName: 'labels' },
      }),
    ).toBe('"food" in Expense.labels');
  });
});
