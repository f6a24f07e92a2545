/**
 * Reads the engine's partial results into the constraint model: one result (the bindings of `actor` and `resource`,
 * or of the query variable of the `single` form) becomes one conjunction of constraints, each once. Anything outside
 * the compiled subset is refused with `UnsupportedPolicy`, and the engine keeps deciding.
 */
import { Variable } from '../engine/oso-library.js';
import { Dict, Expression, Pattern, Predicate } from '../engine/oso-internals.js';
import { printPolarValue } from '../engine/polar-printer.js';
import { SINGLE } from './partial-evaluation.js';
import type { ComparisonOperator } from './polar-values.js';
import {
  ACTOR,
  FIELD,
  flatten,
  isArgument,
  keyOf,
  RESOURCE,
  unifyVariables,
  UnsupportedPolicy,
  type Constraint,
  type Term,
} from './constraint-model.js';

const COMPARISONS = new Set(['Eq', 'Neq', 'Lt', 'Leq', 'Gt', 'Geq']);

/**
 * One result as one conjunction: the constraints of the bindings of the actor, the resource and (for `allow_field`)
 * the field, `_this` renamed, each constraint once.
 */
export function conjunctionOf(result: Map<string, unknown>): Constraint[] {
  const constraints: Constraint[] = [];
  const seen = new Set<string>();
  for (const name of [ACTOR, RESOURCE, FIELD]) {
    if (!result.has(name)) continue;
    const value = result.get(name);
    let own: Constraint[];
    if (value instanceof Expression) own = flatten(parseConstraint(value, name));
    else if (value instanceof Variable)
      own = value.name === name || value.name === '_this' ? [] : [unifyVariables(name, value.name)];
    else own = [{ c: 'unify', left: { t: 'var', name }, right: parseTerm(value, name) }];
    for (const constraint of own) {
      const key = keyOf(constraint);
      if (seen.has(key)) continue;
      seen.add(key);
      constraints.push(constraint);
    }
  }
  for (const name of result.keys())
    if (!isArgument(name)) throw new UnsupportedPolicy(`an unexpected binding of ${name}`);
  return constraints;
}

/** One result of the `single` form as one conjunction: `x.actor`, `x.resource`, `x.field` become those variables. */
export function conjunctionOfSingle(result: Map<string, unknown>): Constraint[] {
  for (const name of result.keys())
    if (name !== SINGLE) throw new UnsupportedPolicy(`an unexpected binding of ${name}`);
  const value = result.get(SINGLE);
  if (value === undefined || value instanceof Variable) return [];
  if (!(value instanceof Expression)) throw new UnsupportedPolicy('the query variable bound to a value');
  const constraints: Constraint[] = [];
  const seen = new Set<string>();
  for (const constraint of flatten(parseConstraint(value, SINGLE))) {
    const key = keyOf(constraint);
    if (seen.has(key)) continue;
    seen.add(key);
    constraints.push(constraint);
  }
  return constraints;
}

/** One constraint of a result; `_this` is `self` (the binding it came from). */
export function parseConstraint(value: unknown, self: string): Constraint {
  if (!(value instanceof Expression))
    throw new UnsupportedPolicy(`a constraint that is not an expression (${printPolarValue(value)})`);
  const args = value.args;
  switch (value.operator) {
    case 'And':
      return { c: 'and', body: args.flatMap((arg) => flatten(parseConstraint(arg, self))) };
    case 'Or':
      return { c: 'or', branches: args.map((arg) => flatten(parseConstraint(arg, self))) };
    case 'Not':
      return { c: 'not', body: flatten(parseConstraint(args[0], self)) };
    case 'Unify':
      return { c: 'unify', left: parseTerm(args[0], self), right: parseTerm(args[1], self) };
    case 'In':
      return { c: 'in', item: parseTerm(args[0], self), collection: parseTerm(args[1], self) };
    case 'Isa': {
      const pattern = args[1];
      if (!(pattern instanceof Pattern) || typeof pattern.tag !== 'string')
        throw new UnsupportedPolicy('a `matches` without a class');
      const fields =
        pattern.fields instanceof Dict || (pattern.fields && typeof pattern.fields === 'object')
          ? Object.entries(pattern.fields)
          : [];
      return {
        c: 'isa',
        term: parseTerm(args[0], self),
        tag: pattern.tag,
        fields: fields.map(([key, field]) => [key, parseTerm(field, self)] as [string, Term]),
      };
    }
    default:
      if (COMPARISONS.has(value.operator)) {
        return {
          c: 'compare',
          operator: value.operator as ComparisonOperator,
          left: parseTerm(args[0], self),
          right: parseTerm(args[1], self),
        };
      }
      throw new UnsupportedPolicy(`the Polar operation ${value.operator}`);
  }
}

/** One term of a constraint. */
export function parseTerm(value: unknown, self: string): Term {
  if (value instanceof Variable) {
    const name = value.name === '_this' ? self : value.name;
    if (name === SINGLE) throw new UnsupportedPolicy('the query variable itself as a value');
    return { t: 'var', name };
  }
  if (value instanceof Expression) {
    if (value.operator !== 'Dot') throw new UnsupportedPolicy(`the Polar operation ${value.operator} in a value`);
    const [base, attribute] = value.args;
    if (typeof attribute !== 'string') throw new UnsupportedPolicy('a method call');
    // In the `single` form, `x.actor`, `x.resource` and `x.field` are the actor, the resource and the field.
    if (base instanceof Variable && (base.name === SINGLE || (base.name === '_this' && self === SINGLE))) {
      if (!isArgument(attribute)) throw new UnsupportedPolicy(`x.${attribute}`);
      return { t: 'var', name: attribute };
    }
    return { t: 'dot', base: parseTerm(base, self), attribute };
  }
  if (value instanceof Pattern) throw new UnsupportedPolicy('a pattern as a value');
  if (value instanceof Predicate) throw new UnsupportedPolicy('a method call');
  if (typeof value === 'function') throw new UnsupportedPolicy('a class or function as a value');
  if (Array.isArray(value)) {
    const items = value.map((item) => parseTerm(item, self));
    return items.every((item) => item.t === 'const') ? { t: 'const', value } : { t: 'list', items };
  }
  if (value instanceof Dict) {
    const entries = Object.entries(value).map(([key, item]) => [key, parseTerm(item, self)] as [string, Term]);
    return entries.every(([, item]) => item.t === 'const') ? { t: 'const', value } : { t: 'dict', entries };
  }
  return { t: 'const', value };
}
