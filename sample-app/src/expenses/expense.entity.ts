import { Column, CreateDateColumn, Entity, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import type { Organization } from '../organizations/organization.entity.js';
import type { User } from '../users/user.entity.js';

export const EXPENSE_STATUSES = ['submitted', 'approved', 'rejected'] as const;
export type ExpenseStatus = (typeof EXPENSE_STATUSES)[number];

/** An expense a member submitted to an organization, waiting for (or past) approval. */
@Entity('expenses')
export class Expense {
  @PrimaryGeneratedColumn()
  id!: number;

  /** In cents. */
  @Column({ type: 'integer' })
  amount!: number;

  @Column({ type: 'varchar', length: 200 })
  description!: string;

  @Column({ type: 'varchar', length: 10, default: 'submitted' })
  status!: ExpenseStatus;

  /** What the approver wrote; only approvers may read it (an `allow_field` rule). */
  @Column({ type: 'varchar', length: 500, nullable: true })
  approverNotes!: string | null;

  @Column({ type: 'integer' })
  organizationId!: number;

  @Column({ type: 'integer' })
  submittedById!: number;

  @ManyToOne('Organization', { onDelete: 'CASCADE' })
  organization!: Organization;

  @ManyToOne('User', { onDelete: 'CASCADE' })
  submittedBy!: User;

  @CreateDateColumn()
  createdAt!: Date;
}
