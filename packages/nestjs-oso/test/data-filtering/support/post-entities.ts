import 'reflect-metadata';
import { Column, Entity, JoinColumn, JoinTable, ManyToMany, ManyToOne, PrimaryColumn, type DataSource } from 'typeorm';

/**
 * The models of django-oso's relationship tests (tests/test_app2/models.py), registered in Polar under their Django
 * names (`test_app2::Post`): users, posts with tags (many-to-many) and users who follow tags or posts.
 *
 * `Post.tags` has no inverse side, `Tag.users` / `User.tags` and `User.posts` / `Post.users` have both sides, so that
 * both ways of following a many-to-many relation are exercised.
 */
@Entity({ name: 'app2_user' })
export class User {
  @PrimaryColumn('int') id!: number;
  @Column('varchar', { length: 64 }) username!: string;
  @Column('boolean', { default: false }) is_moderator!: boolean;
  @Column('boolean', { default: false }) is_banned!: boolean;
  @ManyToMany(() => Post, (post) => post.users) @JoinTable({ name: 'app2_user_posts' }) posts!: Post[];
  @ManyToMany(() => Tag, (tag) => tag.users) tags!: Tag[];
}

@Entity({ name: 'app2_tag' })
export class Tag {
  @PrimaryColumn('int') id!: number;
  @Column('varchar', { length: 64 }) name!: string;
  @Column('int', { nullable: true }) created_by_id!: number | null;
  @ManyToOne(() => User, { nullable: true }) @JoinColumn({ name: 'created_by_id' }) created_by!: User | null;
  @ManyToMany(() => User, (user) => user.tags) @JoinTable({ name: 'app2_tag_users' }) users!: User[];
  @Column('boolean', { default: false }) is_public!: boolean;
}

@Entity({ name: 'app2_post' })
export class Post {
  @PrimaryColumn('int') id!: number;
  @Column('varchar', { length: 64 }) contents!: string;
  @Column('varchar', { length: 16, default: 'private' }) access_level!: 'public' | 'private';
  @Column('int') created_by_id!: number;
  @ManyToOne(() => User) @JoinColumn({ name: 'created_by_id' }) created_by!: User;
  @Column('boolean', { default: false }) needs_moderation!: boolean;
  @ManyToMany(() => Tag) @JoinTable({ name: 'app2_post_tags' }) tags!: Tag[];
  @ManyToMany(() => User, (user) => user.posts) users!: User[];
}

export const POST_ENTITIES = [User, Tag, Post];
export const POLAR_NAMES = { User: 'test_app2::User', Tag: 'test_app2::Tag', Post: 'test_app2::Post' };

type Row<T> = Partial<T> & { id: number };

async function insert(dataSource: DataSource, users: Array<Row<User>>, tags: Array<Row<Tag>>, posts: Array<Row<Post>>) {
  await dataSource.getRepository(User).insert(users.map(({ posts: _p, tags: _t, ...user }) => user));
  await dataSource.getRepository(Tag).insert(tags.map(({ users: _u, ...tag }) => tag));
  await dataSource.getRepository(Post).insert(posts.map(({ tags: _t, users: _u, ...post }) => post));
  const link = async <T>(entity: new () => T, rows: Array<Row<T>>, relation: 'tags' | 'users' | 'posts') => {
    for (const row of rows) {
      const related = (row as Record<string, Array<{ id: number }> | undefined>)[relation];
      if (related?.length) {
        await dataSource
          .createQueryBuilder()
          .relation(entity, relation)
          .of(row.id)
          .add(related.map((r) => r.id));
      }
    }
  };
  await link(Post, posts, 'tags');
  await link(Tag, tags, 'users');
  await link(User, users, 'posts');
}

/** django-oso's `post_fixtures`: users foo, admin (moderator) and banned, and nine posts. */
export async function seedPosts(dataSource: DataSource): Promise<void> {
  const foo = 1,
    admin = 2,
    banned = 3;
  await insert(
    dataSource,
    [
      { id: foo, username: 'foo' },
      { id: admin, username: 'admin', is_moderator: true },
      { id: banned, username: 'banned', is_banned: true },
    ],
    [],
    [
      { id: 1, contents: 'foo public post', access_level: 'public', created_by_id: foo },
      { id: 2, contents: 'foo public post 2', access_level: 'public', created_by_id: foo },
      { id: 3, contents: 'foo private post', created_by_id: foo },
      { id: 4, contents: 'foo private post 2', created_by_id: foo },
      { id: 5, contents: 'private for moderation', needs_moderation: true, created_by_id: foo },
      { id: 6, contents: 'public for moderation', access_level: 'public', needs_moderation: true, created_by_id: foo },
      { id: 7, contents: 'public admin post', access_level: 'public', needs_moderation: true, created_by_id: admin },
      { id: 8, contents: 'private admin post', needs_moderation: true, created_by_id: admin },
      { id: 9, contents: 'banned post', access_level: 'public', created_by_id: banned },
    ],
  );
}

