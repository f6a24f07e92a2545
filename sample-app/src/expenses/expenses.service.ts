import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { OsoService } from 'nestjs-oso';
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

  /**
   * One page of the organization's expenses that the actor may read: the policy becomes the WHERE clause of a
   * single SQL query (data filtering), so no row is loaded only to be thrown away.
   */
  async listForOrganization(actor: unknown, org: Organization, page: PageQueryDto) {
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
    const items = await Promise.all(rows.slice(0, page.pageSize).map((expense) => this.view(actor, expense)));
    return { items, page: page.page, pageSize: page.pageSize, hasMore: rows.length > page.pageSize };
  }

  /** Submits an expense to an organization whose member the actor is. */
  async create(actor: { id: number }, orgId: number, body: CreateExpenseDto): Promise<ExpenseView> {
    const org = await this.organizations.findOneBy({ id: orgId });
    if (!org) throw new NotFoundException();
    await this.oso.authorize(actor, 'create_expense', org);
    const saved = await this.expenses.save(
      this.expenses.create({ ...body, organizationId: org.id, submittedById: actor.id, approverNotes: null }),
    );
    return this.view(actor, await this.expenses.findOneOrFail({ where: { id: saved.id }, relations: { organization: true } }));
  }

  async update(actor: unknown, expense: Expense, body: UpdateExpenseDto): Promise<ExpenseView> {
    await this.expenses.update(expense.id, body);
    Object.assign(expense, body);
    return this.view(actor, expense);
  }

  /** The approval flow: an admin of the organization approves or rejects a submitted expense, once. */
  async decide(actor: unknown, expense: Expense, decision: 'approve' | 'reject', notes?: string): Promise<ExpenseView> {
    await this.oso.authorize(actor, decision, expense);
    if (expense.status !== 'submitted') throw new ConflictException(`Expense ${expense.id} is already ${expense.status}`);
    const status = decision === 'approve' ? 'approved' : 'rejected';
    const approverNotes = notes ?? expense.approverNotes;
    await this.expenses.update(expense.id, { status, approverNotes });
    return this.view(actor, Object.assign(expense, { status, approverNotes }));
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
