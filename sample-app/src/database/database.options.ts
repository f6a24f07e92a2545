import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import { Expense } from '../expenses/expense.entity.js';
import { Membership } from '../organizations/membership.entity.js';
import { Organization } from '../organizations/organization.entity.js';
import { User } from '../users/user.entity.js';

export const ENTITIES = [User, Organization, Membership, Expense];

/** Where the embedded database lives unless DATABASE_FILE says otherwise. */
export const DEFAULT_SQLITE_FILE = join(import.meta.dirname, '..', '..', 'data', 'expenses.sqlite');

/**
 * SQLite in a file by default; `DATABASE_URL=postgres://...` switches to PostgreSQL with no code change.
 * The schema is created from the entities (`synchronize`), as befits a sample app.
 */
export function databaseOptions(env: NodeJS.ProcessEnv = process.env): DataSourceOptions {
  const url = env.DATABASE_URL;
  if (url?.startsWith('postgres')) {
    return { type: 'postgres', url, entities: ENTITIES, synchronize: true };
  }
  if (url) throw new Error(`DATABASE_URL must be a postgres:// URL, got "${url}"`);
  const database = env.DATABASE_FILE ?? DEFAULT_SQLITE_FILE;
  if (database !== ':memory:') mkdirSync(dirname(database), { recursive: true });
  return { type: 'better-sqlite3', database, entities: ENTITIES, synchronize: true };
}
