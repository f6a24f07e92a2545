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
