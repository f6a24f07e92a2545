import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { DATABASES, MARIADB_URL, POSTGRES_URL, skipReason, type TestDatabase } from '../../support/databases.js';

/**
 * Generated Prisma clients for the tests, one per schema and database provider. The `prisma-client` generator writes
 * TypeScript, generated here (once per schema content, provider and Prisma version) into `node_modules/.cache`,
 * where no lint, format or type check looks, and transpiled there to JavaScript modules.
 *
 * The Prisma CLI downloads a schema-engine binary even for `generate`, which a machine without network access
 * cannot; generation needs no schema engine, so `PRISMA_SCHEMA_ENGINE_BINARY=/bin/true` stands in for it. Tables are
 * created with SQL (`db push` needs the engine). An app with network access needs none of this.
 */
export type PrismaProvider = 'sqlite' | 'postgresql' | 'mysql';

/** What the tests use of a generated client module. */
export interface GeneratedClientModule {
  PrismaClient: new (options: { adapter: unknown }) => PrismaClientLike;
}

/** The generated client's methods that the tests call. */
export interface PrismaClientLike {
  $executeRawUnsafe(sql: string): Promise<number>;
  $queryRawUnsafe<T = unknown>(sql: string): Promise<T>;
  $disconnect(): Promise<void>;
  [model: string]: unknown;
}

const require = createRequire(import.meta.url);
const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(dirname(require.resolve('prisma/package.json')));
const PRISMA_VERSION = (JSON.parse(readFileSync(require.resolve('prisma/package.json'), 'utf8')) as { version: string })
  .version;

/** Generates (when needed) and imports the client of `schema` (a file beside this one) for `provider`. */
export async function generatedClient(schema: string, provider: PrismaProvider): Promise<GeneratedClientModule> {
  const source = readFileSync(join(HERE, schema), 'utf8').replace(
    /provider\s*=\s*"sqlite"/,
    `provider = "${provider}"`,
  );
  const hash = createHash('sha256').update(`${PRISMA_VERSION}\n${source}`).digest('hex').slice(0, 16);
  const output = join(ROOT, '.cache', 'nestjs-oso-prisma', `${schema.replace(/\W/g, '_')}-${provider}-${hash}`);
  if (!existsSync(join(output, 'client.js'))) generate(source, output);
  return (await import(join(output, 'client.js'))) as GeneratedClientModule;
}

function generate(source: string, output: string): void {
  // Generated in a scratch folder and moved into place only when complete, so parallel runs never read half of it.
  const scratch = `${output}.${randomBytes(4).toString('hex')}`;
  mkdirSync(scratch, { recursive: true });
  const schemaFile = join(scratch, 'schema.prisma');
  writeFileSync(
    schemaFile,
    source.replace(/generator client \{/, `generator client {\n  output = "${join(scratch, 'ts')}"`),
  );
  execFileSync(process.execPath, [require.resolve('prisma/build/index.js'), 'generate', '--schema', schemaFile], {
    env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: '/bin/true', PRISMA_HIDE_UPDATE_MESSAGE: '1' },
    stdio: 'pipe',
  });
  const js = join(scratch, 'js');
  transpile(join(scratch, 'ts'), js);
  writeFileSync(join(js, 'package.json'), '{ "type": "module" }\n');
  try {
    execFileSync('mv', ['-T', js, output]);
  } catch (error) {
    // Another run moved its copy first.
    if (!existsSync(join(output, 'client.js'))) throw error;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Every `.ts` file of `from` as a JavaScript module in `to` (the generator's imports already end in `.js`). */
function transpile(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from)) {
    const path = join(from, entry);
    if (statSync(path).isDirectory()) {
      transpile(path, join(to, entry));
    } else if (entry.endsWith('.ts')) {
      const { outputText } = ts.transpileModule(readFileSync(path, 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
      });
      writeFileSync(join(to, entry.replace(/\.ts$/, '.js')), outputText);
    }
  }
}

/** The databases the Prisma suites run on: SQLite (better-sqlite3), PostgreSQL and MariaDB. */
export interface PrismaDatabase {
  provider: PrismaProvider;
  /** The name in test titles and tallies (the TypeORM suites' names). */
  kind: 'better-sqlite3' | 'postgres' | 'mariadb';
  /** Why the suite is skipped here (an unreachable server outside CI, a driver that cannot load on this Node). */
  skip?: string;
  /** Why the suite must fail here (an unreachable server in CI). */
  unavailable?: string;
}

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);
const postgres = DATABASES.find((database) => database.kind === 'postgres') as TestDatabase;
const mariadb = DATABASES.find((database) => database.kind === 'mariadb') as TestDatabase;

