import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { sql } from 'drizzle-orm';
import { DATABASES, MARIADB_URL, POSTGRES_URL, skipReason, type TestDatabase } from '../../support/databases.js';

/**
 * The databases of the Drizzle suites: SQLite through better-sqlite3 (12 on Node 20, 13 on Node 22+, as
 * support/databases.ts explains), PostgreSQL through pg, MariaDB through mysql2, each on its own schema or database,
 * dropped afterwards. Availability (and failing in CI) is support/databases.ts's.
 */
export type DrizzleKind = 'better-sqlite3' | 'postgres' | 'mariadb';

export const DRIZZLE_DATABASES: Array<TestDatabase & { kind: DrizzleKind }> = DATABASES.filter(
  (database): database is TestDatabase & { kind: DrizzleKind } => database.kind !== 'sqlite',
);

/** An open Drizzle database with its tables created. `db` is typed loosely: one test runs on all three dialects. */
export interface OpenDrizzle {
  kind: DrizzleKind;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  db: any;
  /** Runs raw SQL statements (DDL, seeds). */
  run(statement: string): Promise<void>;
  close(): Promise<void>;
}

const require = createRequire(import.meta.url);

/** Opens `kind` with a fresh schema (PostgreSQL) or database (MariaDB) and runs `ddl` there. */
export async function openDrizzle(
  kind: DrizzleKind,
  schema: Record<string, unknown>,
  ddl: string[],
): Promise<OpenDrizzle> {
  const name = `oso_dz_${randomBytes(6).toString('hex')}`;
  let open: OpenDrizzle;
  if (kind === 'better-sqlite3') {
    const Database = require(
      Number(process.versions.node.split('.')[0]) >= 22 ? 'better-sqlite3-13' : 'better-sqlite3',
    );
    const client = new Database(':memory:');
    const { drizzle } = await import('drizzle-orm/better-sqlite3');
    const db = drizzle({ client, schema });
    open = {
      kind,
      db,
      run: async (statement) => void client.exec(statement),
      close: async () => void client.close(),
    };
  } else if (kind === 'postgres') {
    const { default: pg } = await import('pg');
    const admin = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
    await admin.connect();
    await admin.query(`CREATE SCHEMA "${name}"`);
    const pool = new pg.Pool({
      connectionString: POSTGRES_URL, // Seeds commit thousands of times: without waiting for the disk (a throwaway schema).
      options: `-c search_path=${name} -c synchronous_commit=off`,
      max: 4,
    });
    const { drizzle } = await import('drizzle-orm/node-postgres');
    open = {
      kind,
      db: drizzle({ client: pool, schema }),
      run: async (statement) => void (await pool.query(statement)),
      close: async () => {
        await pool.end();
        await admin.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`).finally(() => admin.end());
      },
    };
  } else {
    const mysql = await import('mysql2/promise');
    const url = new URL(MARIADB_URL);
    const admin = await mysql.createConnection({ uri: MARIADB_URL, connectTimeout: 3000 });
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    url.pathname = `/${name}`;
    const pool = mysql.createPool({ uri: url.toString(), connectionLimit: 4, multipleStatements: true });
    const { drizzle } = await import('drizzle-orm/mysql2');
    open = {
      kind,
      db: drizzle({ client: pool, schema, mode: 'default' }),
      run: async (statement) => void (await pool.query(statement)),
      close: async () => {
        await pool.end();
        await admin.query(`DROP DATABASE IF EXISTS \`${name}\``).finally(() => admin.end());
      },
    };
  }
  try {
    for (const statement of ddl) await open.run(statement);
  } catch (error) {
    await open.close();
    throw error;
  }
  return open;
}

/** `SELECT count(*)` of a condition, to check that a filtered select can be counted. */
export async function countOf(open: OpenDrizzle, table: object, where: unknown): Promise<number> {
  const [row] = await open.db
    .select({ n: sql<number>`count(*)` })
    .from(table)
    .where(where);
  return Number(row.n);
}

/** The tables of a suite in one dialect: the schema module, and the SQL that creates (and fills) them. */
export interface DrizzleTables {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  schema: Record<string, any>;
  ddl: string[];
}

/**
 * `describe.each` over the Drizzle databases: the body gets a getter for the open database (opened with `tables` in
 * `beforeAll`, dropped in `afterAll`) and the dialect's schema. An unreachable server skips the suite with a message
 * locally and fails it in CI.
 */
export function describeOnEachDrizzle(
  title: string,
  tables: (kind: DrizzleKind) => DrizzleTables,
  body: (
    open: () => OpenDrizzle,
    schema: DrizzleTables['schema'],
    database: TestDatabase & { kind: DrizzleKind },
  ) => void,
): void {
  describe.each(DRIZZLE_DATABASES)(`${title} on $kind`, (database) => {
    const skip = skipReason(database);
    if (skip) {
      it.skip(`skipped: ${skip}`, () => undefined);
      return;
    }
    const { schema, ddl } = tables(database.kind);
    let open: OpenDrizzle | undefined;
    beforeAll(async () => {
      if (database.unavailable) throw new Error(`CI requires ${database.kind}: ${database.unavailable}`);
      open = await openDrizzle(database.kind, schema, ddl);
    });
    afterAll(async () => {
      await open?.close();
    });
    const current = () => {
      if (!open) throw new Error(`${database.kind} is not open`);
      return open;
    };
    body(current, schema, database);
  });
}
