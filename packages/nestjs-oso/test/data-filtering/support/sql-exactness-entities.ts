import 'reflect-metadata';
import {
  Column,
  Entity,
  JoinColumn,
  JoinTable,
  ManyToMany,
  ManyToOne,
  OneToMany,
  PrimaryColumn,
  type DataSource,
} from 'typeorm';

/**
 * Fixtures of the SQL exactness suites (issue 15): users, documents with comments (two ways into `User`), projects
 * with a lead and teams of members (a many-to-many way into `User`), and a table of typed columns for the coercion
 * checks. Tables are prefixed `sx_`; column types are explicit so that the entities work on SQLite, PostgreSQL and
 * MariaDB. Polar names drop the `Sx` prefix (`SX_NAMES`).
 */
@Entity('sx_user')
export class SxUser {
  @PrimaryColumn('int') id!: number;
  @Column('boolean') isAdmin!: boolean;
}

@Entity('sx_doc')
export class SxDoc {
  @PrimaryColumn('int') id!: number;
  @Column('int') authorId!: number;
  @Column('varchar', { length: 16, nullable: true }) code!: string | null;
  @ManyToOne(() => SxUser) @JoinColumn({ name: 'authorId' }) author!: SxUser;
  @OneToMany(() => SxComment, (comment) => comment.doc) comments!: SxComment[];
}

@Entity('sx_comment')
export class SxComment {
  @PrimaryColumn('int') id!: number;
  @Column('int') docId!: number;
  @Column('int') authorId!: number;
  @ManyToOne(() => SxDoc, (doc) => doc.comments) @JoinColumn({ name: 'docId' }) doc!: SxDoc;
  @ManyToOne(() => SxUser) @JoinColumn({ name: 'authorId' }) author!: SxUser;
}

@Entity('sx_team')
export class SxTeam {
  @PrimaryColumn('int') id!: number;
  @ManyToMany(() => SxUser) @JoinTable({ name: 'sx_team_member' }) members!: SxUser[];
}

@Entity('sx_project')
export class SxProject {
  @PrimaryColumn('int') id!: number;
  @Column('int') leadId!: number;
  @ManyToOne(() => SxUser) @JoinColumn({ name: 'leadId' }) lead!: SxUser;
  @ManyToMany(() => SxTeam) @JoinTable({ name: 'sx_project_team' }) teams!: SxTeam[];
}

/** One row per value of every kind of column a policy compares: the coercion checks of defects 2 and 3. */
@Entity('sx_item')
export class SxItem {
  @PrimaryColumn('int') id!: number;
  @Column('int') ownerId!: number;
  @Column('varchar', { length: 32 }) code!: string;
  @Column('varchar', { length: 32 }) color!: string;
  @Column('boolean') isPublic!: boolean;
  @Column('int', { nullable: true }) rank!: number | null;
  @Column('int', { nullable: true }) score!: number | null;
  @Column('double precision', { nullable: true }) ratio!: number | null;
  @Column('varchar', { length: 32, nullable: true }) label!: string | null;
  /** A nullable boolean: `i.flag` as a condition makes the engine raise on nil. */
  @Column('boolean', { nullable: true }) flag!: boolean | null;
  /** Hydrated as a string on PostgreSQL and MariaDB, as a number on SQLite. */
  @Column('bigint', { nullable: true }) big!: string | number | null;
  /** Hydrated as a string ("2.50") on PostgreSQL and MariaDB. */
  @Column('decimal', { precision: 10, scale: 2, nullable: true }) price!: string | number | null;
  /** A native uuid on PostgreSQL, a varchar elsewhere. */
  @Column('uuid', { nullable: true }) uid!: string | null;
}

export const SX_ENTITIES = [SxUser, SxDoc, SxComment, SxTeam, SxProject, SxItem];

/** Polar names: `Doc`, `User`, ... */
export const SX_NAMES = {
  names: { SxUser: 'User', SxDoc: 'Doc', SxComment: 'Comment', SxTeam: 'Team', SxProject: 'Project', SxItem: 'Item' },
};

/** The uuid of item 1, lowercase as PostgreSQL gives it. */
export const UUID = '0f8fad5b-d9cb-469f-a165-70867728950e';

/** The data: user 1 is an admin; doc 1 by user 1, docs 2 and 3 by user 2; comments on doc 2 by user 1, on doc 3 by user 2. */
export async function seedSqlExactness(dataSource: DataSource): Promise<void> {
  const users = dataSource.getRepository(SxUser);
  await users.save([
    { id: 1, isAdmin: true },
    { id: 2, isAdmin: false },
    { id: 3, isAdmin: false },
  ]);
  await dataSource.getRepository(SxDoc).save([
    { id: 1, authorId: 1, code: 'a' },
    { id: 2, authorId: 2, code: 'a' },
    { id: 3, authorId: 2, code: 'a ' },
    { id: 4, authorId: 3, code: 'a ' },
  ]);
  await dataSource.getRepository(SxComment).save([
    { id: 1, docId: 2, authorId: 1 },
    { id: 2, docId: 3, authorId: 2 },
    { id: 3, docId: 3, authorId: 3 },
  ]);
  const [u1, u2, u3] = await users.find({ order: { id: 'ASC' } });
  await dataSource.getRepository(SxTeam).save([
    { id: 1, members: [u1!] },
    { id: 2, members: [u2!, u3!] },
  ]);
  const teams = await dataSource.getRepository(SxTeam).find({ order: { id: 'ASC' } });
  await dataSource.getRepository(SxProject).save([
    { id: 1, leadId: 1, teams: [] },
    { id: 2, leadId: 2, teams: [teams[0]!] },
    { id: 3, leadId: 2, teams: [teams[1]!] },
    { id: 4, leadId: 3, teams: [] },
  ]);
  if (dataSource.options.type === 'mariadb') {
    // A case-insensitive, space-padding collation (MariaDB's default kind): comparisons must still be exact.
    await dataSource.query(
      'ALTER TABLE sx_item MODIFY color varchar(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL',
    );
    await dataSource.query(
      'ALTER TABLE sx_doc MODIFY code varchar(16) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NULL',
    );
  }
  await dataSource.getRepository(SxItem).save([
    {
      id: 1,
      ownerId: 1,
      code: '7',
      color: 'red',
      isPublic: true,
      rank: 1,
      score: 5,
      ratio: 2,
      label: 'b',
      big: 2,
      price: 2.5,
      uid: UUID,
      flag: true,
    },
    {
      id: 2,
      ownerId: 2,
      code: '2',
      color: 'red ',
      isPublic: false,
      rank: null,
      score: 3,
      ratio: null,
      label: null,
      big: null,
      price: null,
      uid: null,
      flag: null,
    },
    {
      id: 3,
      ownerId: 3,
      code: 'x',
      color: 'Red',
      isPublic: false,
      rank: 3,
      score: null,
      ratio: 2.5,
      label: 'a',
      big: 10,
      price: 2,
      uid: null,
      flag: false,
    },
    {
      id: 4,
      ownerId: 0,
      code: '',
      color: ' red',
      isPublic: true,
      rank: -1,
      score: -2,
      ratio: 0,
      label: '',
      big: -1,
      price: 0,
      uid: null,
      flag: true,
    },
    {
      id: 5,
      ownerId: 2,
      code: '2.0',
      color: 'RED',
      isPublic: false,
      rank: 0,
      score: 0,
      ratio: -0.5,
      label: ' b',
      big: 9,
      price: 10,
      uid: null,
      flag: null,
    },
  ]);
}
