import { join } from 'node:path';
import {
  Injectable,
  Module,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
  type Type,
} from '@nestjs/common';
import { Args, Context, Field, Int, Mutation, ObjectType, Query, ResolveField, Resolver } from '@nestjs/graphql';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  Authorize,
  AuthorizedResource,
  graphQLParent,
  OsoModule,
  OsoService,
  Relation,
  SkipAuthorization,
  type OsoModuleOptions,
} from '../../../src/index.js';
import { InMemoryAdapter } from '../../../src/data-filtering/index.js';
import { EXPENSES, Expense, Membership, Organization, User, userFromHeader } from '../../fixtures/domain.js';
import { LogCollector } from '../../fixtures/log-collector.js';
import { policyFixture } from '../../fixtures/policies.js';
import { graphQLModule, listenGraphQLApp, type Driver, type ListeningGraphQLApp } from './graphql-drivers.js';

export { DRIVERS, type Driver } from './graphql-drivers.js';

/** What only a resolver that ran would answer: a denied call must never show it. */
export const SECRET = 'graphql-secret';

/** The expenses policy, plus the rules on GraphQL operations. */
const POLICY_DIRS = [policyFixture('expenses'), join(import.meta.dirname, '../../fixtures/policies/graphql')];

/** The domain's classes, with the relation data filtering follows from an expense to its organization. */
const CLASSES: OsoModuleOptions['classes'] = [
  User,
  Organization,
  { class: Expense, fields: { organization: new Relation('one', 'Organization', 'organizationId', 'id') } },
  { class: Membership, name: 'Membership' },
];

/** The organizations the expenses belong to: what the in-memory adapter joins them to. */
const ORGANIZATIONS = [...new Set([...EXPENSES.values()].map((expense) => expense.organization))];

/** The GraphQL context as both drivers build it by default: `req` is the Express or Fastify request. */
interface GraphQLContext {
  req: { user?: unknown };
}

/** An expense as the schema shows it; resolvers return the domain's `Expense`, whose properties it reads. */
@ObjectType('Expense')
export class ExpenseNode {
  @Field(() => Int)
  id!: number;
  @Field(() => Int)
  amount!: number;
  @Field(() => Int)
  submitterId!: number;
  @Field(() => String)
  description!: string;
}

const expenseById = (args: { id: number }) => EXPENSES.get(args.id);

/** Expenses: `@Authorize()` with a resource on queries, a mutation and a field; `OsoService` inside resolvers. */
@Resolver(() => ExpenseNode)
export class ExpenseResolver {
  constructor(private readonly oso: OsoService) {}

  @Query(() => ExpenseNode, { nullable: true })
  @Authorize('read', { resource: expenseById })
  expense(@Args('id', { type: () => Int }) _id: number, @AuthorizedResource() expense: Expense): Expense {
    return expense;
  }

  @Mutation(() => ExpenseNode, { nullable: true })
  @Authorize('approve', { resource: expenseById })
  approveExpense(@Args('id', { type: () => Int }) _id: number, @AuthorizedResource() expense: Expense): Expense {
    return expense;
  }

  /** The expenses policy's "explode" rule raises inside the engine on expense 3. */
  @Query(() => ExpenseNode, { nullable: true })
  @Authorize('explode', { resource: expenseById })
  explodingExpense(@Args('id', { type: () => Int }) _id: number, @AuthorizedResource() expense: Expense): Expense {
    return expense;
  }

  @Query(() => ExpenseNode, { nullable: true })
  async expenseThroughService(
    @Args('id', { type: () => Int }) id: number,
    @Args('action', { type: () => String }) action: string,
    @Context() context: GraphQLContext,
  ): Promise<Expense | undefined> {
    const expense = EXPENSES.get(id);
    await this.oso.authorize(context.req.user, action, expense);
    return expense;
  }

  @Query(() => [ExpenseNode])
  expenses(@Context() context: GraphQLContext): Promise<Expense[]> {
    return this.oso.authorizedResources(context.req.user, 'read', Expense, EXPENSES.values());
  }

  /** Only approvers see the notes: a field checked on its parent expense. */
  @ResolveField('approverNotes', () => String, { nullable: true })
  @Authorize('approve', { resource: graphQLParent })
  approverNotes(@AuthorizedResource() expense: Expense): string {
    return expense.approverNotes;
  }
}

/**
 * An authentication guard on a resolver class: it sets the user from `x-late-user`, so the actor appears only after
 * OsoModule's global guard has run (the usual `GqlAuthGuard` placement).
 */
@Injectable()
export class LateAuthGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = (context.getArgByIndex(2) as { req: { headers: Record<string, unknown>; user?: unknown } }).req;
    const name = request.headers['x-late-user'];
    if (typeof name === 'string') request.user = userFromHeader({ 'x-user': name });
    return true;
  }
}

/** The expenses' approver notes behind a class-level authentication guard. */
@Resolver(() => ExpenseNode)
@UseGuards(LateAuthGuard)
export class LateAuthExpenseResolver {
  @Query(() => ExpenseNode, { nullable: true })
  @Authorize('read', { resource: expenseById })
  expense(@Args('id', { type: () => Int }) _id: number, @AuthorizedResource() expense: Expense): Expense {
    return expense;
  }

