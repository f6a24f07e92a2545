import { Args, Int, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { Authorize, AuthorizedResource, OsoService, SkipAuthorization } from 'nestjs-oso';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { Expense } from '../expenses/expense.entity.js';
import { ExpenseResolver } from '../expenses/expense.resolver.js';
import { ExpensesService } from '../expenses/expenses.service.js';
import type { Organization } from '../organizations/organization.entity.js';
import { OrganizationResolver } from '../organizations/organization.resolver.js';
import type { User } from '../users/user.entity.js';
import { ExpenseModel } from './expense.model.js';

/**
 * The expenses over GraphQL (`POST /graphql`), on the same policy, data and services as the REST endpoints: the
 * same resource loaders, `@Authorize()` on resolvers, data filtering for the list, and field-level authorization.
 */
@Resolver(() => ExpenseModel)
export class ExpensesGraphQLResolver {
  constructor(
    private readonly expenses: ExpensesService,
    private readonly oso: OsoService,
  ) {}

  /** One expense; a user who may not read it gets `NOT_FOUND`, as `GET /expenses/:id` answers 404. */
  @Query(() => ExpenseModel)
  @Authorize('read', { resource: ExpenseResolver })
  expense(@Args('id', { type: () => Int }) _id: number, @AuthorizedResource() expense: Expense): Expense {
    return expense;
  }

  /** A page of the organization's expenses that the actor may read, filtered by the policy in SQL. */
  @Query(() => [ExpenseModel])
  @Authorize('read', { resource: OrganizationResolver })
  organizationExpenses(
    @Args('orgId', { type: () => Int }) _orgId: number,
    @Args('page', { type: () => Int, defaultValue: 1 }) page: number,
    @Args('pageSize', { type: () => Int, defaultValue: 20 }) pageSize: number,
    @AuthorizedResource() org: Organization,
    @CurrentUser() actor: User,
  ): Promise<Expense[]> {
    return this.expenses.readableIn(actor, org, { page, pageSize }).then(({ rows }) => rows);
  }

  /** Approves a submitted expense: readable first (`NOT_FOUND`), then `approve` (`FORBIDDEN` for a member). */
  @Mutation(() => ExpenseModel)
  @Authorize('read', { resource: ExpenseResolver })
  approveExpense(
    @Args('id', { type: () => Int }) _id: number,
    @Args('notes', { type: () => String, nullable: true }) notes: string | undefined,
    @AuthorizedResource() expense: Expense,
    @CurrentUser() actor: User,
  ): Promise<Expense> {
    return this.expenses.decide(actor, expense, 'approve', notes ?? undefined);
  }

  /** The actions a UI would offer; it only reports what the policy allows, so it authorizes nothing itself. */
  @ResolveField(() => [String])
  @SkipAuthorization('reports the allowed actions of an expense the query already authorized')
  async actions(@Parent() expense: Expense, @CurrentUser() actor: User): Promise<string[]> {
    return [...(await this.oso.authorizedActions(actor, expense))].map(String).sort();
  }
}
