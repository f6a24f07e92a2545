import {
  BadRequestException,
  Controller,
  Get,
  Injectable,
  NotFoundException,
  Param,
  Post,
  Put,
  Req,
} from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Authorize,
  AuthorizedResource,
  OsoService,
  SkipAuthorization,
  type ResourceResolver,
} from '../../src/index.js';
import { EXPENSES, userFromHeader, type Expense } from '../fixtures/domain.js';

/** Loads the expense of `:id` through dependency injection. */
@Injectable()
export class ExpenseResolver implements ResourceResolver<Expense> {
  resolve(request: { params: { id: string } }): Expense | undefined {
    return EXPENSES.get(Number(request.params.id));
  }
}

const expenseById = (request: { params: { id: string } }) => EXPENSES.get(Number(request.params.id));

/** The data layer: authorizes deep inside, after awaits, as a real service would. */
@Injectable()
export class ExpensesService {
  constructor(private readonly oso: OsoService) {}

  async find(actor: unknown, id: number): Promise<Expense> {
    await sleep(Math.random() * 5);
    const expense = EXPENSES.get(id);
    if (!expense) throw new NotFoundException();
    await Promise.resolve();
    await this.oso.authorize(actor, 'read', expense);
    return expense;
  }

  async findUnchecked(id: number): Promise<Expense | undefined> {
    await sleep(Math.random() * 5);
    return EXPENSES.get(id);
  }

  publicSummary(): { count: number } {
    this.oso.skipAuthorization('aggregate figures are public');
    return { count: EXPENSES.size };
  }
}

type ActorRequest = { headers: Record<string, unknown>; user?: unknown };
const actorOf = (request: ActorRequest) => request.user ?? userFromHeader(request.headers);

@Controller('expenses')
export class ExpensesController {
  constructor(
    private readonly expenses: ExpensesService,
    private readonly oso: OsoService,
  ) {}

  @Get('summary')
  summary() {
    return this.expenses.publicSummary();
  }

  @Get(':id')
  @Authorize('read', { resource: ExpenseResolver })
  findOne(@AuthorizedResource() expense: Expense) {
    return { id: expense.id, description: expense.description };
  }

  @Post(':id/approve')
  @Authorize('approve', { resource: expenseById })
  approve(@AuthorizedResource() expense: Expense) {
    return { approved: expense.id };
  }

  @Put(':id')
  @Authorize(undefined, { resource: expenseById })
  update(@AuthorizedResource() expense: Expense) {
    return { updated: expense.id };
  }

  @Post(':id/approve-quietly')
  @Authorize('approve', { resource: expenseById, checkRead: false })
  approveQuietly(@AuthorizedResource() expense: Expense) {
    return { approved: expense.id };
  }

  @Get(':id/via-service')
  async viaService(@Param('id') id: string, @Req() request: ActorRequest) {
    const expense = await this.expenses.find(actorOf(request), Number(id));
    return { id: expense.id };
  }

  @Get(':id/forgotten')
  async forgotten(@Param('id') id: string) {
    const expense = await this.expenses.findUnchecked(Number(id));
    return { id: expense?.id, approverNotes: expense?.approverNotes };
  }

  @Get(':id/only-asks')
  async onlyAsks(@Param('id') id: string, @Req() request: ActorRequest) {
    const expense = await this.expenses.findUnchecked(Number(id));
    return { allowed: await this.oso.isAllowed(actorOf(request), 'read', expense) };
  }

  @Get(':id/bad-request')
  badRequest() {
    throw new BadRequestException('id must be a UUID');
  }

  @Get(':id/actions')
  @Authorize('read', { resource: ExpenseResolver })
  async actions(@AuthorizedResource() expense: Expense, @Req() request: ActorRequest) {
    return { actions: [...(await this.oso.authorizedActions(actorOf(request), expense))].sort() };
  }

  @Get(':id/fields')
  @Authorize('read', { resource: ExpenseResolver })
  async fields(@AuthorizedResource() expense: Expense, @Req() request: ActorRequest) {
    const fields = await this.oso.authorizedFields(actorOf(request), 'read', expense);
    return Object.fromEntries([...fields].sort().map((field) => [field, expense[field as keyof Expense]]));
  }

  @Get(':id/notes')
  @Authorize('read', { resource: ExpenseResolver })
  async notes(@AuthorizedResource() expense: Expense, @Req() request: ActorRequest) {
    await this.oso.authorizeField(actorOf(request), 'read', expense, 'approverNotes');
    return { approverNotes: expense.approverNotes };
  }

  @Get(':id/read-twice')
  @Authorize('read', { resource: ExpenseResolver })
  async readTwice(@AuthorizedResource() expense: Expense, @Req() request: ActorRequest) {
    await this.oso.authorize(actorOf(request), 'read', expense);
    await this.expenses.find(actorOf(request), expense.id);
    return { id: expense.id };
  }

  @Get(':id/check-in-a-loop')
  async checkInALoop(@Param('id') id: string, @Req() request: ActorRequest) {
    const expense = EXPENSES.get(Number(id));
    for (let i = 0; i < 5; i++) await this.oso.authorize(actorOf(request), 'read', expense);
    return { id: expense?.id };
  }

  @Get(':id/actions-then-checks')
  async actionsThenChecks(@Param('id') id: string, @Req() request: ActorRequest) {
    const expense = EXPENSES.get(Number(id));
    const actor = actorOf(request);
    const actions = await this.oso.authorizedActions(actor, expense);
    await this.oso.authorize(actor, 'read', expense);
    const canApprove = await this.oso.isAllowed(actor, 'approve', expense);
    const canEdit = await this.oso.isAllowed(actor, 'PUT', expense);
    return { actions: [...actions].sort(), canApprove, canEdit };
  }

  @Get(':id/explode')
  @Authorize('explode', { resource: ExpenseResolver })
  explode() {
    return { exploded: false };
  }

  @Get(':id/resolver-fails')
  @Authorize('read', {
    resource: () => {
      throw new Error('database is down');
    },
  })
  resolverFails() {
    return { ok: true };
  }

  @Get(':id/actor-option')
  @Authorize('read', {
    resource: ExpenseResolver,
    actor: (request: ActorRequest) => userFromHeader({ 'x-user': request.headers['x-acting-as'] }),
  })
  actorOption(@AuthorizedResource() expense: Expense) {
    return { id: expense.id };
  }

  @Get(':id/wrong-param')
  @Authorize()
  wrongParam(@AuthorizedResource() expense: Expense) {
    return { id: (expense as Expense | undefined)?.id };
  }
}

/** Route authorization on `HttpRequest`, set at class level, with handler-level overrides. */
@Controller('reports')
@Authorize('audit')
export class ReportsController {
  @Get(':year')
  @Authorize()
  byYear(@Param('year') year: string) {
    return { year };
  }

  @Get()
  all() {
    return { reports: [] };
  }

  @Get('public/summary')
  @SkipAuthorization('published figures')
  published() {
    return { published: true };
  }
}

/** Undecorated routes: with `routeAuthorization` they are checked on their `HttpRequest`. */
@Controller()
export class RootController {
  @Get()
  root() {
    return { hello: 'world' };
  }

  @Get('me')
  me(@Req() request: ActorRequest) {
    return { me: (actorOf(request) as { name?: string } | undefined)?.name ?? null };
  }

  @Get('private')
  private() {
    return { secret: true };
  }

  @Get('health')
  @SkipAuthorization('load balancer probe')
  health() {
    return { status: 'ok' };
  }
}
