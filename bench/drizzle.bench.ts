/**
 * Data filtering through Drizzle: which of 10,000 expenses (in SQLite, better-sqlite3 in memory) a user may read,
 * listed two ways in one run: through the adapter (`buildAuthorizedQuery`, what `OsoService.authorizedQuery` runs,
 * then `db.select().from(table).where(where)`), and with a hand-written Drizzle `where` equivalent to the policy.
 * Both must select exactly the same rows. Alternated run by run, so both see the same load; medians and spread.
 */
import { createRequire } from 'node:module';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, eq, exists, lt, or, relations, sql, type SQL } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { createOsoEngine } from 'nestjs-oso';
import { buildAuthorizedQuery } from 'nestjs-oso/data-filtering';
import { drizzleAdapter, drizzlePolarClasses, type DrizzleQuery } from 'nestjs-oso/drizzle';
import { fixed, median, timingTable } from './support/report.js';

const ITEMS = Number(process.env.BENCH_ITEMS ?? 10_000);
const RUNS = Number(process.env.BENCH_DRIZZLE_RUNS ?? 30);
const ORGANIZATIONS = 20;
const TARGET = 0.8;

const organizations = sqliteTable('organizations', { id: integer('id').primaryKey(), name: text('name').notNull() });
const memberships = sqliteTable('memberships', {
  id: integer('id').primaryKey(),
  userId: integer('user_id').notNull(),
  orgId: integer('org_id').notNull(),
  role: text('role').notNull(),
});
const expenses = sqliteTable('expenses', {
  id: integer('id').primaryKey(),
  amount: integer('amount').notNull(),
  orgId: integer('org_id').notNull(),
  submitterId: integer('submitter_id').notNull(),
});
const schema = {
  organizations,
  memberships,
  expenses,
  organizationsRelations: relations(organizations, ({ many }) => ({ memberships: many(memberships) })),
  membershipsRelations: relations(memberships, ({ one }) => ({
    org: one(organizations, { fields: [memberships.orgId], references: [organizations.id] }),
  })),
  expensesRelations: relations(expenses, ({ one }) => ({
    org: one(organizations, { fields: [expenses.orgId], references: [organizations.id] }),
  })),
};

const POLICY = `
allow(user: User, "read", expense: Expense) if expense.submitterId = user.id;
allow(user: User, "read", expense: Expense) if
  m in expense.org.memberships and m.userId = user.id and m.role = "admin";
allow(user: User, "read", expense: Expense) if
  m in expense.org.memberships and m.userId = user.id and expense.amount < 500;
`;

class User {
  constructor(readonly id: number) {}
}
class Expense {}

// better-sqlite3 12 on Node 20, 13 on Node 22+ (12 aborts on Node 24; 13 needs Node 22).
const Database = createRequire(import.meta.url)(
  Number(process.versions.node.split('.')[0]) >= 22 ? 'better-sqlite3-13' : 'better-sqlite3',
);
const client = new Database(':memory:');
client.exec(`
  CREATE TABLE organizations (id integer PRIMARY KEY, name text NOT NULL);
  CREATE TABLE memberships (id integer PRIMARY KEY, user_id integer NOT NULL, org_id integer NOT NULL, role text NOT NULL);
  CREATE TABLE expenses (id integer PRIMARY KEY, amount integer NOT NULL, org_id integer NOT NULL, submitter_id integer NOT NULL);
  CREATE INDEX memberships_org ON memberships (org_id, user_id);`);
const db = drizzle({ client, schema });
db.insert(organizations)
  .values(Array.from({ length: ORGANIZATIONS }, (_, i) => ({ id: i + 1, name: `org ${i + 1}` })))
  .run();
// User 1: a member of organizations 1, 5 and 9, admin of 13; others hold roles too.
const roles = [
  [1, 1, 'member'],
  [1, 5, 'member'],
  [1, 9, 'member'],
  [1, 13, 'admin'],
  [2, 1, 'admin'],
  [3, 13, 'member'],
] as const;
db.insert(memberships)
  .values(roles.map(([userId, orgId, role], i) => ({ id: i + 1, userId, orgId, role })))
  .run();
for (let start = 0; start < ITEMS; start += 1000) {
  const rows = Array.from({ length: Math.min(1000, ITEMS - start) }, (_, j) => {
    const i = start + j;
    return { id: i + 1, amount: (i * 37) % 1000, orgId: ((i * 7) % ORGANIZATIONS) + 1, submitterId: (i % 50) + 1 };
  });
  db.insert(expenses).values(rows).run();
}

