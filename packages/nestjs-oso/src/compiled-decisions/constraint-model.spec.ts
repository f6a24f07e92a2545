import { describe, expect, it } from '@jest/globals';
import {
  flatten,
  groundPaths,
  keyOf,
  negates,
  showConstraint,
  variablesOf,
  type Constraint,
  type Term,
} from './constraint-model.js';

const v = (name: string): Term => ({ t: 'var', name });
const dot = (base: Term, attribute: string): Term => ({ t: 'dot', base, attribute });
const value = (constant: unknown): Term => ({ t: 'const', value: constant });

class Expense {}

describe('the constraint model', () => {
  const member: Constraint = { c: 'in', item: v('_m_3'), collection: dot(v('resource'), 'members') };
  const owner: Constraint = { c: 'unify', left: dot(v('_m_3'), 'id'), right: dot(v('actor'), 'id') };
  const open: Constraint = {
    c: 'compare',
    operator: 'Neq',
    left: dot(dot(v('resource'), 'status'), 'name'),
    right: value('closed'),
  };

  it('prints constraints in Polar syntax, local variables under their policy names', () => {
    expect([member, owner, open].map(showConstraint)).toEqual([
      'm in resource.members',
      'm.id = actor.id',
      'resource.status.name != "closed"',
    ]);
    expect(showConstraint({ c: 'isa', term: v('resource'), tag: 'Expense', fields: [['id', value(1)]] })).toBe(
      'resource matches Expense{id: 1}',
    );
    expect(showConstraint({ c: 'not', body: [open] })).toBe('not (resource.status.name != "closed")');
    expect(showConstraint({ c: 'unify', left: v('resource'), right: value(new Expense()) })).toBe(
      'resource = Expense instance',
    );
  });

  it('finds the variables of a constraint at any depth, and the paths from the actor and the resource', () => {
    expect([...variablesOf({ c: 'or', branches: [[member], [owner]] })].sort()).toEqual(['_m_3', 'actor', 'resource']);
    expect(groundPaths(open).map((path) => showConstraint({ c: 'unify', left: path, right: value(null) }))).toEqual([
      'resource.status.name = nil',
      'resource.status = nil',
    ]);
    expect(groundPaths(owner).map((path) => (path.t === 'dot' ? path.attribute : ''))).toEqual(['id']);
  });

  it('takes `and` apart, and knows which constraints negate', () => {
    expect(flatten({ c: 'and', body: [member, { c: 'and', body: [owner, open] }] })).toEqual([member, owner, open]);
    const constraints: Constraint[] = [
      member,
      { c: 'not', body: [owner] },
      { c: 'and', body: [{ c: 'or', branches: [] }] },
    ];
    expect(constraints.map(negates)).toEqual([false, true, true]);
  });

  it('keys constraints by structure: objects by identity, local variables by name or anonymously', () => {
    const a = new Expense();
    const b = new Expense();
    const withValue = (object: unknown): Constraint => ({ c: 'unify', left: v('resource'), right: value(object) });
    expect(keyOf(withValue(a))).toBe(keyOf(withValue(a)));
    expect(keyOf(withValue(a))).not.toBe(keyOf(withValue(b)));
    const renamed: Constraint = { c: 'in', item: v('_n_7'), collection: dot(v('resource'), 'members') };
    expect(keyOf(member)).not.toBe(keyOf(renamed));
    expect(keyOf(member, true)).toBe(keyOf(renamed, true));
  });
});
