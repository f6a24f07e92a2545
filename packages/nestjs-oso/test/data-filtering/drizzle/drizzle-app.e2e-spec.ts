import {
  Controller,
  Get,
  Inject,
  Injectable,
  InternalServerErrorException,
  Module,
  Query,
  type INestApplication,
} from '@nestjs/common';
import { and, desc, eq, gte } from 'drizzle-orm';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { OsoModule, OsoService } from '../../../src/index.js';
import { drizzleAdapter, drizzlePolarClasses, type DrizzleQuery } from '../../../src/data-filtering/drizzle/index.js';
import { createTestApp, PLATFORMS } from '../../app/create-app.js';
import { LogCollector } from '../../fixtures/log-collector.js';
import { describeOnEachDrizzle, type OpenDrizzle } from './support/drizzle-databases.js';
import { expenseDdl, expenseSchema } from './support/expense-drizzle-schema.js';

/**
 * A Nest app whose list endpoint is ONE Drizzle select: the policy's condition (from `OsoService.authorizedQuery`
 * with `drizzleAdapter`) AND the endpoint's own, with a join, ordering and paging; on SQLite (better-sqlite3),
 * PostgreSQL (pg) and MariaDB (mysql2), over Express and Fastify. Every list is checked against `isAllowed` per row.
 */
class User {
  id!: number;
  name!: string;
}
class Expense {
  id!: number;
  amount!: number;
  orgId!: number;
  submitterId!: number;
}

const POLICY = `
allow(user: User, "read", expense: Expense) if expense.submitterId = user.id;
allow(user: User, "read", expense: Expense) if
  m in expense.org.memberships and m.userId = user.id and m.role = "admin";
allow(user: User, "read", expense: Expense) if
  m in expense.org.memberships and m.userId = user.id and expense.amount < 100;
allow(_: User, "travel", expense: Expense) if t in expense.tags and t.name = "travel";
allow(_: User, "unchecked", expense: Expense) if expense.note != "ok" and expense.amount >= 80;
allow(_: User, "exact", expense: Expense) if expense.total = "50.00";
allow(user: User, "own", expense: Expense) if expense.submitter = user;
`;

/** The app's Drizzle database (in an app: a provider made with `drizzle(client, { schema })`). */
const DRIZZLE = Symbol('DrizzleDatabase');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Db = any;

@Injectable()
class ExpensesService {
  constructor(
    private readonly oso: OsoService,
    @Inject(DRIZZLE) private readonly db: Db,
  ) {}

  /** The expenses `user` may read, with the caller's own filter, a join, order and page: one query. */
  async list(user: User, options: { min?: number; limit?: number; offset?: number }) {
    const { expenses, organizations } = this.db._.fullSchema;
    const query = await this.oso.authorizedQuery<DrizzleQuery>(user, 'read', Expense);
    let select = this.db
      .select({ id: expenses.id, org: organizations.name })
      .from(query.table)
      .innerJoin(organizations, eq(organizations.id, expenses.orgId))
      .where(and(query.where, options.min === undefined ? undefined : gte(expenses.amount, options.min)))
      .orderBy(desc(expenses.amount));
    if (options.limit !== undefined) select = select.limit(options.limit);
    if (options.offset !== undefined) select = select.offset(options.offset);
    return select;
  }
}

@Controller('expenses')
class ExpensesController {
  constructor(private readonly expenses: ExpensesService) {}

  @Get()
  list(@Query('user') user: string, @Query('min') min?: string, @Query('limit') limit?: string) {
    const offset = limit === undefined ? undefined : 1;
    return this.expenses.list(Object.assign(new User(), { id: Number(user), name: '' }), {
      min: min === undefined ? undefined : Number(min),
      limit: limit === undefined ? undefined : Number(limit),
      offset,
    });
  }
}

