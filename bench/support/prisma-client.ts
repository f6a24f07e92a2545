import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import ts from 'typescript';

/**
 * The bench's generated Prisma client (SQLite), in `node_modules/.cache`: `prisma generate` with the schema text
 * given, then its TypeScript transpiled to JavaScript modules. `PRISMA_SCHEMA_ENGINE_BINARY=/bin/true` lets a machine
 * without network access generate (the CLI downloads a schema engine that generation does not use).
 */
export interface BenchPrismaClient {
  $executeRawUnsafe(sql: string): Promise<number>;
  $disconnect(): Promise<void>;
  [model: string]: unknown;
}

const require = createRequire(import.meta.url);

export async function benchPrismaClient(schema: string): Promise<BenchPrismaClient> {
  const hash = createHash('sha256').update(schema).digest('hex').slice(0, 16);
  const output = join(dirname(dirname(require.resolve('prisma/package.json'))), '.cache', `nestjs-oso-bench-${hash}`);
  if (!existsSync(join(output, 'js', 'client.js'))) {
    rmSync(output, { recursive: true, force: true });
    mkdirSync(output, { recursive: true });
    const file = join(output, 'schema.prisma');
    writeFileSync(file, schema.replace('generator client {', `generator client {\n  output = "${join(output, 'ts')}"`));
    execFileSync(process.execPath, [require.resolve('prisma/build/index.js'), 'generate', '--schema', file], {
      env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: '/bin/true', PRISMA_HIDE_UPDATE_MESSAGE: '1' },
      stdio: 'pipe',
    });
    transpile(join(output, 'ts'), join(output, 'js'));
    writeFileSync(join(output, 'js', 'package.json'), '{ "type": "module" }\n');
  }
  const { PrismaClient } = (await import(join(output, 'js', 'client.js'))) as {
    PrismaClient: new (options: { adapter: unknown }) => BenchPrismaClient;
  };
  const { PrismaBetterSqlite3 } = await import('@prisma/adapter-better-sqlite3');
  return new PrismaClient({ adapter: new PrismaBetterSqlite3({ url: ':memory:' }) });
}

function transpile(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from)) {
    const path = join(from, entry);
    if (statSync(path).isDirectory()) transpile(path, join(to, entry));
    else if (entry.endsWith('.ts')) {
      const { outputText } = ts.transpileModule(readFileSync(path, 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      });
      writeFileSync(join(to, entry.replace(/\.ts$/, '.js')), outputText);
    }
  }
}
