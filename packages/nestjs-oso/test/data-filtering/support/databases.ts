import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { DataSource, type DataSourceOptions } from 'typeorm';

/**
 * The databases every data filtering suite runs on: SQLite always, through two drivers; PostgreSQL and MariaDB, which
 * run on every machine of this project (`.ci/run` starts them). Each suite gets its own schema or database, named at
 * random and dropped afterwards, so that parallel runs never collide. A server that cannot be reached is skipped with
 * a message locally, and fails the suite in CI (`CI=true`).
 *
 * SQLite runs through sql.js (TypeORM's `sqljs`, WebAssembly: the same on every Node version, and the sample app's
 * default) and through better-sqlite3, the native driver most TypeORM apps use, in the version a user of this Node
 * installs: 12 on Node 20 (13 needs Node 22 and crashes on 20), 13 on Node 22+ (12 aborts the process on Node 24:
 * `RemoveEnvironmentCleanupHook` when its statements are collected). 12 is built for the machine's Node by `npm ci`;
 * 13 (`better-sqlite3-13`, an npm alias) ships Node-API binaries that load on every Node from 22 on.
 *
 * Connection settings: POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test) and MARIADB_URL (default
 * mysql://root@127.0.0.1:3306/test).
 */
export type DatabaseKind = 'sqlite' | 'better-sqlite3' | 'postgres' | 'mariadb';

export interface TestDatabase {
  kind: DatabaseKind;
  /** Why this database cannot be used here; undefined when it can. */
  unavailable?: string;
}

/** What TypeORM takes in `entities`: a class, a schema or a glob. */
type Entity = Extract<NonNullable<DataSourceOptions['entities']>, readonly unknown[]>[number];

/** Whether this run is CI, where every database must be reachable. */
export const IN_CI = process.env.CI === 'true' || process.env.CI === '1';
export const POSTGRES_URL = process.env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const MARIADB_URL = process.env.MARIADB_URL ?? 'mysql://root@127.0.0.1:3306/test';

/** Connection options of a server, with every part of the URL spelled out so that `database` / `schema` can be set. */
function serverOptions(kind: 'postgres' | 'mariadb', database?: string): DataSourceOptions {
  const url = new URL(kind === 'postgres' ? POSTGRES_URL : MARIADB_URL);
  const connection = {
    host: url.hostname,
    port: Number(url.port || (kind === 'postgres' ? 5432 : 3306)),
    username: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
  };
  const defaultDatabase = url.pathname.slice(1) || 'test';
  return kind === 'postgres'
    ? {
        type: 'postgres',
        ...connection,
        database: defaultDatabase,
        // TypeORM qualifies tables with `schema`; the search path makes raw SQL use it too.
        ...(database && { schema: database, extra: { options: `-c search_path=${database}` } }),
        connectTimeoutMS: 3000,
      }
    : { type: 'mariadb', ...connection, database: database ?? defaultDatabase, connectTimeout: 3000 };
}

async function probe(kind: 'postgres' | 'mariadb'): Promise<string | undefined> {
  const dataSource = new DataSource(serverOptions(kind));
  try {
    await dataSource.initialize();
    await dataSource.query('SELECT 1');
    return undefined;
  } catch (error) {
    const url = kind === 'postgres' ? POSTGRES_URL : MARIADB_URL;
    return `${kind} at ${url} is unreachable (${(error as Error).message || (error as Error).name})`;
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
  }
}

const [postgres, mariadb] = await Promise.all([probe('postgres'), probe('mariadb')]);

/** better-sqlite3 13 on Node 22+, undefined on Node 20, where TypeORM loads `better-sqlite3` (12) itself. */
const BETTER_SQLITE3_13: unknown =
  Number(process.versions.node.split('.')[0]) >= 22 ? createRequire(import.meta.url)('better-sqlite3-13') : undefined;

/** The databases of `describe.each`, with the reason a server is unavailable. */
export const DATABASES: TestDatabase[] = [
  { kind: 'sqlite' },
  { kind: 'better-sqlite3' },
  { kind: 'postgres', unavailable: postgres },
  { kind: 'mariadb', unavailable: mariadb },
];

