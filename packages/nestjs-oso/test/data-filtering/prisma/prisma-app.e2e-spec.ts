import {
  Controller,
  Get,
  Inject,
  InternalServerErrorException,
  Module,
  Query,
  type INestApplication,
} from '@nestjs/common';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { OsoModule, OsoService } from '../../../src/index.js';
import { buildAuthorizedQuery, DataFilteringError } from '../../../src/data-filtering/index.js';
import { prismaAdapter, prismaPolarClasses, type PrismaWhere } from '../../../src/data-filtering/prisma/index.js';
import { createTestApp, PLATFORMS } from '../../app/create-app.js';
import { LogCollector } from '../../fixtures/log-collector.js';
import {
  generatedClient,
  openPrisma,
  PRISMA_DATABASES,
  type OpenPrisma,
  type PrismaClientLike,
  type PrismaProvider,
} from './support/prisma-client.js';

/**
 * A Nest app whose list endpoint is ONE Prisma query: the policy's `where` (through `OsoService.authorizedQuery`
 * with `prismaAdapter`) AND the endpoint's own filter, with ordering, paging and an included relation; on SQLite and
 * PostgreSQL, over Express and Fastify. Every list is checked against `isAllowed` on each row.
 */
class User {
  id!: number;
  name!: string;
}
class Expense {
  id!: number;
  amount!: number;
  description!: string;
  orgId!: number;
  submitterId!: number;
}

const POLICY = `
allow(user: User, "read", expense: Expense) if expense.submitter = user;
allow(user: User, "read", expense: Expense) if
  m in expense.org.members and m.userId = user.id and m.role = "admin";
allow(user: User, "read", expense: Expense) if
  m in expense.org.members and m.userId = user.id and expense.amount < 100;
allow(_: User, "audit", expense: Expense) if expense.approvedAt = nil and expense.amount >= 500;
allow(_: User, "compare", expense: Expense) if m in expense.org.members and m.userId = expense.submitterId;
`;

const SEED = [
  `INSERT INTO "Organization" ("id", "name") VALUES (1, 'acme'), (2, 'globex')`,
  `INSERT INTO "User" ("id", "name") VALUES (1, 'alice'), (2, 'bob'), (3, 'carol')`,
  // alice administers acme; bob is a member of acme and of globex; carol belongs to nothing.
  `INSERT INTO "Membership" ("id", "userId", "orgId", "role") VALUES (1, 1, 1, 'admin'), (2, 2, 1, 'member'), (3, 2, 2, 'member')`,
  `INSERT INTO "Expense" ("id", "amount", "description", "approvedAt", "orgId", "submitterId") VALUES
    (1, 50, 'coffee', NULL, 1, 1), (2, 700, 'laptop', NULL, 1, 2), (3, 80, 'taxi', NULL, 2, 3),
    (4, 900, 'desk', NULL, 2, 3), (5, 20, 'pens', NULL, 1, 3), (6, 650, 'chair', '2026-01-01 00:00:00', 2, 1)`,
];

function tables(provider: PrismaProvider): string[] {
  const timestamp = provider === 'sqlite' ? 'DATETIME' : 'TIMESTAMP(3)';
  const role = provider === 'sqlite' ? 'TEXT' : '"Role"';
  return [
    ...(provider === 'postgresql' ? [`CREATE TYPE "Role" AS ENUM ('admin', 'member')`] : []),
    `CREATE TABLE "Organization" ("id" INTEGER PRIMARY KEY, "name" TEXT NOT NULL)`,
    `CREATE TABLE "User" ("id" INTEGER PRIMARY KEY, "name" TEXT NOT NULL)`,
    `CREATE TABLE "Membership" ("id" INTEGER PRIMARY KEY, "userId" INTEGER NOT NULL, "orgId" INTEGER NOT NULL, "role" ${role} NOT NULL)`,
    `CREATE TABLE "Expense" ("id" INTEGER PRIMARY KEY, "amount" INTEGER NOT NULL, "description" TEXT NOT NULL, ` +
      `"approvedAt" ${timestamp}, "orgId" INTEGER NOT NULL, "submitterId" INTEGER NOT NULL)`,
    ...SEED,
  ];
}

/**
 * The caller, as the app's authentication would load it: the whole row, since the engine compares `expense.submitter`
 * (which it fetches) with it field by field.
 */
async function userOf(prisma: PrismaClientLike, id: number): Promise<User> {
  const row = await (prisma['user'] as { findUnique(args: object): Promise<object | null> }).findUnique({
    where: { id },
  });
  return Object.assign(new User(), row ?? { id, name: 'nobody' });
}

/** The app's Prisma client (in an app: `class PrismaService extends PrismaClient`, see docs/prisma.md). */
const PRISMA = Symbol('PrismaService');

interface ExpenseDelegate {
  findMany(args: object): Promise<Array<Record<string, unknown>>>;
}

@Controller('expenses')
class ExpensesController {
  constructor(
    private readonly oso: OsoService,
    @Inject(PRISMA) private readonly prisma: PrismaClientLike,
  ) {}

  /** The expenses the caller may read, with the endpoint's own filter, order and page: one query. */
  @Get()
  async list(
    @Query('user') userId: string,
    @Query('min') min?: string,
    @Query('take') take?: string,
    @Query('skip') skip?: string,
  ) {
    const user = await userOf(this.prisma, Number(userId));
    const authorized = await this.oso.authorizedQuery<PrismaWhere>(user, 'read', 'Expense');
    const mine = min === undefined ? {} : { amount: { gte: Number(min) } };
    const rows = await (this.prisma['expense'] as ExpenseDelegate).findMany({
      where: { AND: [authorized, mine] },
      orderBy: { amount: 'desc' },
      ...(take !== undefined && { take: Number(take) }),
      ...(skip !== undefined && { skip: Number(skip) }),
      include: { org: { select: { name: true } } },
    });
    return rows.map((row) => ({ id: row['id'], org: (row['org'] as { name: string }).name }));
  }
}

