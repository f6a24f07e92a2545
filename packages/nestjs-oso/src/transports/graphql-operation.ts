import type { ExecutionContext } from '@nestjs/common';

/** The parts of graphql-js's `GraphQLResolveInfo` that `GraphQLOperation` reads (graphql is an optional peer). */
interface ResolveInfo {
  fieldName?: string;
  parentType?: { name?: string };
  operation?: { operation?: string; name?: { value?: string } };
}

/**
 * A GraphQL resolver call as route policies see it, the GraphQL counterpart of `HttpRequest`: checked by
 * `@Authorize()` without a resource on a resolver, and by `routeAuthorization`. Registered in Polar as
 * `GraphQLOperation`. The default action is the operation type (`"query"`, `"mutation"`, `"subscription"`).
 *
 * @example
 * // policy.polar
 * allow(user: User, "query", op: GraphQLOperation{fieldName: "expenses"}) if user.active;
 * allow(user: User, "mutation", op: GraphQLOperation{fieldName: "approve"}) if user.role = "admin";
 * @publicApi
 */
export class GraphQLOperation {
  constructor(
    /** The operation type: `"query"`, `"mutation"` or `"subscription"`. */
    readonly operation: string,
    /** The field being resolved (`"expenses"`). */
    readonly fieldName: string,
    /** The type the field belongs to (`"Query"`, `"Mutation"`, `"Expense"` for a field resolver). */
    readonly parentType: string,
    /** The field's arguments (`{ id: 1 }`). */
    readonly args: Record<string, unknown>,
    /** The operation's name in the document (`query ExpenseById { ... }`), or `null` for an anonymous one. */
    readonly operationName: string | null = null,
  ) {}

  /**
   * The operation of a GraphQL resolver call.
   *
   * @example
   * const operation = GraphQLOperation.from(context); // { operation: 'query', fieldName: 'expense', ... }
   */
  static from(context: ExecutionContext): GraphQLOperation {
    const args = context.getArgByIndex(1) as Record<string, unknown> | undefined;
    const info = (context.getArgByIndex(3) ?? {}) as ResolveInfo;
    return new GraphQLOperation(
      info.operation?.operation ?? 'query',
      info.fieldName ?? context.getHandler().name,
      info.parentType?.name ?? '',
      // Polar treats plain objects as dictionaries; graphql-js gives arguments a null prototype.
      args !== null && typeof args === 'object' ? { ...args } : {},
      info.operation?.name?.value ?? null,
    );
  }
}
