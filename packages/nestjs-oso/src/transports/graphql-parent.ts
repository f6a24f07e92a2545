import type { ExecutionContext } from '@nestjs/common';

/**
 * The resource resolver of a GraphQL field resolver checked on its parent object (the `Expense` whose
 * `approverNotes` is resolved): GraphQL hands a field resolver its parent first, before the field's arguments.
 *
 * @example
 * @ResolveField(() => String, { nullable: true })
 * @Authorize('approve', { resource: graphQLParent })
 * approverNotes(@AuthorizedResource() expense: Expense) { return expense.approverNotes; }
 * @publicApi
 */
export function graphQLParent(_args: unknown, context: ExecutionContext): unknown {
  return context.getArgByIndex(0);
}