/**
 * django-oso's `tag_fixtures` (posts 1-6, tags 1-3) and `tag_nested_fixtures` (posts 11-15, tags 11-13), in one
 * database: their ids do not overlap.
 */
export async function seedTags(dataSource: DataSource): Promise<void> {
  const user = 1,
    otherUser = 2,
    moderator = 3;
  const [eng, foo, random] = [{ id: 1 }, { id: 2 }, { id: 3 }];
  const [nestedEng, userPosts, nestedRandom] = [{ id: 11 }, { id: 12 }, { id: 13 }];
  await insert(
    dataSource,
    [
      { id: user, username: 'user' },
      { id: otherUser, username: 'other_user' },
      { id: moderator, username: 'moderator', is_moderator: true },
    ],
    [
      // Without an author in django-oso; here the moderator's, because oso's isAllowed cannot follow a nil
      // to-one relation ("Wrong number of parents: 0") and every case compares with isAllowed.
      { ...eng, name: 'eng', created_by_id: moderator },
      { ...foo, name: 'foo', created_by_id: moderator },
      { ...random, name: 'random', is_public: true, created_by_id: moderator },
      { ...nestedEng, name: 'eng', created_by_id: user },
      { ...userPosts, name: 'user_posts', created_by_id: user },
      { ...nestedRandom, name: 'random', is_public: true, created_by_id: otherUser },
    ],
    [
      { id: 1, contents: 'public post', created_by_id: user, access_level: 'public' },
      { id: 2, contents: 'private user post', created_by_id: user },
      { id: 3, contents: 'other user public', created_by_id: otherUser, access_level: 'public' },
      { id: 4, contents: 'other user private', created_by_id: otherUser },
      { id: 5, contents: 'other user random', created_by_id: otherUser, tags: [random] as Tag[] },
      { id: 6, contents: 'other user foo', created_by_id: otherUser, tags: [foo] as Tag[] },
      { id: 11, contents: 'user eng post', access_level: 'public', created_by_id: user, tags: [nestedEng] as Tag[] },
      { id: 12, contents: 'user user post', access_level: 'public', created_by_id: user, tags: [userPosts] as Tag[] },
      {
        id: 13,
        contents: 'other random post',
        access_level: 'public',
        created_by_id: otherUser,
        tags: [nestedRandom] as Tag[],
      },
      { id: 14, contents: 'not tagged post', access_level: 'public', created_by_id: user },
      {
        id: 15,
        contents: 'all tagged post',
        access_level: 'public',
        created_by_id: user,
        tags: [nestedEng, userPosts, nestedRandom] as Tag[],
      },
    ],
  );
}

/** django-oso's `tag_nested_many_many_fixtures`: tags followed by users, posts followed by users. */
export async function seedManyToMany(dataSource: DataSource): Promise<void> {
  const user = 1,
    otherUser = 2;
  const [other, eng, userPosts, random] = [{ id: 1 }, { id: 2 }, { id: 3 }, { id: 4 }];
  const followedByUser = [1, 2, 4, 5, 6].map((id) => ({ id })) as Post[];
  await insert(
    dataSource,
    [
      { id: user, username: 'user', posts: followedByUser },
      { id: otherUser, username: 'other_user', posts: [{ id: 3 }] as Post[] },
    ],
    [
      { ...other, name: 'other tag' },
      { ...eng, name: 'eng', users: [{ id: user }] as User[] },
      { ...userPosts, name: 'user_posts', users: [{ id: user }] as User[] },
      { ...random, name: 'random', is_public: true, users: [{ id: otherUser }] as User[] },
    ],
    [
      { id: 1, contents: 'user eng post', access_level: 'public', created_by_id: user, tags: [eng] as Tag[] },
      { id: 2, contents: 'user user post', access_level: 'public', created_by_id: user, tags: [userPosts] as Tag[] },
      {
        id: 3,
        contents: 'other random post',
        access_level: 'public',
        created_by_id: otherUser,
        tags: [random] as Tag[],
      },
      { id: 4, contents: 'not tagged post', access_level: 'public', created_by_id: user },
      {
        id: 5,
        contents: 'all tagged post',
        access_level: 'public',
        created_by_id: user,
        tags: [eng, userPosts, random] as Tag[],
      },
      { id: 6, contents: 'other tagged post', access_level: 'public', created_by_id: user, tags: [other] as Tag[] },
    ],
  );
}
