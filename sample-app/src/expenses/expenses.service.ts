import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { OsoService } from 'nestjs-oso';
import { updateAuthorized } from 'nestjs-oso/typeorm';
import type { Repository, SelectQueryBuilder } from 'typeorm';
import { Organization } from '../organizations/organization.entity.js';
import type { CreateExpenseDto, PageQueryDto, UpdateExpenseDto } from './expense.dto.js';
import { Expense } from './expense.entity.js';

/** An expense as a client sees it: only the fields the policy lets this actor read, and what they may do next. */
export type ExpenseView = Partial<Record<keyof Expense, unknown>> & { actions: string[] };

@Injectable()
export class ExpensesService {
  constructor(
    @InjectRepository(Expense) private readonly expenses: Repository<Expense>,
    @InjectRepository(Organization) private readonly organizations: Repository<Organization>,
    private readonly oso: OsoService,
  ) {}

  /** One page of the organization's expenses that the actor may read, each with what the actor may see and do. */
  async listForOrganization(actor: unknown, org: Organization, page: PageQueryDto) {
    const { rows, hasMore } = await this.readableIn(actor, org, page);
    const items = await Promise.all(rows.map((expense) => this.view(actor, expense)));
    return { items, page: page.page, pageSize: page.pageSize, hasMore };
  }

  /**
   * One page of the organization's expenses that the actor may read: the policy becomes the WHERE clause of a
   * single SQL query (data filtering), so no row is loaded only to be thrown away.
   */
  async readableIn(
    actor: unknown,
    org: Organization,
    page: Pick<PageQueryDto, 'page' | 'pageSize'>,
  ): Promise<{ rows: Expense[]; hasMore: boolean }> {
    const readable = await this.oso.authorizedQuery<SelectQueryBuilder<Expense>>(actor, 'read', Expense);
    const alias = readable.alias;
    // One row more than the page tells whether another page follows, without a second (COUNT) query.
    const rows = await readable
      .leftJoinAndSelect(`${alias}.organization`, 'expense_organization')
      .andWhere(`${alias}.organizationId = :orgId`, { orgId: org.id })
      .orderBy(`${alias}.id`, 'ASC')
      .skip((page.page - 1) * page.pageSize)
      .take(page.pageSize + 1)
      .getMany();
    return { rows: rows.slice(0, page.pageSize), hasMore: rows.length > page.pageSize };
  }

  /** Submits an expense to an organization whose member the actor is. */
  async create(actor: { id: number }, orgId: number, body: CreateExpenseDto): Promise<ExpenseView> {
    const org = await this.organizations.findOneBy({ id: orgId });
    if (!org) throw new NotFoundException();
    await this.oso.authorize(actor, 'create_expense', org);
    const saved = await this.expenses.save(
      this.expenses.create({ ...body, organizationId: org.id, submittedById: actor.id, approverNotes: null }),
    );
    return this.view(actor, await this.load(saved.id));
  }

  /** The submitter edits an expense that waits for a decision (`@Authorize('update')` checked the loaded one). */
  async update(actor: unknown, expense: Expense, body: UpdateExpenseDto): Promise<ExpenseView> {
    const changes: Partial<Pick<Expense, 'amount' | 'description'>> = {};
    if (body.amount !== undefined) changes.amount = body.amount;
    if (body.description !== undefined) changes.description = body.description;
    if (Object.keys(changes).length === 0) {
      throw new BadRequestException(['nothing to update: give amount, description or both']);
    }
    await this.write(actor, 'update', expense, changes);
    return this.view(actor, await this.load(expense.id));
  }

  /** The approval flow: an admin of the organization approves or rejects a submitted expense, once. */
  async decide(actor: unknown, expense: Expense, decision: 'approve' | 'reject', notes?: string): Promise<Expense> {
    // A decided expense cannot be decided again because of its state: 409 says so, where the policy gives 403.
    if (expense.status !== 'submitted')
      throw new ConflictException(`Expense ${expense.id} is already ${expense.status}`);
    await this.oso.authorize(actor, decision, expense);
    const status = decision === 'approve' ? 'approved' : 'rejected';
    await this.write(actor, decision, expense, { status, ...(notes !== undefined && { approverNotes: notes }) });
    return this.load(expense.id);
  }

  /**
   * Writes `changes` only if the policy still allows `action` on the expense as it is in the database when the write
   * happens. Every check so far was made on the expense as it was loaded, a snapshot that another request may have
   * changed since (two admins deciding at once, an edit racing an approval); so the policy's condition for `action`
   * is the WHERE of the UPDATE itself, and the request that lost the race writes nothing and answers 409.
   */
  private async write(actor: unknown, action: string, expense: Expense, changes: Partial<Expense>): Promise<void> {
    const allowed = await this.oso.authorizedQuery<SelectQueryBuilder<Expense>>(actor, action, Expense);
    if ((await updateAuthorized(allowed.andWhere(`${allowed.alias}.id = :id`, { id: expense.id }), changes)) === 1)
      return;
    const now = await this.expenses.findOneBy({ id: expense.id });
    throw new ConflictException(
      now && now.status !== 'submitted'
        ? `Expense ${expense.id} is already ${now.status}`
        : `Expense ${expense.id} changed while this request was being checked; nothing was written`,
    );
  }

  /** The expense as stored, with the organization the policy follows. */
  private async load(id: number): Promise<Expense> {
    const expense = await this.expenses.findOne({ where: { id }, relations: { organization: true } });
    if (!expense) throw new NotFoundException();
    return expense;
  }

  /** What the actor may see of an expense, with the actions a UI would offer as buttons. */
  async view(actor: unknown, expense: Expense): Promise<ExpenseView> {
    const [fields, actions] = await Promise.all([
      this.oso.authorizedFields(actor, 'read', expense),
      this.oso.authorizedActions(actor, expense),
    ]);
    const visible = Object.fromEntries([...fields].map((field) => [field, expense[field as keyof Expense]]));
    return { ...visible, actions: [...actions].map(String).sort() };
  }
}