const policyDir = mkdtempSync(join(tmpdir(), 'oso-drizzle-bench-'));
writeFileSync(join(policyDir, 'expenses.polar'), POLICY);
const oso = await createOsoEngine({
  policyDir,
  classes: [
    User,
    ...drizzlePolarClasses(schema, {
      classes: { expenses: Expense },
      names: { organizations: 'Organization', memberships: 'Membership' },
    }),
  ],
  dataFiltering: drizzleAdapter(db),
});
const user = new User(1);

/** The list through the adapter: the policy's condition, as a list endpoint gets it. */
async function throughAdapter(): Promise<number[]> {
  const { table: from, where } = await buildAuthorizedQuery<DrizzleQuery>(oso, user, 'read', Expense);
  return db
    .select({ id: expenses.id })
    .from(from)
    .where(where)
    .all()
    .map((row) => row.id);
}

/**
 * The same list with a where written by hand. `exact` says what the policy says (`expense.org.memberships`: an
 * expense whose organization row is missing has no memberships); the shortcut skips the organization, which gives
 * the same rows only where a foreign key guarantees that every expense's organization exists.
 */
function byHand(through: 'exact' | 'shortcut'): () => Promise<number[]> {
  return async () => {
    const role = (condition: SQL) => {
      const match = and(eq(memberships.userId, user.id), condition);
      const select = db.select({ one: sql`1` });
      return exists(
        through === 'exact'
          ? select
              .from(organizations)
              .innerJoin(memberships, eq(memberships.orgId, organizations.id))
              .where(and(eq(organizations.id, expenses.orgId), match))
          : select.from(memberships).where(and(eq(memberships.orgId, expenses.orgId), match)),
      );
    };
    const where = or(
      eq(expenses.submitterId, user.id),
      role(eq(memberships.role, 'admin')),
      and(lt(expenses.amount, 500), role(sql`1 = 1`)),
    );
    return db
      .select({ id: expenses.id })
      .from(expenses)
      .where(where)
      .all()
      .map((row) => row.id);
  };
}
const exact = byHand('exact');
const shortcut = byHand('shortcut');

async function timed(run: () => Promise<number[]>): Promise<{ ms: number; ids: number[] }> {
  const start = process.hrtime.bigint();
  const ids = await run();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, ids };
}

// Warm-up: the engine's WebAssembly, the JIT, SQLite's page cache.
for (let i = 0; i < 10; i++) {
  await throughAdapter();
  await exact();
  await shortcut();
}
const adapterMs: number[] = [];
const exactMs: number[] = [];
const shortcutMs: number[] = [];
let selected = 0;
for (let i = 0; i < RUNS; i++) {
  const a = await timed(throughAdapter);
  const b = await timed(exact);
  const c = await timed(shortcut);
  const key = (ids: number[]) => [...ids].sort((x, y) => x - y).join(',');
  if (key(a.ids) !== key(b.ids) || key(a.ids) !== key(c.ids)) {
    throw new Error(
      `the ways disagree: ${a.ids.length} rows through the adapter, ${b.ids.length} and ${c.ids.length} by hand`,
    );
  }
  selected = a.ids.length;
  adapterMs.push(a.ms);
  exactMs.push(b.ms);
  shortcutMs.push(c.ms);
}
const ratio = median(exactMs) / median(adapterMs);
console.log(
  `## Data filtering through Drizzle: ${ITEMS.toLocaleString('en')} expenses in SQLite (median ms)\n\n` +
    timingTable([
      ['drizzleAdapter: authorizedQuery (policy condition) + select', adapterMs],
      ['hand-written where, exists through organizations (as the policy says) + select', exactMs],
      ['hand-written shortcut, exists on memberships only (needs a foreign key) + select', shortcutMs],
    ]) +
    `\n\nAll select the same ${selected.toLocaleString('en')} expenses. Ratio in one run (hand-written / adapter, ` +
    `higher is better for the adapter): ${fixed(ratio, 2)}; target at least ${TARGET}: ` +
    `${ratio >= TARGET ? 'met' : 'NOT met'}. Against the shortcut, which skips the organization the policy goes ` +
    `through: ${fixed(median(shortcutMs) / median(adapterMs), 2)}.`,
);
client.close();
