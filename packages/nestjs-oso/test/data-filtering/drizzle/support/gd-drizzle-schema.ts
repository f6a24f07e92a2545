import { relations, type Table } from 'drizzle-orm';
import * as mysql from 'drizzle-orm/mysql-core';
import * as pg from 'drizzle-orm/pg-core';
import * as sqlite from 'drizzle-orm/sqlite-core';
import { drizzlePolarClasses } from '../../../../src/data-filtering/drizzle/index.js';
import { GdComment, GdDoc, GdMembership, GdOrg, GdTag, GdUser } from '../../generated/support/gd-entities.js';
import type { DrizzleKind } from './drizzle-databases.js';

/**
 * The generated differential's schema (generated/support/gd-entities.ts) in Drizzle, for each dialect, with its
 * `relations()`, the same column names (so that `seed` fills both) and the DDL that creates it.
 */
interface Dialect {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  table: (name: string, columns: any, extra?: any) => Table;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  int: (name: string) => any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  double: (name: string) => any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  text: (name: string) => any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  bool: (name: string) => any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  primaryKey: (config: { columns: any[] }) => any;
  sql: { int: string; double: string; text: string; bool: string; quote: string };
}

const DIALECTS: Record<DrizzleKind, Dialect> = {
  'better-sqlite3': {
    table: sqlite.sqliteTable,
    int: (name) => sqlite.integer(name),
    double: (name) => sqlite.real(name),
    text: (name) => sqlite.text(name),
    bool: (name) => sqlite.integer(name, { mode: 'boolean' }),
    primaryKey: sqlite.primaryKey,
    sql: { int: 'integer', double: 'real', text: 'text', bool: 'integer', quote: '"' },
  },
  postgres: {
    table: pg.pgTable,
    int: (name) => pg.integer(name),
    double: (name) => pg.doublePrecision(name),
    text: (name) => pg.varchar(name, { length: 16 }),
    bool: (name) => pg.boolean(name),
    primaryKey: pg.primaryKey,
    sql: { int: 'integer', double: 'double precision', text: 'varchar(16)', bool: 'boolean', quote: '"' },
  },
  mariadb: {
    table: mysql.mysqlTable,
    int: (name) => mysql.int(name),
    double: (name) => mysql.double(name),
    text: (name) => mysql.varchar(name, { length: 16 }),
    bool: (name) => mysql.boolean(name),
    primaryKey: mysql.primaryKey,
    sql: { int: 'int', double: 'double', text: 'varchar(16)', bool: 'boolean', quote: '`' },
  },
};

/** Column types of each table, in order: `?` marks a nullable column. */
const TABLES: Record<string, Record<string, string>> = {
  gd_user: { id: 'int', level: 'int?', name: 'text?', isAdmin: 'bool' },
  gd_org: { id: 'int', tier: 'int?', name: 'text?' },
  gd_membership: { id: 'int', userId: 'int', orgId: 'int', role: 'text' },
  gd_doc: { id: 'int', orgId: 'int', authorId: 'int', rank: 'int?', score: 'double?', code: 'text?', flag: 'bool?' },
  gd_comment: { id: 'int', docId: 'int', authorId: 'int', votes: 'int?', body: 'text?' },
  gd_tag: { id: 'int', label: 'text?', weight: 'int?' },
};

export function gdDdl(kind: DrizzleKind): string[] {
  const { sql, primaryKey: _ } = DIALECTS[kind];
  const q = (name: string) => `${sql.quote}${name}${sql.quote}`;
  const column = (name: string, type: string) =>
    `${q(name)} ${sql[type.replace('?', '') as 'int']}${type.endsWith('?') ? '' : ' NOT NULL'}${name === 'id' ? ' PRIMARY KEY' : ''}`;
  return [
    ...Object.entries(TABLES).map(
      ([table, columns]) =>
        `CREATE TABLE ${q(table)} (${Object.entries(columns)
          .map(([name, type]) => column(name, type))
          .join(', ')})`,
    ),
    `CREATE TABLE ${q('gd_doc_tag')} (${q('docId')} ${sql.int} NOT NULL, ${q('tagId')} ${sql.int} NOT NULL, PRIMARY KEY (${q('docId')}, ${q('tagId')}))`,
  ];
}

