import type { GeneratedData } from '../../generated/support/policy-grammar.js';
import type { PrismaClientLike, PrismaProvider } from './prisma-client.js';

/**
 * The tables of `gd.prisma`, created with SQL (`prisma db push` needs the schema engine), and the generated data
 * seeded into them. The implicit many-to-many `GdDoc.tags` is Prisma's table `_GdDocToGdTag` (A: the doc, B: the
 * tag). No foreign keys: each case re-seeds every table in any order.
 */
const TABLES: Array<{ table: string; key: keyof GeneratedData; columns: Array<[string, string]> }> = [
  {
    table: 'gd_user',
    key: 'users',
    columns: [
      ['id', 'INTEGER PRIMARY KEY'],
      ['level', 'INTEGER'],
      ['name', 'VARCHAR(16)'],
      ['isAdmin', 'BOOLEAN NOT NULL'],
    ],
  },
  {
    table: 'gd_org',
    key: 'orgs',
    columns: [
      ['id', 'INTEGER PRIMARY KEY'],
      ['tier', 'INTEGER'],
      ['name', 'VARCHAR(16)'],
    ],
  },
  {
    table: 'gd_membership',
    key: 'memberships',
    columns: [
      ['id', 'INTEGER PRIMARY KEY'],
      ['userId', 'INTEGER NOT NULL'],
      ['orgId', 'INTEGER NOT NULL'],
      ['role', 'VARCHAR(16) NOT NULL'],
    ],
  },
  {
    table: 'gd_doc',
    key: 'docs',
    columns: [
      ['id', 'INTEGER PRIMARY KEY'],
      ['orgId', 'INTEGER NOT NULL'],
      ['authorId', 'INTEGER NOT NULL'],
      ['rank', 'INTEGER'],
      ['score', 'DOUBLE PRECISION'],
      ['code', 'VARCHAR(16)'],
      ['flag', 'BOOLEAN'],
    ],
  },
  {
    table: 'gd_comment',
    key: 'comments',
    columns: [
      ['id', 'INTEGER PRIMARY KEY'],
      ['docId', 'INTEGER NOT NULL'],
      ['authorId', 'INTEGER NOT NULL'],
      ['votes', 'INTEGER'],
      ['body', 'VARCHAR(16)'],
    ],
  },
  {
    table: 'gd_tag',
    key: 'tags',
    columns: [
      ['id', 'INTEGER PRIMARY KEY'],
      ['label', 'VARCHAR(16)'],
      ['weight', 'INTEGER'],
    ],
  },
  {
    table: '_GdDocToGdTag',
    key: 'docTags',
    columns: [
      ['A', 'INTEGER NOT NULL'],
      ['B', 'INTEGER NOT NULL'],
    ],
  },
];

/** A quoted name: backticks on MariaDB, double quotes elsewhere. */
function quoter(provider: PrismaProvider): (name: string) => string {
  return provider === 'mysql' ? (name) => `\`${name}\`` : (name) => `"${name}"`;
}

/** The CREATE TABLE statements (the same SQL on each database, but for quotes). */
export function gdTables(provider: PrismaProvider): string[] {
  const quote = quoter(provider);
  return TABLES.map(
    ({ table, columns }) =>
      `CREATE TABLE ${quote(table)} (${columns.map(([name, type]) => `${quote(name)} ${type}`).join(', ')})`,
  );
}

/** Replaces every table's rows with the data's. */
export async function seedGd(prisma: PrismaClientLike, provider: PrismaProvider, data: GeneratedData): Promise<void> {
  const literal = (value: unknown): string => {
    if (value === null) return 'NULL';
    if (typeof value === 'boolean') return provider === 'postgresql' ? String(value) : value ? '1' : '0';
    if (typeof value === 'number') return String(value);
    return `'${String(value).replace(/'/g, "''")}'`;
  };
  const quote = quoter(provider);
  const statements =
    provider === 'postgresql'
      ? [`TRUNCATE ${TABLES.map(({ table }) => quote(table)).join(', ')}`]
      : TABLES.map(({ table }) => `DELETE FROM ${quote(table)}`);
  for (const { table, key, columns } of TABLES) {
    const rows = (data[key] as unknown[]).map((row) =>
      Array.isArray(row) ? row : columns.map(([name]) => (row as Record<string, unknown>)[name]),
    );
    if (rows.length === 0) continue;
    const values = rows.map((row) => `(${row.map(literal).join(', ')})`).join(', ');
    statements.push(
      `INSERT INTO ${quote(table)} (${columns.map(([name]) => quote(name)).join(', ')}) VALUES ${values}`,
    );
  }
  // PostgreSQL takes them in one round trip (a query without parameters may hold several statements).
  if (provider === 'postgresql') await prisma.$executeRawUnsafe(statements.join(';\n'));
  else for (const statement of statements) await prisma.$executeRawUnsafe(statement);
}
