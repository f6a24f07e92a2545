import type { Datum, FilterCondition } from 'oso';
import { OsoError } from './oso.error.js';

/**
 * A policy that data filtering cannot turn into a query, or a data filtering setup that is incomplete. The message
 * names the resource type, the action when known and the Polar condition at fault, so that a person can find the
 * rule; an adapter throws it rather than return a filter that could be wrong.
 *
 * @example
 * try {
 *   await buildAuthorizedQuery(oso, user, 'read', Expense);
 * } catch (error) {
 *   if (error instanceof DataFilteringError) logger.error(error.message);
 * }
 * @publicApi
 */
export class DataFilteringError extends OsoError {
  override readonly name: string = 'DataFilteringError';
}

/** A condition as Polar would spell it (`Foo.bar.isCool = true` becomes `Bar.isCool = true`), for error messages. @internal */
export function describeCondition(condition: FilterCondition): string {
  return `${describeDatum(condition.lhs)} ${OPERATORS[condition.cmp] ?? condition.cmp} ${describeDatum(condition.rhs)}`;
}

const OPERATORS: Record<string, string> = {
  Eq: '=',
  Neq: '!=',
  Lt: '<',
  Leq: '<=',
  Gt: '>',
  Geq: '>=',
  In: 'in',
  Nin: 'not in',
};

function describeDatum(datum: Datum): string {
  if ('typeName' in datum) return datum.fieldName === undefined ? datum.typeName : `${datum.typeName}.${datum.fieldName}`;
  return describeValue(datum.value);
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(describeValue).join(', ')}]`;
  if (typeof value === 'object' && !(value instanceof Date)) return `${value.constructor?.name ?? 'Object'} instance`;
  return String(value);
}
