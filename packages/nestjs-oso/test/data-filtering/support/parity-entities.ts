import 'reflect-metadata';
import { Column, Entity, JoinColumn, ManyToOne, OneToMany, PrimaryColumn, type DataSource } from 'typeorm';

/**
 * The fixtures of oso's data filtering parity suite (languages/js/src/filter.test.ts): bars, foos, logs and numbers,
 * and the GitClub-like organizations, repositories, issues, users and roles. Column types are explicit so that the
 * same entities work on SQLite, PostgreSQL and MariaDB.
 */
@Entity()
export class Bar {
  @PrimaryColumn('varchar', { length: 64 }) id!: string;
  @Column('boolean') isCool!: boolean;
  @Column('boolean') isStillCool!: boolean;
  @OneToMany(() => Foo, (foo) => foo.bar) foos!: Foo[];
}

@Entity()
export class Foo {
  @PrimaryColumn('varchar', { length: 64 }) id!: string;
  @Column('varchar', { length: 64 }) barId!: string;
  @Column('boolean') isFooey!: boolean;
  @ManyToOne(() => Bar, (bar) => bar.foos) @JoinColumn({ name: 'barId' }) bar!: Bar;
  @OneToMany(() => Log, (log) => log.foo) logs!: Log[];
}

@Entity()
export class Log {
  @PrimaryColumn('varchar', { length: 64 }) id!: string;
  @Column('varchar', { length: 64 }) fooId!: string;
  @Column('varchar', { length: 64 }) data!: string;
  @ManyToOne(() => Foo, (foo) => foo.logs) @JoinColumn({ name: 'fooId' }) foo!: Foo;
}

/** A composite primary key and no TypeORM relation: `Foo.numbers` is a hand-written `Relation`. */
@Entity()
export class Num {
  @PrimaryColumn('varchar', { length: 64 }) fooId!: string;
  @PrimaryColumn('int') number!: number;
}

@Entity()
export class Org {
  @PrimaryColumn('int') id!: number;
  @Column('varchar', { length: 64 }) name!: string;
  @Column('varchar', { length: 64 }) base_repo_role!: string;
  @Column('varchar', { length: 64 }) billing_address!: string;
  @OneToMany(() => Repo, (repo) => repo.org) repos!: Repo[];
  @OneToMany(() => OrgRole, (role) => role.org) roles!: OrgRole[];
}

@Entity()
export class Repo {
  @PrimaryColumn('int') id!: number;
  @Column('varchar', { length: 64 }) name!: string;
  @Column('int') orgId!: number;
  @ManyToOne(() => Org, (org) => org.repos) @JoinColumn({ name: 'orgId' }) org!: Org;
  @OneToMany(() => Issue, (issue) => issue.repo) issues!: Issue[];
  @OneToMany(() => RepoRole, (role) => role.repo) roles!: RepoRole[];
}

@Entity()
export class Issue {
  @PrimaryColumn('int') id!: number;
  @Column('varchar', { length: 64 }) title!: string;
  @Column('varchar', { length: 64, nullable: true }) subtitle!: string | null;
  @Column('int') repoId!: number;
  @ManyToOne(() => Repo, (repo) => repo.issues) @JoinColumn({ name: 'repoId' }) repo!: Repo;
}

@Entity()
export class User {
  @PrimaryColumn('int') id!: number;
  @Column('varchar', { length: 64 }) email!: string;
  @OneToMany(() => RepoRole, (role) => role.user) repoRoles!: RepoRole[];
  @OneToMany(() => OrgRole, (role) => role.user) orgRoles!: OrgRole[];
}

@Entity()
export class RepoRole {
  @PrimaryColumn('int') id!: number;
  @Column('varchar', { length: 64 }) name!: string;
  @Column('int') repoId!: number;
  @Column('int') userId!: number;
  @ManyToOne(() => User, (user) => user.repoRoles) @JoinColumn({ name: 'userId' }) user!: User;
  @ManyToOne(() => Repo, (repo) => repo.roles) @JoinColumn({ name: 'repoId' }) repo!: Repo;
}

@Entity()
export class OrgRole {
  @PrimaryColumn('int') id!: number;
  @Column('varchar', { length: 64 }) name!: string;
  @Column('int') orgId!: number;
  @Column('int') userId!: number;
  @ManyToOne(() => Org, (org) => org.roles) @JoinColumn({ name: 'orgId' }) org!: Org;
  @ManyToOne(() => User, (user) => user.orgRoles) @JoinColumn({ name: 'userId' }) user!: User;
}

export const PARITY_ENTITIES = [Bar, Foo, Log, Num, Org, Repo, Issue, User, RepoRole, OrgRole];

/** The same rows as oso's suite. */
export async function seedParity(dataSource: DataSource): Promise<void> {
  const save = <T extends object>(entity: new () => T, rows: Array<Partial<T>>) =>
    dataSource.getRepository(entity).insert(rows as never);
  await save(Bar, [
    { id: 'hello', isCool: true, isStillCool: true },
    { id: 'goodbye', isCool: true, isStillCool: false },
    { id: 'hershey', isCool: false, isStillCool: false },
  ]);
  await save(Foo, [
    { id: 'something', barId: 'hello', isFooey: false },
    { id: 'another', barId: 'hello', isFooey: true },
    { id: 'third', barId: 'hello', isFooey: true },
    { id: 'fourth', barId: 'goodbye', isFooey: true },
  ]);
  await save(Log, [
    { id: 'a', fooId: 'fourth', data: 'goodbye' },
    { id: 'b', fooId: 'another', data: 'world' },
    { id: 'c', fooId: 'third', data: 'steve' },
  ]);
  await save(Num, [
    ...[0, 1, 2].map((number) => ({ fooId: 'something', number })),
    ...[0, 1].map((number) => ({ fooId: 'another', number })),
    { fooId: 'third', number: 0 },
  ]);
  await save(Org, [
    { id: 1, name: 'apple', billing_address: 'cupertino, CA', base_repo_role: 'reader' },
    { id: 2, name: 'osohq', billing_address: 'new york, NY', base_repo_role: 'reader' },
    { id: 3, name: 'tiktok', billing_address: 'beijing, CN', base_repo_role: 'reader' },
  ]);
  await save(Repo, [
    { id: 1, name: 'pol', orgId: 2 },
    { id: 2, name: 'ios', orgId: 1 },
    { id: 3, name: 'app', orgId: 3 },
  ]);
  await save(Issue, [
    { id: 1, title: 'bug', subtitle: null, repoId: 1 },
    { id: 2, title: 'lag', subtitle: 'fix', repoId: 2 },
  ]);
  await save(User, [
    { id: 1, email: 'steve@osohq.com' },
    { id: 2, email: 'leina@osohq.com' },
    { id: 3, email: 'gabe@osohq.com' },
    { id: 4, email: 'gwen@osohq.com' },
  ]);
  await save(OrgRole, [
    { id: 1, name: 'owner', orgId: 2, userId: 2 },
    { id: 2, name: 'member', orgId: 3, userId: 3 },
  ]);
  await save(RepoRole, [
    { id: 1, name: 'writer', repoId: 2, userId: 1 },
    { id: 2, name: 'reader', repoId: 3, userId: 4 },
  ]);
}
