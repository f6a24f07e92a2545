import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * drizzle-orm is an optional peer (issue 20, item 5): the built package's other entries never load it, and
 * `nestjs-oso/drizzle` loads neither TypeORM nor Prisma. Checked in a fresh Node process, whose module resolution
 * refuses the forbidden packages: loading one fails the import.
 */
const SCRIPT = join(import.meta.dirname, 'support', 'load-entries.mjs');

describe('drizzle-orm as an optional peer of the built package', () => {
  /** Imports `entries` by package name from the package's folder, with `forbidden` refused. */
  const load = (forbidden: string, entries: string[]) =>
    execFileSync(process.execPath, [SCRIPT, forbidden, ...entries], { encoding: 'utf8', stdio: 'pipe' });

  it('an app without Drizzle loads every other entry without it', () => {
    const entries = ['nestjs-oso', 'nestjs-oso/data-filtering', 'nestjs-oso/typeorm', 'nestjs-oso/testing'];
    expect(load('/node_modules/drizzle-orm/', entries)).toContain(`loaded ${entries.join(', ')}`);
  });

  it('nestjs-oso/drizzle loads neither TypeORM nor Prisma', () => {
    expect(load('/node_modules/(typeorm|@prisma|prisma)/', ['nestjs-oso/drizzle'])).toContain(
      'loaded nestjs-oso/drizzle',
    );
  });

  it('a forbidden package is caught: the check is not vacuous', () => {
    expect(() => load('/node_modules/drizzle-orm/', ['nestjs-oso/drizzle'])).toThrow(/loaded file:.*drizzle-orm/);
  });
});
