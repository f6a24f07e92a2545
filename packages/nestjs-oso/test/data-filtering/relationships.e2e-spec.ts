import type { DataSource, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { buildAuthorizedQuery, DataFilteringError } from '../../src/data-filtering/index.js';
import { describeOnEachDatabase } from './support/databases.js';
import { expectParity, osoFor } from './support/parity.js';
import {
  POLAR_NAMES,
  Post,
  POST_ENTITIES,
  seedManyToMany,
  seedPosts,
  seedTags,
  User,
} from './support/post-entities.js';

/**
 * django-oso's relationship tests (tests/test_post_relationship.py), ported: posts, their author, their tags
 * (many-to-many, through junction tables) and the users who follow tags and posts. Classes are registered under
 * their Django names (`test_app2::Post`), unlike their entity names. Each case asserts that the query, and the
 * in-memory filter over posts loaded with their relations, return exactly the posts `isAllowed` accepts, and
 * exactly the posts django-oso's test expects.
 */
const IN_MEMORY = { relations: { created_by: true, tags: { users: true, created_by: true }, users: true } };

function suite(dataSource: () => DataSource) {
  const oso = (policy: string) => osoFor(dataSource(), POST_ENTITIES, policy, { names: POLAR_NAMES });
  const user = (username: string) => dataSource().getRepository(User).findOneByOrFail({ username });
  // findBy([]) would find every post.
  const posts = async (...ids: number[]) =>
    ids.length
      ? dataSource()
          .getRepository(Post)
          .findBy(ids.map((id) => ({ id })))
      : [];
  const check = async (engine: Awaited<ReturnType<typeof oso>>, actor: unknown, action: string, expected: number[]) =>
    expectParity(engine, dataSource(), actor, action, Post, {
      expected: await posts(...expected),
      inMemory: IN_MEMORY,
    });
  return { oso, user, posts, check };
}

describeOnEachDatabase(
  'django-oso post relationships',
  POST_ENTITIES,
  (dataSource) => {
    const { oso, user, check } = suite(dataSource);

    it('filters on attributes, with string actors (authorize_model_basic)', async () => {
      const engine = await oso(`
        allow(u, "read", post: test_app2::Post) if u in ["admin", "user"] and post.access_level = "public";
        allow("user", "write", post: test_app2::Post) if post.access_level = "private";
        allow("admin", "read", _post: test_app2::Post);
        allow("moderator", "read", post: test_app2::Post) if
          (post.access_level = "private" or post.access_level = "public") and
          post.needs_moderation = true;`);
      await check(engine, 'user', 'read', [1, 2, 6, 7, 9]);
      await check(engine, 'user', 'write', [3, 4, 5, 8]);
      await check(engine, 'admin', 'read', [1, 2, 3, 4, 5, 6, 7, 8, 9]);
      await check(engine, 'moderator', 'read', [5, 6, 7, 8]);
      await check(engine, 'guest', 'read', []);
    });

    it('compares the author relation with the actor, through patterns and dictionaries (scalar_attribute_eq)', async () => {
      const engine = await oso(`
        allow(actor: test_app2::User, "read", _: test_app2::Post{created_by: actor, access_level: "private"});
        allow(_: test_app2::User, "read", post) if post matches test_app2::Post{access_level: "public"};
        allow(_: test_app2::User{is_moderator: true}, "read", post: test_app2::Post) if
          post matches {access_level: "public"};`);
      await check(engine, await user('foo'), 'read', [1, 2, 3, 4, 5, 6, 7, 9]);
    });

    it('follows the author relation for its attributes (scalar_attribute_condition)', async () => {
      const engine = await oso(`
        allow(actor: test_app2::User, "read", post: test_app2::Post) if
          post.created_by.is_banned = false and
          post.created_by = actor and
          post.access_level = "private";
        allow(_actor: test_app2::User, "read", post: test_app2::Post) if
          post.created_by.is_banned = false and
          post.access_level = "public";
        allow(actor: test_app2::User, "read", post: test_app2::Post) if
          actor.is_moderator = true and
          post.created_by.is_banned = true;`);
      await check(engine, await user('foo'), 'read', [1, 2, 3, 4, 5, 6, 7]);
      await check(engine, await user('admin'), 'read', [1, 2, 6, 7, 8, 9]);
    });
  },
  seedPosts,
);

describeOnEachDatabase(
  'django-oso tag relationships',
  POST_ENTITIES,
  (dataSource) => {
    const { oso, user, check } = suite(dataSource);

    it('looks posts up through their tags, or-ed with attribute rules (in_multiple_attribute_relationship)', async () => {
      const engine = await oso(`
        allow(_: test_app2::User, "read", post: test_app2::Post) if post.access_level = "public";
        allow(user: test_app2::User, "read", post: test_app2::Post) if post.access_level = "private" and post.created_by = user;
        allow(_: test_app2::User, "read", post: test_app2::Post) if
          tag in post.tags and 0 < tag.id and (tag.is_public = true or tag.name = "foo");`);
      await check(engine, await user('user'), 'read', [1, 2, 3, 5, 6, 11, 12, 13, 14, 15]);
    });

    it('follows a many-to-many then a many-to-one relation (nested_relationship_many_single)', async () => {
      const engine = await oso(`
        allow(user: test_app2::User, "read", post: test_app2::Post) if tag in post.tags and tag.created_by = user;`);
      await check(engine, await user('user'), 'read', [11, 12, 15]);
      await check(engine, await user('other_user'), 'read', [13, 15]);
      await check(engine, await user('moderator'), 'read', [5, 6]);
    });
  },
  seedTags,
);

describeOnEachDatabase(
  'django-oso many-to-many relationships',
  POST_ENTITIES,
  (dataSource) => {
    const { oso, user, check } = suite(dataSource);

    it('follows two many-to-many relations (nested_relationship_many_many)', async () => {
      const engine = await oso(`
        allow(user: test_app2::User, "read", post: test_app2::Post) if tag in post.tags and user in tag.users;`);
      await check(engine, await user('user'), 'read', [1, 2, 5]);
      await check(engine, await user('other_user'), 'read', [3, 5]);
    });

    it('finds the post in a many-to-many collection of the actor (partial_in_collection)', async () => {
      const engine = await oso('allow(user: test_app2::User, "read", post: test_app2::Post) if post in user.posts;');
      await check(engine, await user('user'), 'read', [1, 2, 4, 5, 6]);
      await check(engine, await user('other_user'), 'read', [3]);
    });

    it('returns each post once when a many-to-many rule and another rule both match (many_many_with_other_condition)', async () => {
      const engine = await oso(`
        allow(_: test_app2::User, "read", post: test_app2::Post) if tag in post.tags and tag.name = "eng";
        allow(_: test_app2::User, "read", post: test_app2::Post) if post.access_level = "public";`);
      await check(engine, await user('user'), 'read', [1, 2, 3, 4, 5, 6]);
    });

    it('turns "some tag exists" into an existence check (empty_constraints_in)', async () => {
      const engine = await oso('allow(_: test_app2::User, "read", post: test_app2::Post) if _tag in post.tags;');
      await check(engine, await user('user'), 'read', [1, 2, 3, 5, 6]);
    });

    it('returns nothing when no tag matches (in_with_constraints_but_no_matching_objects)', async () => {
      const engine = await oso(`
        allow(_: test_app2::User, "read", post: test_app2::Post) if tag in post.tags and tag.name = "bloop";`);
      await check(engine, await user('user'), 'read', []);
    });

    it('follows the inverse side of a many-to-many relation (reverse_many_relationship)', async () => {
      // django-oso's rule also says `post.users matches test_app2::User`, which only a Django manager satisfies:
      // for oso's isAllowed, a list is not a User.
      const engine = await oso('allow(actor, _, post: test_app2::Post) if actor in post.users;');
      await check(engine, await user('user'), 'read', [1, 2, 4, 5, 6]);
    });

    it('refuses, with a clear error, a rule that reaches users twice (in_intersection)', async () => {
      const engine = await oso(
        'allow(_, _, post: test_app2::Post) if u in post.users and t in post.tags and u in t.users;',
      );
      const attempt = buildAuthorizedQuery(engine, await user('user'), 'read', Post);
      await expect(attempt).rejects.toThrow(DataFilteringError);
      await expect(attempt).rejects.toThrow(/test_app2::Post.*test_app2::User` occurs more than once/s);
    });

    it('refuses, with the rule in the message, two tags constrained differently (redundant_in_on_same_field)', async () => {
      const engine = await oso(`
        allow(_, "read", post: test_app2::Post) if
          tag1 in post.tags and tag2 in post.tags and tag1.name = "random" and tag2.is_public = true;`);
      await expect(buildAuthorizedQuery(engine, await user('user'), 'read', Post)).rejects.toThrow(
        /"resource matches test_app2::Post\{\} and tag1 in resource\.tags and tag2 in resource\.tags.*" constrains two elements/,
      );
    });

    it('aliases the query by the Polar name, so that it can still be chained', async () => {
      const engine = await oso(
        'allow(user: test_app2::User, "read", post: test_app2::Post) if tag in post.tags and user in tag.users;',
      );
      const query = await buildAuthorizedQuery<SelectQueryBuilder<ObjectLiteral>>(
        engine,
        await user('user'),
        'read',
        Post,
      );
      expect(query.alias).toBe('test_app2__Post');
      const ids = (
        await query.andWhere('test_app2__Post.id > :min', { min: 1 }).orderBy('test_app2__Post.id', 'DESC').getMany()
      ).map((p) => p.id);
      expect(ids).toEqual([5, 2]);
    });
  },
  seedManyToMany,
);