export const PRISMA_DATABASES: PrismaDatabase[] = [
  {
    provider: 'sqlite',
    kind: 'better-sqlite3',
  },
  { provider: 'postgresql', kind: 'postgres', skip: skipReason(postgres), unavailable: postgres.unavailable },
  { provider: 'mysql', kind: 'mariadb', skip: skipReason(mariadb), unavailable: mariadb.unavailable },
];

/** An open client on a fresh database (SQLite in memory, or a PostgreSQL schema of its own), and how to drop it. */
export interface OpenPrisma {
  prisma: PrismaClientLike;
  close(): Promise<void>;
}

export async function openPrisma(
  module: GeneratedClientModule,
  provider: PrismaProvider,
  ddl: (provider: PrismaProvider) => string[],
): Promise<OpenPrisma> {
  if (provider === 'sqlite') {
    if (NODE_MAJOR >= 22) {
      // @prisma/adapter-better-sqlite3 7.10 imports `better-sqlite3`, which resolves to 12 here, and 12 aborts the
      // process on Node 24 when its statements are collected. An app on Node 22+ installs 13 (`overrides` in its
      // package.json); this suite loads 13 from its npm alias in its place, as the TypeORM suites do.
      const { jest } = await import('@jest/globals');
      jest.unstable_mockModule('better-sqlite3', () => ({ default: require('better-sqlite3-13') }));
    }
    const { PrismaBetterSqlite3 } = await import('@prisma/adapter-better-sqlite3');
    const prisma = new module.PrismaClient({ adapter: new PrismaBetterSqlite3({ url: ':memory:' }) });
    for (const statement of ddl(provider)) await prisma.$executeRawUnsafe(statement);
    return { prisma, close: () => prisma.$disconnect() };
  }
  if (provider === 'mysql') return openMariaDb(module, ddl);
  const { PrismaPg } = await import('@prisma/adapter-pg');
  const name = `oso_prisma_${randomBytes(6).toString('hex')}`;
  const admin = new module.PrismaClient({ adapter: new PrismaPg({ connectionString: POSTGRES_URL }) });
  await admin.$executeRawUnsafe(`CREATE SCHEMA "${name}"`);
  const prisma = new module.PrismaClient({
    adapter: new PrismaPg({ connectionString: POSTGRES_URL, options: `-c search_path=${name}` }, { schema: name }),
  });
  try {
    for (const statement of ddl(provider)) await prisma.$executeRawUnsafe(statement);
  } catch (error) {
    await prisma.$disconnect();
    await admin.$executeRawUnsafe(`DROP SCHEMA IF EXISTS "${name}" CASCADE`).finally(() => admin.$disconnect());
    throw error;
  }
  return {
    prisma,
    close: async () => {
      await prisma.$disconnect();
      await admin.$executeRawUnsafe(`DROP SCHEMA IF EXISTS "${name}" CASCADE`).finally(() => admin.$disconnect());
    },
  };
}

/** A database of its own on the MariaDB server, with a binary collation (as the TypeORM suites'). */
async function openMariaDb(
  module: GeneratedClientModule,
  ddl: (provider: PrismaProvider) => string[],
): Promise<OpenPrisma> {
  const { PrismaMariaDb } = await import('@prisma/adapter-mariadb');
  const name = `oso_prisma_${randomBytes(6).toString('hex')}`;
  const server = new URL(MARIADB_URL);
  const credentials = server.password ? `${server.username}:${server.password}` : server.username;
  const url = (database: string) => `mariadb://${credentials}@${server.hostname}:${server.port || 3306}/${database}`;
  const admin = new module.PrismaClient({ adapter: new PrismaMariaDb(url(server.pathname.slice(1) || 'test')) });
  await admin.$executeRawUnsafe(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  const prisma = new module.PrismaClient({ adapter: new PrismaMariaDb(url(name)) });
  const drop = async () => {
    await prisma.$disconnect();
    await admin.$executeRawUnsafe(`DROP DATABASE IF EXISTS \`${name}\``).finally(() => admin.$disconnect());
  };
  try {
    for (const statement of ddl('mysql')) await prisma.$executeRawUnsafe(statement);
  } catch (error) {
    await drop();
    throw error;
  }
  return { prisma, close: drop };
}