// The app's tables are written for SQLite and PostgreSQL; MariaDB runs the generated differential.
const APP_DATABASES = PRISMA_DATABASES.filter((database) => database.provider !== 'mysql');

describe.each(APP_DATABASES)('a Nest app listing through Prisma on $kind', (database) => {
  if (database.skip) {
    it.skip(`skipped: ${database.skip}`, () => undefined);
    return;
  }
  let open: OpenPrisma | undefined;
  let policyDir: string;
  beforeAll(async () => {
    if (database.unavailable) throw new Error(`CI requires ${database.kind}: ${database.unavailable}`);
    const module = await generatedClient('expenses.prisma', database.provider);
    open = await openPrisma(module, database.provider, tables);
    policyDir = await mkdtemp(join(tmpdir(), 'oso-prisma-'));
    await writeFile(join(policyDir, 'expenses.polar'), POLICY);
  }, 120_000);
  afterAll(async () => {
    await open?.close();
    await rm(policyDir, { recursive: true, force: true });
  });

  describe.each(PLATFORMS)('on %s', (platform) => {
    let app: INestApplication;
    let logs: LogCollector;
    beforeAll(async () => {
      logs = new LogCollector();
      @Module({})
      class PrismaModule {}
      const prismaModule = {
        module: PrismaModule,
        providers: [{ provide: PRISMA, useValue: open!.prisma }],
        exports: [PRISMA],
      };
      app = await createTestApp(platform, {
        oso: OsoModule.forRootAsync({
          imports: [prismaModule],
          inject: [PRISMA],
          useFactory: (prisma: PrismaClientLike) => ({
            policyDir,
            classes: prismaPolarClasses(prisma, { classes: { User, Expense } }),
            dataFiltering: prismaAdapter(prisma),
          }),
        }),
        imports: [prismaModule],
        controllers: [ExpensesController],
        providers: [],
        logger: logs,
      });
    });
    afterAll(async () => {
      await app.close();
    });

    const list = (query: string) => request(app.getHttpServer()).get(`/expenses?${query}`);

    /** What isAllowed says of every expense, in the endpoint's order (amount descending). */
    async function allowed(userId: number, action = 'read'): Promise<number[]> {
      const oso = app.get(OsoService);
      const rows = await (open!.prisma['expense'] as ExpenseDelegate).findMany({ orderBy: { amount: 'desc' } });
      const user = await userOf(open!.prisma, userId);
      const ids: number[] = [];
      for (const row of rows) {
        if (await oso.isAllowed(user, action, Object.assign(new Expense(), row))) ids.push(row['id'] as number);
      }
      return ids;
    }

    it('lists exactly the expenses isAllowed accepts, for each user', async () => {
      const expected = { 1: [2, 6, 1, 5], 2: [2, 3, 1, 5], 3: [4, 3, 5] };
      for (const [user, ids] of Object.entries(expected)) {
        expect(await allowed(Number(user))).toEqual(ids);
        const response = await list(`user=${user}`);
        expect([response.status, response.body.map((row: { id: number }) => row.id)]).toEqual([200, ids]);
      }
      // A user the policy knows nothing of: an empty list, not an error.
      expect((await list('user=9')).body).toEqual([]);
    });

    it("composes with the endpoint's own where, orderBy, take, skip and include", async () => {
      expect((await list('user=1&min=40')).body).toEqual([
        { id: 2, org: 'acme' },
        { id: 6, org: 'globex' },
        { id: 1, org: 'acme' },
      ]);
      expect((await list('user=3&take=1&skip=1')).body).toEqual([{ id: 3, org: 'globex' }]);
    });

    it('fetches through the adapter with authorizedResources, as instances of the registered class', async () => {
      const oso = app.get(OsoService);
      const user = await userOf(open!.prisma, 2);
      const rows = await oso.authorizedResources<Expense>(user, 'read', 'Expense');
      expect(rows.map((row) => row.id).sort()).toEqual([1, 2, 3, 5]);
      expect(rows.every((row) => row instanceof Expense)).toBe(true);
      // A nullable DateTime compared with nil is exact: no approval yet and at least 500.
      const audit = await oso.authorizedResources<Expense>(user, 'audit', 'Expense');
      expect(audit.map((row) => row.id).sort()).toEqual([2, 4]);
      expect(audit.map((row) => row.id).sort()).toEqual((await allowed(2, 'audit')).sort());
    });

    it('refuses with a DataFilteringError naming the condition a Prisma where cannot express (500, logged)', async () => {
      const oso = app.get(OsoService);
      const user = await userOf(open!.prisma, 1);
      const before = logs.errors().length;
      await expect(oso.authorizedQuery(user, 'compare', 'Expense')).rejects.toThrow(InternalServerErrorException);
      expect(logs.errors().slice(before)).toEqual([
        expect.stringContaining('authorizedQuery failed in the policy engine: DataFilteringError'),
      ]);
      const query = buildAuthorizedQuery(oso.engine, user, 'compare', 'Expense');
      await expect(query).rejects.toThrow(DataFilteringError);
      await expect(query).rejects.toThrow(
        /^PrismaAdapter: cannot filter Expense on the condition .*: it compares fields of two different rows/,
      );
    });
  });
});
