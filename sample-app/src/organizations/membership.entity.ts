import { Column, Entity, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import type { User } from '../users/user.entity.js';
import type { Organization } from './organization.entity.js';

/** The roles of the policy, from least to most: a member submits, an admin approves, an owner manages members. */
export const ROLES = ['member', 'admin', 'owner'] as const;
export type Role = (typeof ROLES)[number];

/** A user's role in an organization. */
@Entity('memberships')
export class Membership {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'varchar', length: 10 })
  role!: Role;

  @Column({ type: 'integer' })
  userId!: number;

  @Column({ type: 'integer' })
  organizationId!: number;

  @ManyToOne('User', 'memberships', { onDelete: 'CASCADE' })
  user!: User;

  @ManyToOne('Organization', 'memberships', { onDelete: 'CASCADE' })
  organization!: Organization;
}
