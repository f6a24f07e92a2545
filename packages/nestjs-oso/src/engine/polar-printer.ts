import type { Datum, FilterCondition } from 'oso';
import { Variable } from './oso-library.js';
import { Dict, Expression, Pattern } from './oso-internals.js';

/**
 * The one way nestjs-oso writes Polar in its messages and its compiled-decision rules: the engine's operators with
 * their Polar spelling, values as a policy would write them (`nil`, `"text"`, `[1, 2]`, `{a: 1}`), an application
 * object as `Expense instance`, and the engine's renamed variables under their policy names (`_m_12` is `m`,
 * `_this` the resource).
 *
 * @internal
 */
export const POLAR_OPERATORS: Readonly<Record<string, string>> = {
  Unify: '=',
  Eq: '==',
  Neq: '!=',
  Lt: '<',
  Leq: '<=',
  Gt: '>',
  Geq: '>=',
  In: 'in',
  Nin: 'not in',
  Isa: 'matches',
};

/** The Polar spelling of an engine operator (`Unify` is `=`), or its own name when Polar has no infix for it. @internal */
export function polarOperator(operator: string): string {
  return POLAR_OPERATORS[operator] ?? operator;
}

/** A value as a policy would write it; an application object is `Expense instance`. @internal */
export function printPolarValue(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(printPolarValue).join(', ')}]`;
  if (value instanceof Dict)
    return `{${Object.entries(value)
      .map(([key, item]) => `${key}: ${printPolarValue(item)}`)
      .join(', ')}}`;
  if (typeof value === 'object' && !(value instanceof Date)) return `${value.constructor?.name ?? 'Object'} instance`;
  return String(value);
}

/** A variable under its name in the policy: the engine renames `m` to `_m_12`, and calls the resource `_this`. @internal */
export function printPolarVariable(name: string): string {
  return name === '_this' ? 'resource' : name.replace(/^_(.+)_\d+$/, '$1');
}

/**
 * A term of the engine's partial results in Polar syntax: `resource matches Foo{} and m in resource.numbers and
 * 2 = m.number`. Variables in `alike` print as `_`.
 *
 * @internal
 */
export function printPolarTerm(term: unknown, alike?: ReadonlySet<string>): string {
  if (term instanceof Variable) return alike?.has(term.name) ? '_' : printPolarVariable(term.name);
  if (term instanceof Pattern) return `${term.tag ?? ''}{}`;
  if (term instanceof Expression) {
    const args = term.args.map((arg) => printPolarTerm(arg, alike));
    if (term.operator === 'Dot') return `${args[0]}.${String(term.args[1])}`;
    if (term.operator === 'And') return args.join(' and ');
    if (term.operator === 'Not') return `not ${args[0]}`;
    const infix = POLAR_OPERATORS[term.operator];
    if (infix && args.length === 2) return `${args[0]} ${infix} ${args[1]}`;
    return `${term.operator}(${args.join(', ')})`;
  }
  return printPolarValue(term);
}

/**
 * A condition of oso's data filter as Polar would spell it (`Foo.bar.isCool = true` becomes `Bar.isCool = true`).
 * A filter's `Eq` is the engine's unification, `=`.
 *
 * @internal
 */
export function printFilterCondition(condition: FilterCondition): string {
  const operator = polarOperator(condition.cmp === 'Eq' ? 'Unify' : condition.cmp);
  return `${printDatum(condition.lhs)} ${operator} ${printDatum(condition.rhs)}`;
}

function printDatum(datum: Datum): string {
  if ('typeName' in datum)
    return datum.fieldName === undefined ? datum.typeName : `${datum.typeName}.${datum.fieldName}`;
  return printPolarValue(datum.value);
}
