import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createRequire } from 'node:module';
import { relations } from 'drizzle-orm';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { MySqlDialect, int as myInt, mysqlTable, varchar as myVarchar } from 'drizzle-orm/mysql-core';
import { integer as pgInteger, PgDialect, pgTable, varchar as pgVarchar } from 'drizzle-orm/pg-core';
import { integer, numeric, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { Oso } from '../../engine/oso-library.js';
import { DataFilteringError } from '../../errors/data-filtering.error.js';
import { buildAuthorizedFilter } from '../authorized-filter.js';
import { DrizzleConditionCompiler } from './drizzle-condition.compiler.js';
import { drizzlePolarClasses } from './drizzle-polar-classes.js';
import { drizzleAdapter } from './drizzle.adapter.js';

const owners = sqliteTable('dc_owner', { id: integer('id').primaryKey(), name: text('name').notNull() });
const docs = sqliteTable('dc_doc', {
  id: integer('id').primaryKey(),
  ownerId: integer('owner_id').notNull(),
  status: text('status').notNull(),
  rank: integer('rank'),
  price: numeric('price'),
});
const schema = {
  owners,
  docs,
  docsRelations: relations(docs, ({ one }) => ({
    owner: one(owners, { fields: [docs.ownerId], references: [owners.id] }),
  })),
};

class Owner {
  id!: number;
  name!: string;
}

// better-sqlite3 12 on Node 20, 13 on Node 22+ (see test/data-filtering/support/databases.ts).
const Database = createRequire(import.meta.url)(
  Number(process.versions.node.split('.')[0]) >= 22 ? 'better-sqlite3-13' : 'better-sqlite3',
);
let client: { exec(sql: string): void; close(): void };
let db: BetterSQLite3Database<typeof schema>;
beforeAll(() => {
  client = new Database(':memory:');
  client.exec(`CREATE TABLE dc_owner (id integer PRIMARY KEY, name text NOT NULL);
    CREATE TABLE dc_doc (id integer PRIMARY KEY, owner_id integer NOT NULL, status text NOT NULL, rank integer, price numeric);
    INSERT INTO dc_owner VALUES (1, 'ann'), (2, 'bo');
    INSERT INTO dc_doc VALUES (1, 1, 'open', 1, 2.5), (2, 2, 'open', NULL, NULL), (3, 1, 'closed', 5, 1), (4, 2, 'open ', 2, 3);`);
  db = drizzle({ client: client as never, schema });
});
afterAll(() => client.close());

/** The ids the compiled condition selects for `actor` and `action` under `policy`. */
async function compiled(policy: string, actor: unknown, action: string): Promise<number[]> {
  const oso = new Oso();
  const registrations = drizzlePolarClasses(schema, { classes: { owners: Owner } });
  for (const { class: cls, name, fields } of registrations) oso.registerClass(cls, { name, fields });
  oso.loadStr(policy);
  const filter = await buildAuthorizedFilter(oso, actor, action, 'Docs');
  const { table, where } = new DrizzleConditionCompiler(filter).compile();
  const rows = await db.select().from(table).where(where);
  return rows.map((row) => (row as { id: number }).id).sort();
}

describe('the Drizzle condition compiler', () => {
  it('compiles conditions on the resource into one condition, strings compared exactly', async () => {
    expect(await compiled('allow(a, "read", d: Docs) if d.ownerId = a and d.status = "open";', 1, 'read')).toEqual([1]);
    expect(await compiled('allow(_, "read", d: Docs) if d.status = "open";', 0, 'read')).toEqual([1, 2]);
  });

  it('ORs the ways to be allowed, keeping nil as Polar does (nil != 2, nil < 2)', async () => {
    const policy = 'allow(a, "read", d: Docs) if d.ownerId = a; allow(_, "read", d: Docs) if d.rank = nil;';
    expect(await compiled(policy, 2, 'read')).toEqual([2, 4]);
    expect(await compiled('allow(_, "read", d: Docs) if d.rank != 2;', 0, 'read')).toEqual([1, 2, 3]);
    expect(await compiled('allow(_, "read", d: Docs) if d.rank < 2;', 0, 'read')).toEqual([1, 2]);
  });

  it('follows a relation from relations() with an exists subquery', async () => {
    expect(await compiled('allow(_, "read", d: Docs) if d.owner.name = "ann";', 0, 'read')).toEqual([1, 3]);
  });

  it('compares a related row with an object as the engine does (lodash isEqual): the class and every column', async () => {
    const policy =
      'allow(o: Owner, "read", d: Docs) if d.owner = o; allow(o: Owner, "other", d: Docs) if d.owner != o;';
    const ann = Object.assign(new Owner(), { id: 1, name: 'ann' });
    expect(await compiled(policy, ann, 'read')).toEqual([1, 3]);
    expect(await compiled(policy, ann, 'other')).toEqual([2, 4]);
    // The same key with another name, a missing column, an extra property: no row is that object.
    for (const other of [
      Object.assign(new Owner(), { id: 1, name: 'Ann' }),
      Object.assign(new Owner(), { id: 1 }),
      Object.assign(new Owner(), { id: 1, name: 'ann', extra: true }),
      Object.assign(new Owner(), { id: 1, name: 'ann', [Symbol('tag')]: 1 }),
    ]) {
      expect(await compiled(policy, other, 'read')).toEqual([]);
      expect(await compiled(policy, other, 'other')).toEqual([1, 2, 3, 4]);
    }
  });

  it('runs the select through the adapter (any Drizzle database type-checks), rows as instances of the class', async () => {
    const oso = new Oso();
    for (const { class: cls, name, fields } of drizzlePolarClasses(schema, { classes: { owners: Owner } })) {
      oso.registerClass(cls, { name, fields });
    }
    oso.loadStr('allow(_, "read", o: Owner) if o.name = "bo";');
    const adapter = drizzleAdapter(db);
    const rows = await adapter.executeQuery(adapter.buildQuery(await buildAuthorizedFilter(oso, 0, 'read', Owner)));
    expect(rows).toEqual([Object.assign(new Owner(), { id: 2, name: 'bo' })]);
    expect(rows[0]).toBeInstanceOf(Owner);
    await expect(adapter.executeQuery({})).rejects.toThrow(DataFilteringError);
  });

  it('selects no row when nothing is allowed, and every row when a rule has no condition', async () => {
    expect(await compiled('allow(_, "read", _d: Docs) if false;', 1, 'read')).toEqual([]);
    expect(await compiled('allow(_, "read", _d: Docs);', 1, 'read')).toEqual([1, 2, 3, 4]);
  });

  it('refuses what SQL cannot compare as Polar does, naming the condition', async () => {
    const typed = compiled('allow(_, "read", d: Docs) if d.status > 3;', 1, 'read');
    await expect(typed).rejects.toThrow(DataFilteringError);
    await expect(typed).rejects.toThrow(/Docs on the condition Docs\.status > 3/);
    // A numeric column reaches the engine as the driver spells it.
    await expect(compiled('allow(_, "read", d: Docs) if d.price = 1;', 1, 'read')).rejects.toThrow(/Docs\.price = 1/);
  });

  it('compares strings by code point on PostgreSQL and byte for byte on MySQL, whatever the collation', async () => {
    const pgDocs = pgTable('docs', { id: pgInteger('id').primaryKey(), status: pgVarchar('status').notNull() });
    const myDocs = mysqlTable('docs', {
      id: myInt('id').primaryKey(),
      status: myVarchar('status', { length: 9 }).notNull(),
    });
    const render = async (table: object, dialect: PgDialect | MySqlDialect) => {
      const oso = new Oso();
      for (const { class: cls, name, fields } of drizzlePolarClasses({ docs: table })) {
        oso.registerClass(cls, { name, fields });
      }
      oso.loadStr('allow(_, "read", d: Docs) if d.status = "a" and d.status < "b";');
      const { where } = new DrizzleConditionCompiler(await buildAuthorizedFilter(oso, 0, 'read', 'Docs')).compile();
      return dialect.sqlToQuery(where).sql;
    };
    // The engine gives the two conditions in either order.
    const pg = await render(pgDocs, new PgDialect());
    expect(pg).toMatch(/"docs"\."status" = \$\d/);
    expect(pg).toMatch(/"docs"\."status" < \$\d collate "C"/);
    const my = await render(myDocs, new MySqlDialect());
    expect(my).toContain('(`docs`.`status` = ? and cast(`docs`.`status` as binary) = cast(? as binary))');
    expect(my).toContain('(cast(`docs`.`status` as binary) < cast(? as binary))');
  });
});
