/**
 * Data filtering through Prisma: a list of 10,000 expenses in SQLite (Prisma 7, better-sqlite3), filtered two ways
 * in one run: through the adapter (`authorizedQuery` gives the policy's `where`, then `findMany`) and with a
 * hand-written `where` that says the same thing. Both must return the same rows. Runs alternate, so both see the
 * same load; figures are medians after a warm-up.
 */
import { createOsoEngine } from 'nestjs-oso';
import { authorizedWhere, prismaAdapter, prismaPolarClasses } from 'nestjs-oso/prisma';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchPrismaClient } from './support/prisma-client.js';
import { fixed, median, timingTable } from './support/report.js';

const ITEMS = Number(process.env.BENCH_ITEMS ?? 10_000);
const ORGANIZATIONS = 20;
const RUNS = Number(process.env.BENCH_PRISMA_RUNS ?? 60);
const TARGET = 0.8;

const SCHEMA = `
generator client {
  provider            = "prisma-client"
  importFileExtension = "js"
  moduleFormat        = "esm"
}
datasource db {
  provider = "sqlite"
}
model Organization {
  id       Int          @id
  members  Membership[]
  expenses Expense[]
}
model User {
  id          Int          @id
  memberships Membership[]
}
model Membership {
  id     Int          @id
  userId Int
  orgId  Int
  role   String
  user   User         @relation(fields: [userId], references: [id])
  org    Organization @relation(fields: [orgId], references: [id])
}
model Expense {
  id          Int          @id
  amount      Int
  orgId       Int
  submitterId Int
  org         Organization @relation(fields: [orgId], references: [id])
}
`;

/** Members read their organizations' expenses; admins theirs too; anyone reads what they submitted. */
const POLICY = `
allow(user: User, "read", expense: Expense) if
  m in expense.org.members and m.userId = user.id and m.role in ["member", "admin"];
allow(user: User, "read", expense: Expense) if expense.submitterId = user.id;
`;

class User {
  constructor(readonly id: number) {}
}
class Expense {}

interface ExpenseDelegate {
  findMany(args: object): Promise<Array<{ id: number }>>;
}

const prisma = await benchPrismaClient(SCHEMA);
for (const statement of [
  'CREATE TABLE "Organization" ("id" INTEGER PRIMARY KEY)',
  'CREATE TABLE "User" ("id" INTEGER PRIMARY KEY)',
  'CREATE TABLE "Membership" ("id" INTEGER PRIMARY KEY, "userId" INTEGER NOT NULL, "orgId" INTEGER NOT NULL, "role" TEXT NOT NULL)',
  'CREATE TABLE "Expense" ("id" INTEGER PRIMARY KEY, "amount" INTEGER NOT NULL, "orgId" INTEGER NOT NULL, "submitterId" INTEGER NOT NULL)',
  'CREATE INDEX "Expense_orgId" ON "Expense" ("orgId")',
  'CREATE INDEX "Expense_submitterId" ON "Expense" ("submitterId")',
  'CREATE INDEX "Membership_orgId" ON "Membership" ("orgId")',
  `INSERT INTO "Organization" ("id") VALUES ${Array.from({ length: ORGANIZATIONS }, (_, i) => `(${i + 1})`).join(', ')}`,
  'INSERT INTO "User" ("id") VALUES (1), (2), (3)',
  // User 1: a member of three organizations and admin of a fourth; reads 4 organizations' expenses in 20.
  `INSERT INTO "Membership" ("id", "userId", "orgId", "role") VALUES (1, 1, 1, 'member'), (2, 1, 5, 'member'),
    (3, 1, 9, 'member'), (4, 1, 13, 'admin'), (5, 2, 2, 'member'), (6, 3, 3, 'guest')`,
]) {
  await prisma.$executeRawUnsafe(statement);
}
for (let start = 0; start < ITEMS; start += 1_000) {
  const rows = Array.from({ length: Math.min(1_000, ITEMS - start) }, (_, j) => {
    const i = start + j;
    return `(${i + 1}, ${(i * 37) % 1000}, ${((i * 7) % ORGANIZATIONS) + 1}, ${(i % 3) + 1})`;
  });
  await prisma.$executeRawUnsafe(
    `INSERT INTO "Expense" ("id", "amount", "orgId", "submitterId") VALUES ${rows.join(', ')}`,
  );
}

const policyDir = mkdtempSync(join(tmpdir(), 'oso-prisma-bench-'));
writeFileSync(join(policyDir, 'expenses.polar'), POLICY);
const engine = await createOsoEngine({
  policyDir,
  classes: prismaPolarClasses(prisma, { classes: { User, Expense } }),
  dataFiltering: prismaAdapter(prisma),
});
rmSync(policyDir, { recursive: true, force: true });

const expenses = prisma['expense'] as ExpenseDelegate;
const user = new User(1);
const page = { orderBy: { id: 'asc' }, select: { id: true, amount: true } } as const;

/** Through the adapter: the policy's where (one partial evaluation, remembered per actor) AND the endpoint's. */
const throughAdapter = async () =>
  expenses.findMany({
    where: { AND: [await authorizedWhere(engine, user, 'read', 'Expense'), { amount: { gte: 0 } }] },
    ...page,
  });
/** What one writes by hand for the same policy. */
const handWritten = () =>
  expenses.findMany({
    where: {
      AND: [
        {
          OR: [
            { org: { members: { some: { userId: user.id, role: { in: ['member', 'admin'] } } } } },
            { submitterId: user.id },
          ],
        },
        { amount: { gte: 0 } },
      ],
    },
    ...page,
  });

async function time(run: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const [viaAdapter, byHand] = await Promise.all([throughAdapter(), handWritten()]);
const ids = (rows: Array<{ id: number }>) => rows.map((row) => row.id).join(',');
if (ids(viaAdapter) !== ids(byHand)) {
  throw new Error(`the two ways disagree: ${viaAdapter.length} rows through the adapter, ${byHand.length} by hand`);
}
// Warm-up: the query compiler's WebAssembly, the engine and the JIT.
for (let i = 0; i < 10; i++) {
  await throughAdapter();
  await handWritten();
}
const adapterMs: number[] = [];
const handMs: number[] = [];
for (let i = 0; i < RUNS; i++) {
  adapterMs.push(await time(throughAdapter));
  handMs.push(await time(handWritten));
}
await prisma.$disconnect();

const ratio = median(handMs) / median(adapterMs);
console.log(
  `## Data filtering through Prisma: ${ITEMS.toLocaleString('en')} expenses in SQLite, a list of ` +
    `${byHand.length.toLocaleString('en')} (median ms)\n\n` +
    timingTable([
      ['prismaAdapter: the policy’s where (authorizedWhere) + findMany', adapterMs],
      ['a hand-written equivalent where + findMany', handMs],
    ]) +
    `\n\nBoth return the same ${byHand.length.toLocaleString('en')} rows. Hand-written ÷ adapter: ` +
    `${fixed(ratio, 2)} (target: at least ${TARGET}): ${ratio >= TARGET ? 'met' : 'NOT met'}.`,
);