/** The Drizzle tables and relations of the schema, keyed as an app's schema module would export them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function gdSchema(kind: DrizzleKind): Record<string, any> {
  const dialect = DIALECTS[kind];
  const table = (name: string) =>
    dialect.table(
      name,
      Object.fromEntries(
        Object.entries(TABLES[name]!).map(([column, type]) => {
          // eslint-disable-next-line @typescript-eslint/no-explicit-any
          let builder: any = dialect[type.replace('?', '') as 'int'](column);
          if (!type.endsWith('?')) builder = builder.notNull();
          if (column === 'id') builder = builder.primaryKey();
          return [column, builder];
        }),
      ),
    );
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const t: Record<string, any> = {
    gdUser: table('gd_user'),
    gdOrg: table('gd_org'),
    gdMembership: table('gd_membership'),
    gdDoc: table('gd_doc'),
    gdComment: table('gd_comment'),
    gdTag: table('gd_tag'),
  };
  t.gdDocTag = dialect.table(
    'gd_doc_tag',
    { docId: dialect.int('docId').notNull(), tagId: dialect.int('tagId').notNull() },
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    (own: any) => [dialect.primaryKey({ columns: [own.docId, own.tagId] })],
  );
  return {
    ...t,
    gdDocRelations: relations(t.gdDoc, ({ one, many }) => ({
      org: one(t.gdOrg, { fields: [t.gdDoc.orgId], references: [t.gdOrg.id] }),
      author: one(t.gdUser, { fields: [t.gdDoc.authorId], references: [t.gdUser.id] }),
      comments: many(t.gdComment),
      docTags: many(t.gdDocTag),
    })),
    gdCommentRelations: relations(t.gdComment, ({ one }) => ({
      doc: one(t.gdDoc, { fields: [t.gdComment.docId], references: [t.gdDoc.id] }),
      author: one(t.gdUser, { fields: [t.gdComment.authorId], references: [t.gdUser.id] }),
    })),
    gdOrgRelations: relations(t.gdOrg, ({ many }) => ({ memberships: many(t.gdMembership) })),
    gdMembershipRelations: relations(t.gdMembership, ({ one }) => ({
      org: one(t.gdOrg, { fields: [t.gdMembership.orgId], references: [t.gdOrg.id] }),
    })),
    gdTagRelations: relations(t.gdTag, ({ many }) => ({ docTags: many(t.gdDocTag) })),
    gdDocTagRelations: relations(t.gdDocTag, ({ one }) => ({
      doc: one(t.gdDoc, { fields: [t.gdDocTag.docId], references: [t.gdDoc.id] }),
      tag: one(t.gdTag, { fields: [t.gdDocTag.tagId], references: [t.gdTag.id] }),
    })),
  };
}

/** The Polar classes of the schema: the suite's own classes, `d.tags` through the junction (and `t.docs` back). */
export function gdPolarClasses(schema: Record<string, unknown>) {
  return drizzlePolarClasses(schema, {
    classes: {
      gdUser: GdUser,
      gdOrg: GdOrg,
      gdMembership: GdMembership,
      gdDoc: GdDoc,
      gdComment: GdComment,
      gdTag: GdTag,
    },
    manyToMany: { gdDoc: { tags: { through: 'gdDocTag', from: 'doc', to: 'tag', inverse: 'docs' } } },
  });
}

/** The schema's tables by Polar name (`GdDoc`: `gdDoc`), for the adapter's `tables` option. */
export function gdTables(schema: Record<string, unknown>): Record<string, Table> {
  return Object.fromEntries(
    gdPolarClasses(schema).map(({ name }) => [name!, schema[name!.charAt(0).toLowerCase() + name!.slice(1)] as Table]),
  );
}
