import { relations, type Table } from 'drizzle-orm';
import { drizzlePolarClasses } from '../../../../src/data-filtering/drizzle/index.js';
import { GdComment, GdDoc, GdMembership, GdOrg, GdTag, GdUser } from '../../generated/support/gd-entities.js';
import type { DrizzleKind } from './drizzle-databases.js';
import { createTable, drizzleTable } from './drizzle-tables.js';

/**
 * The generated differential's schema (generated/support/gd-entities.ts) in Drizzle, for each dialect, with its
 * `relations()`, the same column names (so that `seed` fills both) and the DDL that creates it. Column types of each
 * table, in order (`?` marks a nullable column):
 */
const TABLES: Record<string, Record<string, string>> = {
  gd_user: { id: 'int', level: 'int?', name: 'text?', isAdmin: 'bool' },
  gd_org: { id: 'int', tier: 'int?', name: 'text?' },
  gd_membership: { id: 'int', userId: 'int', orgId: 'int', role: 'text' },
  gd_doc: { id: 'int', orgId: 'int', authorId: 'int', rank: 'int?', score: 'double?', code: 'text?', flag: 'bool?' },
  gd_comment: { id: 'int', docId: 'int', authorId: 'int', votes: 'int?', body: 'text?' },
  gd_tag: { id: 'int', label: 'text?', weight: 'int?' },
};

const JUNCTION = { docId: 'int', tagId: 'int' };
const JUNCTION_KEY = ['docId', 'tagId'];

export function gdDdl(kind: DrizzleKind): string[] {
  return [
    ...Object.entries(TABLES).map(([table, columns]) => createTable(kind, table, columns)),
    createTable(kind, 'gd_doc_tag', JUNCTION, JUNCTION_KEY),
  ];
}

/** The Drizzle tables and relations of the schema, keyed as an app's schema module would export them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function gdSchema(kind: DrizzleKind): Record<string, any> {
  const table = (name: string) => drizzleTable(kind, name, TABLES[name]!);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const t: Record<string, any> = {
    gdUser: table('gd_user'),
    gdOrg: table('gd_org'),
    gdMembership: table('gd_membership'),
    gdDoc: table('gd_doc'),
    gdComment: table('gd_comment'),
    gdTag: table('gd_tag'),
  };
  t.gdDocTag = drizzleTable(kind, 'gd_doc_tag', JUNCTION, JUNCTION_KEY);
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
