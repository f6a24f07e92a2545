import 'reflect-metadata';
import { Column, Entity, JoinColumn, JoinTable, ManyToMany, ManyToOne, OneToMany, PrimaryColumn } from 'typeorm';

/**
 * The schema of the generated differential suite: docs in organizations, written by users, with comments, tags
 * (many-to-many through a junction table) and roles through a membership table. Every scalar column is nullable
 * where a policy may compare it with nil; tables are prefixed `gd_` so that they never meet another suite's.
 * No foreign key constraints: each case re-seeds every table in any order.
 */
@Entity('gd_user')
export class GdUser {
  @PrimaryColumn('int') id!: number;
  @Column('int', { nullable: true }) level!: number | null;
  @Column('varchar', { length: 16, nullable: true }) name!: string | null;
  @Column('boolean') isAdmin!: boolean;
}

@Entity('gd_org')
export class GdOrg {
  @PrimaryColumn('int') id!: number;
  @Column('int', { nullable: true }) tier!: number | null;
  @Column('varchar', { length: 16, nullable: true }) name!: string | null;
  @OneToMany(() => GdMembership, (membership) => membership.org) memberships!: GdMembership[];
}

@Entity('gd_membership')
export class GdMembership {
  @PrimaryColumn('int') id!: number;
  @Column('int') userId!: number;
  @Column('int') orgId!: number;
  @Column('varchar', { length: 16 }) role!: string;
  @ManyToOne(() => GdOrg, (org) => org.memberships, { createForeignKeyConstraints: false })
  @JoinColumn({ name: 'orgId' })
  org!: GdOrg;
}

@Entity('gd_doc')
export class GdDoc {
  @PrimaryColumn('int') id!: number;
  @Column('int') orgId!: number;
  @Column('int') authorId!: number;
  @Column('int', { nullable: true }) rank!: number | null;
  @Column('double precision', { nullable: true }) score!: number | null;
  @Column('varchar', { length: 16, nullable: true }) code!: string | null;
  @Column('boolean', { nullable: true }) flag!: boolean | null;
  @ManyToOne(() => GdOrg, { createForeignKeyConstraints: false }) @JoinColumn({ name: 'orgId' }) org!: GdOrg;
  @ManyToOne(() => GdUser, { createForeignKeyConstraints: false }) @JoinColumn({ name: 'authorId' }) author!: GdUser;
  @OneToMany(() => GdComment, (comment) => comment.doc) comments!: GdComment[];
  @ManyToMany(() => GdTag, (tag) => tag.docs, { createForeignKeyConstraints: false })
  @JoinTable({ name: 'gd_doc_tag', joinColumn: { name: 'docId' }, inverseJoinColumn: { name: 'tagId' } })
  tags!: GdTag[];
}

@Entity('gd_comment')
export class GdComment {
  @PrimaryColumn('int') id!: number;
  @Column('int') docId!: number;
  @Column('int') authorId!: number;
  @Column('int', { nullable: true }) votes!: number | null;
  @Column('varchar', { length: 16, nullable: true }) body!: string | null;
  @ManyToOne(() => GdDoc, (doc) => doc.comments, { createForeignKeyConstraints: false })
  @JoinColumn({ name: 'docId' })
  doc!: GdDoc;
  @ManyToOne(() => GdUser, { createForeignKeyConstraints: false }) @JoinColumn({ name: 'authorId' }) author!: GdUser;
}

@Entity('gd_tag')
export class GdTag {
  @PrimaryColumn('int') id!: number;
  @Column('varchar', { length: 16, nullable: true }) label!: string | null;
  @Column('int', { nullable: true }) weight!: number | null;
  @ManyToMany(() => GdDoc, (doc) => doc.tags) docs!: GdDoc[];
}

export const GD_ENTITIES = [GdUser, GdOrg, GdMembership, GdDoc, GdComment, GdTag];
