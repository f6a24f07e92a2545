import { Body, Controller, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { Authorize, AuthorizedResource } from 'nestjs-oso';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { parseId } from '../common/parse-id.js';
import { OrganizationResolver } from '../organizations/organization.resolver.js';
import type { Organization } from '../organizations/organization.entity.js';
import type { User } from '../users/user.entity.js';
import { CreateExpenseDto, DecisionDto, PageQueryDto, UpdateExpenseDto } from './expense.dto.js';
import type { Expense } from './expense.entity.js';
import { ExpenseResolver } from './expense.resolver.js';
import { ExpensesService } from './expenses.service.js';

/**
 * Each endpoint shows one way to authorize: a decorator with a DI resolver, a check inside the service, and data
 * filtering for the list.
 */
@Controller()
export class ExpensesController {
  constructor(private readonly expenses: ExpensesService) {}

  /** The organization must be readable (404 otherwise); its expenses are filtered by the policy in SQL. */
  @Get('organizations/:orgId/expenses')
  @Authorize('read', { resource: OrganizationResolver })
  list(@AuthorizedResource() org: Organization, @CurrentUser() actor: User, @Query() page: PageQueryDto) {
    return this.expenses.listForOrganization(actor, org, page);
  }

  /** Authorized inside the service (`create_expense` on the organization). */
  @Post('organizations/:orgId/expenses')
  create(@Param('orgId') orgId: string, @CurrentUser() actor: User, @Body() body: CreateExpenseDto) {
    // A string, parsed here: a `number` parameter would be converted by the ValidationPipe first, `2.0` and `0x2` too.
    return this.expenses.create(actor, parseId(orgId, 'orgId'), body);
  }

  /** `@Authorize` with a resolver loaded through DI; the handler receives the authorized expense. */
  @Get('expenses/:id')
  @Authorize('read', { resource: ExpenseResolver })
  findOne(@AuthorizedResource() expense: Expense, @CurrentUser() actor: User) {
    return this.expenses.view(actor, expense);
  }

  /** `@Authorize('update')` on the loaded expense; the service's UPDATE checks it again on the stored one (409). */
  @Patch('expenses/:id')
  @Authorize('update', { resource: ExpenseResolver })
  update(@AuthorizedResource() expense: Expense, @CurrentUser() actor: User, @Body() body: UpdateExpenseDto) {
    return this.expenses.update(actor, expense, body);
  }

  /**
   * Readable first (404 otherwise), then `approve` is checked by the service (403 for a plain member, 409 once
   * decided), and checked again by the UPDATE that writes it, so of two admins deciding at once one gets 409.
   */
  @Post('expenses/:id/approve')
  @Authorize('read', { resource: ExpenseResolver })
  async approve(@AuthorizedResource() expense: Expense, @CurrentUser() actor: User, @Body() body: DecisionDto) {
    return this.expenses.view(actor, await this.expenses.decide(actor, expense, 'approve', body.notes));
  }

  @Post('expenses/:id/reject')
  @Authorize('read', { resource: ExpenseResolver })
  async reject(@AuthorizedResource() expense: Expense, @CurrentUser() actor: User, @Body() body: DecisionDto) {
    return this.expenses.view(actor, await this.expenses.decide(actor, expense, 'reject', body.notes));
  }
}
