import { applyDecorators, SetMetadata, UseGuards, type ExecutionContext, type Type } from '@nestjs/common';
import { OSO_AUTHORIZE } from '../module/oso.constants.js';
import { AuthorizeGuard } from './authorize.guard.js';

/**
 * Loads the resource a route acts on, from what the call has (the platform request on HTTP, the field's arguments on
 * GraphQL, the message data on WebSockets and microservices) and the execution context. Returning `null` or
 * `undefined` answers 404 (or the transport's `NOT_FOUND`).
 *
 * @example
 * const expenseById: ResourceResolverFn = (req) => expenses.findOneBy({ id: Number(req.params.id) });
 * @publicApi
 */
export type ResourceResolverFn<Resource = unknown> = (
  // The platform's request (Express or Fastify), whose type only the app knows: `any` lets `(req) => ...` read it.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  request: any,
  context: ExecutionContext,
) => Resource | null | undefined | Promise<Resource | null | undefined>;

/**
 * An injectable resource loader, resolved through dependency injection: list it in the `providers` of the module
 * that declares the controller. Returning `null` or `undefined` answers 404.
 *
 * @example
 * @Injectable()
 * export class ExpenseResolver implements ResourceResolver<Expense> {
 *   constructor(private readonly expenses: ExpensesService) {}
 *   resolve(request: { params: { id: string } }) { return this.expenses.find(Number(request.params.id)); }
 * }
 * @publicApi
 */
export interface ResourceResolver<Resource = unknown> {
  // The platform's request, as for `ResourceResolverFn`; an implementation declares the type it reads.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  resolve(request: any, context: ExecutionContext): Resource | null | undefined | Promise<Resource | null | undefined>;
}

/**
 * Options of `@Authorize()`.
 *
 * @example
 * @Authorize('read', { resource: ExpenseResolver, checkRead: false })
 * @publicApi
 */
export interface AuthorizeOptions {
  /** What to authorize: omitted, the request itself (`HttpRequest`); else a function or an injectable resolver. */
  resource?: ResourceResolverFn | Type<ResourceResolver>;
  /** Who asks; defaults to the module's `getActor` (`request.user`). */
  // The platform's request, as for `ResourceResolverFn`.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  actor?: (request: any, context: ExecutionContext) => unknown;
  /** Answer 404 when the actor may not even read the resource; defaults to the module's `checkRead` (true). */
  checkRead?: boolean;
}

/** What `@Authorize()` stores as metadata. */
export interface AuthorizeMetadata extends AuthorizeOptions {
  action?: string;
}

/**
 * Requires a policy decision before the handler runs, on a controller, resolver or gateway class or on a handler
 * (the handler's wins), on every transport. Without `resource` it authorizes the call itself
 * (`allow(actor, "GET", req: HttpRequest)`, `allow(actor, "query", op: GraphQLOperation)`,
 * `allow(actor, "message", msg: InboundMessage)`); with one, the loaded resource, which the handler then receives through
 * `@AuthorizedResource()`. The action defaults to the HTTP method, the GraphQL operation type or `"message"`, the
 * actor to the module's `getActor`. Needs `OsoModule` in the app (startup fails without it).
 *
 * @example
 * @Get(':id')
 * @Authorize('read', { resource: ExpenseResolver })
 * findOne(@AuthorizedResource() expense: Expense) { return expense; }
 * @publicApi
 */
export function Authorize(action?: string, options: AuthorizeOptions = {}): ClassDecorator & MethodDecorator {
  return applyDecorators(
    SetMetadata<string, AuthorizeMetadata>(OSO_AUTHORIZE, { ...options, action }),
    UseGuards(AuthorizeGuard),
  );
}
