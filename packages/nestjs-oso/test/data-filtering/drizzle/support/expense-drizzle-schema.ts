import { relations } from 'drizzle-orm';
import type { DrizzleKind } from './drizzle-databases.js';
import { createTable, drizzleTable } from './drizzle-tables.js';

/**
 * The Drizzle schema of the e2e app: expenses of organizations, submitted by users, tagged through a junction table,
 * with roles through memberships; `total` is a decimal (which the adapter refuses to compare), `note` a nullable text.
 */
const TABLES = {
  organizations: { id: 'int', name: 'text' },
  users: { id: 'int', name: 'text' },
  memberships: { id: 'int', userId: 'int', orgId: 'int', role: 'text' },
  expenses: {
    id: 'int',
    amount: 'int',
    description: 'text',
    note: 'text?',
    total: 'decimal?',
    orgId: 'int',
    submitterId: 'int',
  },
  tags: { id: 'int', name: 'text' },
};
const JUNCTION = { expenseId: 'int', tagId: 'int' };
const JUNCTION_KEY = ['expenseId', 'tagId'];

/** The tables, then the rows: alice administers acme; bob is a member of acme and of globex; carol of nothing. */
export function expenseDdl(kind: DrizzleKind): string[] {
  const q = (name: string) => (kind === 'mariadb' ? `\`${name}\`` : `"${name}"`);
  return [
    ...Object.entries(TABLES).map(([name, columns]) => createTable(kind, name, columns)),
    createTable(kind, 'expense_tags', JUNCTION, JUNCTION_KEY),
    `INSERT INTO ${q('organizations')} VALUES (1, 'acme'), (2, 'globex')`,
    `INSERT INTO ${q('users')} VALUES (1, 'alice'), (2, 'bob'), (3, 'carol')`,
    `INSERT INTO ${q('memberships')} VALUES (1, 1, 1, 'admin'), (2, 2, 1, 'member'), (3, 2, 2, 'member')`,
    `INSERT INTO ${q('expenses')} VALUES (1, 50, 'coffee', NULL, 50.00, 1, 1), (2, 700, 'laptop', 'ok', 700.50, 1, 2), ` +
      `(3, 80, 'taxi', NULL, NULL, 2, 3), (4, 900, 'desk', 'OK', 900.00, 2, 3), (5, 20, 'pens', 'ok ', 20.00, 1, 3), ` +
      `(6, 650, 'chair', NULL, NULL, 2, 1)`,
    `INSERT INTO ${q('tags')} VALUES (1, 'travel'), (2, 'office')`,
    `INSERT INTO ${q('expense_tags')} VALUES (3, 1), (6, 2), (4, 2), (4, 1)`,
  ];
}

/** The schema module of the app: tables and `relations()`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function expenseSchema(kind: DrizzleKind): Record<string, any> {
  const organizations = drizzleTable(kind, 'organizations', TABLES.organizations);
  const users = drizzleTable(kind, 'users', TABLES.users);
  const memberships = drizzleTable(kind, 'memberships', TABLES.memberships);
  const expenses = drizzleTable(kind, 'expenses', TABLES.expenses);
  const tags = drizzleTable(kind, 'tags', TABLES.tags);
  const expenseTags = drizzleTable(kind, 'expense_tags', JUNCTION, JUNCTION_KEY);
  return {
    organizations,
    users,
    memberships,
    expenses,
    tags,
    expenseTags,
    organizationsRelations: relations(organizations, ({ many }) => ({ memberships: many(memberships) })),
    membershipsRelations: relations(memberships, ({ one }) => ({
      org: one(organizations, { fields: [memberships.orgId], references: [organizations.id] }),
      user: one(users, { fields: [memberships.userId], references: [users.id] }),
    })),
    expensesRelations: relations(expenses, ({ one, many }) => ({
      org: one(organizations, { fields: [expenses.orgId], references: [organizations.id] }),
      submitter: one(users, { fields: [expenses.submitterId], references: [users.id] }),
      expenseTags: many(expenseTags),
    })),
    tagsRelations: relations(tags, ({ many }) => ({ expenseTags: many(expenseTags) })),
    expenseTagsRelations: relations(expenseTags, ({ one }) => ({
      expense: one(expenses, { fields: [expenseTags.expenseId], references: [expenses.id] }),
      tag: one(tags, { fields: [expenseTags.tagId], references: [tags.id] }),
    })),
  };
}
