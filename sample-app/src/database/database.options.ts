import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import { Expense } from '../expenses/expense.entity.js';
import { Membership } from '../organizations/membership.entity.js';
import { Organization } from '../organizations/organization.entity.js';
import { User } from '../users/user.entity.js';
import { databaseFileSaver } from './database-file.saver.js';

export const ENTITIES = [User, Organization, Membership, Expense];

/** Where the embedded database lives unless DATABASE_FILE says otherwise. */
export const DEFAULT_SQLITE_FILE = join(import.meta.dirname, '..', '..', 'data', 'expenses.sqlite');

/**
 * SQLite in a file by default; `DATABASE_URL=postgres://...` switches to PostgreSQL with no code change.
 * The schema is created from the entities (`synchronize`), as befits a sample app.
 *
 * SQLite runs through sql.js (TypeORM's `sqljs` driver): WebAssembly, so `npm install && npm start` needs no native
 * build and works on every supported Node version. The database lives in memory, loaded from the file at start and
 * saved to it after each write (`DATABASE_FILE=:memory:` keeps it in memory only). One process owns the file.
 */
export function databaseOptions(env: NodeJS.ProcessEnv = process.env): DataSourceOptions {
  const url = env.DATABASE_URL;
  if (url?.startsWith('postgres')) {
    return { type: 'postgres', url, entities: ENTITIES, synchronize: true };
  }
  if (url) throw new Error(`DATABASE_URL must be a postgres:// URL, got "${url}"`);
  const database = env.DATABASE_FILE ?? DEFAULT_SQLITE_FILE;
  if (database === ':memory:') return { type: 'sqljs', entities: ENTITIES, synchronize: true };
  mkdirSync(dirname(database), { recursive: true });
  return {
    type: 'sqljs',
    location: database,
    autoSave: true,
    autoSaveCallback: databaseFileSaver(database),
    entities: ENTITIES,
    synchronize: true,
  };
}