  @ResolveField('approverNotes', () => String, { nullable: true })
  @Authorize('approve', { resource: graphQLParent })
  approverNotes(@AuthorizedResource() expense: Expense): string {
    return expense.approverNotes;
  }
}

/** A public query without the authentication guard: its expense's fields are resolved by the resolver above. */
@Resolver(() => ExpenseNode)
export class PublicExpenseResolver {
  @Query(() => ExpenseNode, { nullable: true })
  @SkipAuthorization('the expense summary is public; its notes are checked by their field resolver')
  publicExpense(@Args('id', { type: () => Int }) id: number): Expense | undefined {
    return EXPENSES.get(id);
  }
}

/** Resolvers checked on their `GraphQLOperation`, skipped, or forgotten. */
@Resolver()
export class OperationsResolver {
  @Query(() => String)
  @Authorize()
  auditReport(@Args('year', { type: () => Int }) year: number): string {
    return `${SECRET} ${year}`;
  }

  @Mutation(() => String)
  @Authorize()
  closeYear(@Args('year', { type: () => Int }) year: number): string {
    return `closed ${year}`;
  }

  @Query(() => String)
  @SkipAuthorization('a public health check')
  health(): string {
    return 'ok';
  }

  @Query(() => String, { nullable: true })
  forgotten(): string {
    return SECRET;
  }
}

/** Undecorated resolvers, for `routeAuthorization`. */
@Resolver()
export class RoutedResolver {
  @Query(() => String, { nullable: true })
  whoAmI(@Context() context: GraphQLContext): string {
    return (context.req.user as { name: string }).name;
  }

  @Query(() => String, { nullable: true })
  undeclared(): string {
    return SECRET;
  }
}

export interface GraphQLAppSpec {
  resolvers: Type[];
  oso?: Partial<OsoModuleOptions>;
  /** GraphQLModule's `fieldResolverEnhancers` (default: guards and interceptors). */
  fieldResolverEnhancers?: Array<'guards' | 'interceptors' | 'filters'>;
  logger?: LogCollector;
}

/** A GraphQL app listening on a free port of 127.0.0.1. */
export type GraphQLApp = ListeningGraphQLApp;

/**
 * A small code-first GraphQL app on the driver, listening on a free port: OsoModule with the expenses policy and the
 * actor from the GraphQL context (`req.user`), which a header-based authentication stand-in sets from `x-user`.
 */
export async function startGraphQLApp(driver: Driver, spec: GraphQLAppSpec): Promise<GraphQLApp> {
  @Module({
    imports: [
      graphQLModule(driver, { fieldResolverEnhancers: spec.fieldResolverEnhancers ?? ['guards', 'interceptors'] }),
      OsoModule.forRoot({
        policyDir: POLICY_DIRS,
        classes: CLASSES,
        dataFiltering: new InMemoryAdapter({ collections: { Organization: ORGANIZATIONS } }),
        ...spec.oso,
      }),
    ],
    providers: spec.resolvers,
  })
  class GraphQLTestModule {}

  return listenGraphQLApp(driver, GraphQLTestModule, spec.logger, (app) => useHeaderAuth(app, driver));
}

/** An authentication stand-in: `x-user: bob` makes bob the request's `user`, as Passport would. */
function useHeaderAuth(app: INestApplication, driver: Driver): void {
  if (driver === 'mercurius') {
    // Mercurius's context holds the Fastify request, so the user goes there (a Nest middleware sees the raw one).
    const fastify = (app as NestFastifyApplication).getHttpAdapter().getInstance();
    fastify.addHook('onRequest', async (request) => {
      (request as { user?: unknown }).user = userFromHeader(request.headers);
    });
  } else {
    app.use((request: { headers: Record<string, unknown>; user?: unknown }, _response: unknown, next: () => void) => {
      request.user = userFromHeader(request.headers);
      next();
    });
  }
}

/** A GraphQL response, as the client receives it. */
export interface GraphQLResponse {
  status: number;
  data?: Record<string, unknown> | null;
  errors?: Array<{ message: string; path?: string[]; extensions?: Record<string, unknown> }>;
  /** The whole body, as sent. */
  text: string;
}

/**
 * POSTs a GraphQL document to the app over its socket, as `user` (the `x-user` header) if given; `lateUser` is the
 * user `LateAuthGuard` sets.
 */
export async function graphqlRequest(
  started: GraphQLApp,
  query: string,
  options: { user?: string; lateUser?: string; variables?: Record<string, unknown> } = {},
): Promise<GraphQLResponse> {
  const response = await fetch(started.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(options.user ? { 'x-user': options.user } : {}),
      ...(options.lateUser ? { 'x-late-user': options.lateUser } : {}),
    },
    body: JSON.stringify({ query, variables: options.variables }),
  });
  const text = await response.text();
  return { status: response.status, text, ...(JSON.parse(text) as Omit<GraphQLResponse, 'status' | 'text'>) };
}
