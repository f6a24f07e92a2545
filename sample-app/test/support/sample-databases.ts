import { randomBytes } from 'node:crypto';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { ENTITIES } from '../../src/database/database.options.js';
import { IN_MEMORY_SQLITE } from '../create-sample-app.js';

/**
 * The databases the sample app's concurrency suites run on: in-memory SQLite always, and PostgreSQL in a schema of
 * its own (named at random, dropped afterwards), so that parallel test runs never collide. An unreachable
 * PostgreSQL skips its suite with a message locally and fails it in CI (`CI=true`), as the library's suites do.
 * `POSTGRES_URL` (default postgres://postgres@127.0.0.1:5432/test) points elsewhere.
 */
export type SampleDatabaseKind = 'sqlite' | 'postgres';

export const IN_CI = process.env.CI === 'true' || process.env.CI === '1';
const POSTGRES_URL = process.env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

function postgresOptions(schema?: string): DataSourceOptions {
  const url = new URL(POSTGRES_URL);
  return {
    type: 'postgres',
    host: url.hostname,
    port: Number(url.port || 5432),
    username: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: url.pathname.slice(1) || 'test',
    connectTimeoutMS: 3000,
    // TypeORM qualifies tables with `schema`; the search path makes raw SQL (the tests' triggers) use it too.
    ...(schema && { schema, extra: { options: `-c search_path=${schema}` } }),
  };
}

async function probePostgres(): Promise<string | undefined> {
  const dataSource = new DataSource(postgresOptions());
  try {
    await dataSource.initialize();
    await dataSource.query('SELECT 1');
    return undefined;
  } catch (error) {
    return `postgres at ${POSTGRES_URL} is unreachable (${(error as Error).message || (error as Error).name})`;
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
  }
}

/** The databases of `describe.each`, with the reason a server is unavailable. */
export const SAMPLE_DATABASES: Array<{ kind: SampleDatabaseKind; unavailable?: string }> = [
  { kind: 'sqlite' },
  { kind: 'postgres', unavailable: await probePostgres() },
];

/** Options for the sample app on a fresh database of `kind`, and how to drop it once the app is closed. */
export async function openSampleDatabase(
  kind: SampleDatabaseKind,
): Promise<{ options: DataSourceOptions; drop(): Promise<void> }> {
  if (kind === 'sqlite') return { options: IN_MEMORY_SQLITE, drop: async () => undefined };
  const schema = `sample_app_${randomBytes(6).toString('hex')}`;
  const admin = await new DataSource(postgresOptions()).initialize();
  await admin.query(`CREATE SCHEMA "${schema}"`);
  return {
    options: { ...postgresOptions(schema), entities: ENTITIES, synchronize: true } as DataSourceOptions,
    drop: async () => {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => admin.destroy());
    },
  };
}