/** An open test database: a DataSource on a fresh schema with the given entities, and how to drop it. */
export interface OpenDatabase {
  dataSource: DataSource;
  close(): Promise<void>;
}

export async function openDatabase(kind: DatabaseKind, entities: Entity[]): Promise<OpenDatabase> {
  if (kind === 'sqlite' || kind === 'better-sqlite3') {
    const options: DataSourceOptions =
      kind === 'sqlite'
        ? { type: 'sqljs', entities, synchronize: true }
        : { type: 'better-sqlite3', database: ':memory:', driver: BETTER_SQLITE3_13, entities, synchronize: true };
    const dataSource = await new DataSource(options).initialize();
    return { dataSource, close: () => dataSource.destroy() };
  }
  const name = `oso_df_${randomBytes(6).toString('hex')}`;
  const admin = await new DataSource(serverOptions(kind)).initialize();
  let dataSource: DataSource | undefined;
  try {
    // The suite's own schema (PostgreSQL) or database (MariaDB); the URL's database is only used to create it.
    if (kind === 'postgres') {
      await admin.query(`CREATE SCHEMA "${name}"`);
      dataSource = new DataSource({ ...serverOptions(kind, name), entities, synchronize: true } as DataSourceOptions);
    } else {
      await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
      dataSource = new DataSource({ ...serverOptions(kind, name), entities, synchronize: true } as DataSourceOptions);
    }
    await dataSource.initialize();
    const [{ current }] = await dataSource.query(
      kind === 'postgres' ? `SELECT current_schema() AS current` : 'SELECT DATABASE() AS current',
    );
    // Tables must never land in the shared database, where parallel runs would collide.
    if (current !== name) throw new Error(`the ${kind} test DataSource uses "${current}", not its own "${name}"`);
  } catch (error) {
    if (dataSource?.isInitialized) await dataSource.destroy();
    await drop(admin, kind, name).finally(() => admin.destroy());
    throw error;
  }
  const open = dataSource;
  return {
    dataSource: open,
    close: async () => {
      await open.destroy();
      await drop(admin, kind, name).finally(() => admin.destroy());
    },
  };
}

async function drop(admin: DataSource, kind: DatabaseKind, name: string): Promise<void> {
  await admin.query(
    kind === 'postgres' ? `DROP SCHEMA IF EXISTS "${name}" CASCADE` : `DROP DATABASE IF EXISTS \`${name}\``,
  );
}

/**
 * Why the suites on `database` are skipped here, or undefined when they run: an unreachable server outside CI (in CI
 * it fails the suite instead).
 */
export function skipReason(database: TestDatabase): string | undefined {
  return IN_CI ? undefined : database.unavailable;
}

/**
 * `describe.each` over the databases: the body gets a getter for the suite's DataSource (opened in `beforeAll`, with
 * the `seed` run once). An unreachable server skips the suite with a message locally and fails it in CI.
 */
export function describeOnEachDatabase(
  title: string,
  entities: Entity[],
  body: (dataSource: () => DataSource, database: TestDatabase) => void,
  seed?: (dataSource: DataSource) => Promise<void>,
): void {
  describe.each(DATABASES)(`${title} on $kind`, (database) => {
    const skip = skipReason(database);
    if (skip) {
      console.warn(`Skipping "${title}" on ${database.kind}: ${skip}`);
      it.skip(`skipped: ${skip}`, () => undefined);
      return;
    }
    let open: OpenDatabase | undefined;
    beforeAll(async () => {
      if (database.unavailable) throw new Error(`CI requires ${database.kind}: ${database.unavailable}`);
      open = await openDatabase(database.kind, entities);
      await seed?.(open.dataSource);
    });
    afterAll(async () => {
      await open?.close();
    });
    body(() => {
      if (!open) throw new Error(`${database.kind} is not open`);
      return open.dataSource;
    }, database);
  });
}