describeOnEachDrizzle(
  'a Nest app listing through Drizzle',
  (kind) => ({ schema: expenseSchema(kind), ddl: expenseDdl(kind) }),
  (database) => {
    let policyDir: string;
    let open: OpenDrizzle;
    beforeAll(async () => {
      open = database();
      policyDir = await mkdtemp(join(tmpdir(), 'oso-drizzle-'));
      await writeFile(join(policyDir, 'expenses.polar'), POLICY);
    });
    afterAll(async () => {
      await rm(policyDir, { recursive: true, force: true });
    });

    describe.each(PLATFORMS)('on %s', (platform) => {
      let app: INestApplication;
      const logs = new LogCollector();
      beforeAll(async () => {
        @Module({ providers: [{ provide: DRIZZLE, useValue: open.db }], exports: [DRIZZLE] })
        class DrizzleModule {}
        app = await createTestApp(platform, {
          oso: OsoModule.forRootAsync({
            imports: [DrizzleModule],
            inject: [DRIZZLE],
            useFactory: (db: Db) => ({
              policyDir,
              classes: drizzlePolarClasses(db._.fullSchema, {
                classes: { users: User, expenses: Expense },
                names: { organizations: 'Organization', memberships: 'Membership', tags: 'Tag' },
                manyToMany: { expenses: { tags: { through: 'expenseTags', from: 'expense', to: 'tag' } } },
              }),
              dataFiltering: drizzleAdapter(db),
              // The refusal's message (which names the condition) in the log.
              logEngineErrorDetails: true,
            }),
          }),
          imports: [{ module: DrizzleModule }],
          controllers: [ExpensesController],
          providers: [ExpensesService],
          logger: logs,
        });
      });
      afterAll(async () => {
        await app.close();
      });

      const list = (query: string) => request(app.getHttpServer()).get(`/expenses?${query}`);

      /** What isAllowed says of every expense, in the endpoint's order (amount descending). */
      async function allowed(userId: number, action = 'read'): Promise<number[]> {
        return allowedFor(Object.assign(new User(), { id: userId, name: '' }), action);
      }

      async function allowedFor(user: User, action: string): Promise<number[]> {
        const oso = app.get(OsoService);
        const { expenses } = open.db._.fullSchema;
        const rows = await open.db.select().from(expenses).orderBy(desc(expenses.amount));
        const ids: number[] = [];
        for (const row of rows) {
          if (await oso.isAllowed(user, action, Object.assign(new Expense(), row))) ids.push(row.id);
        }
        return ids;
      }

      it('lists exactly the expenses isAllowed accepts, for each user', async () => {
        // Amounts descending: 4 (900), 2 (700), 6 (650), 3 (80), 1 (50), 5 (20).
        const expected = { 1: [2, 6, 1, 5], 2: [2, 3, 1, 5], 3: [4, 3, 5] };
        for (const [user, ids] of Object.entries(expected)) {
          expect(await allowed(Number(user))).toEqual(ids);
          const response = await list(`user=${user}`);
          expect([response.status, response.body.map((row: { id: number }) => row.id)]).toEqual([200, ids]);
        }
        // A user the policy knows nothing of: an empty list, not an error.
        expect((await list('user=9')).body).toEqual([]);
      });

      it("composes with the endpoint's own where, join, orderBy, limit and offset", async () => {
        expect((await list('user=1&min=40')).body).toEqual([
          { id: 2, org: 'acme' },
          { id: 6, org: 'globex' },
          { id: 1, org: 'acme' },
        ]);
        expect((await list('user=3&limit=1')).body).toEqual([{ id: 3, org: 'globex' }]);
      });

      it('fetches through the adapter with authorizedResources, as instances of the registered class', async () => {
        const oso = app.get(OsoService);
        const user = Object.assign(new User(), { id: 2, name: '' });
        const rows = await oso.authorizedResources<Expense>(user, 'read', Expense);
        expect(rows.map((row) => row.id).sort()).toEqual([1, 2, 3, 5]);
        expect(rows.every((row) => row instanceof Expense)).toBe(true);
        // Many-to-many through the junction table, and != with nil rows kept and strings compared byte for byte.
        for (const action of ['travel', 'unchecked']) {
          const found = await oso.authorizedResources<Expense>(user, action, Expense);
          expect(found.map((row) => row.id).sort()).toEqual((await allowed(2, action)).sort());
        }
        const travel = await oso.authorizedResources<Expense>(user, 'travel', Expense);
        expect(travel.map((row) => row.id).sort()).toEqual([3, 4]);
        const unchecked = await oso.authorizedResources<Expense>(user, 'unchecked', Expense);
        expect(unchecked.map((row) => row.id).sort()).toEqual([3, 4, 6]);
      });

      it('compares a related row with the actor as the engine does: the whole object, not only its key', async () => {
        const oso = app.get(OsoService);
        const { users } = open.db._.fullSchema;
        const [row] = await open.db.select().from(users).where(eq(users.id, 1));
        // A user loaded from the database is the row the engine fetches for `expense.submitter`: expenses 1 and 6.
        const loaded = Object.assign(new User(), row);
        const own = await oso.authorizedResources<Expense>(loaded, 'own', Expense);
        expect(own.map((expense) => expense.id).sort()).toEqual([1, 6]);
        expect(own.map((expense) => expense.id).sort()).toEqual((await allowedFor(loaded, 'own')).sort());
        // A user with the same id but another name (from a token, say) is another object: nothing, as isAllowed says.
        const token = Object.assign(new User(), { id: 1, name: 'Alice' });
        expect(await oso.authorizedResources<Expense>(token, 'own', Expense)).toEqual([]);
        expect(await allowedFor(token, 'own')).toEqual([]);
      });

      it('refuses a condition SQL cannot compare exactly: a 500, with a DataFilteringError naming it in the log', async () => {
        const oso = app.get(OsoService);
        const user = Object.assign(new User(), { id: 1, name: '' });
        const before = logs.errors().length;
        await expect(oso.authorizedQuery(user, 'exact', Expense)).rejects.toThrow(InternalServerErrorException);
        const logged = logs.errors().slice(before).join('\n');
        expect(logged).toContain('DataFilteringError');
        expect(logged).toContain('Expense.total = "50.00"');
      });
    });
  },
);
