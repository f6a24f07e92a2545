import { describe, expect, it } from '@jest/globals';
import { relations } from 'drizzle-orm';
import { integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { DataFilteringError } from '../../errors/data-filtering.error.js';
import { drizzlePolarClasses } from './drizzle-polar-classes.js';

const orgs = sqliteTable('orgs', { id: integer('id').primaryKey(), name: text('name') });
const posts = sqliteTable('posts', { id: integer('id').primaryKey(), orgId: integer('org_id').notNull() });
const tags = sqliteTable('tags', { id: integer('id').primaryKey() });
const postTags = sqliteTable(
  'post_tags',
  { postId: integer('post_id').notNull(), tagId: integer('tag_id').notNull() },
  (own) => [primaryKey({ columns: [own.postId, own.tagId] })],
);
const schema = {
  orgs,
  posts,
  tags,
  postTags,
  orgsRelations: relations(orgs, ({ many }) => ({ posts: many(posts) })),
  postsRelations: relations(posts, ({ one }) => ({ org: one(orgs, { fields: [posts.orgId], references: [orgs.id] }) })),
  postTagsRelations: relations(postTags, ({ one }) => ({
    post: one(posts, { fields: [postTags.postId], references: [posts.id] }),
    tag: one(tags, { fields: [postTags.tagId], references: [tags.id] }),
  })),
};

class Post {}

describe('drizzlePolarClasses', () => {
  it('registers every table, with a Relation per relation (schema keys as fields) and many-to-many fields', () => {
    const registrations = drizzlePolarClasses(schema, {
      classes: { posts: Post },
      names: { orgs: 'Org' },
      manyToMany: { posts: { tags: { through: 'postTags', from: 'post', to: 'tag', inverse: 'posts' } } },
    });
    const byName = Object.fromEntries(registrations.map((r) => [r.name, r]));
    expect(Object.keys(byName).sort()).toEqual(['Org', 'Post', 'PostTags', 'Tags']);
    expect(byName['Post']!.class).toBe(Post);
    // A table without a class gets one of its own, named as Polar knows it.
    expect(byName['Tags']!.class.name).toBe('Tags');
    expect(byName['Post']!.fields).toMatchObject({
      org: { kind: 'one', otherType: 'Org', myField: 'orgId', otherField: 'id' },
      tags: { kind: 'many', otherType: 'Tags', myField: 'id', otherField: 'posts' },
    });
    expect(byName['Org']!.fields).toMatchObject({
      posts: { kind: 'many', otherType: 'Post', myField: 'id', otherField: 'orgId' },
    });
    expect(byName['Tags']!.fields).toMatchObject({
      posts: { kind: 'many', otherType: 'Post', myField: 'id', otherField: 'tags' },
    });
  });

  it('refuses options that name what the schema does not have', () => {
    expect(() => drizzlePolarClasses(schema, { classes: { nope: Post } })).toThrow(DataFilteringError);
    expect(() =>
      drizzlePolarClasses(schema, { manyToMany: { posts: { tags: { through: 'postTags', from: 'x', to: 'tag' } } } }),
    ).toThrow(/needs relations "x" and "tag"/);
  });
});
