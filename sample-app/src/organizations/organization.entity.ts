import { Column, Entity, OneToMany, PrimaryGeneratedColumn } from 'typeorm';
import type { Membership } from './membership.entity.js';

/** A company whose members submit expenses. */
@Entity('organizations')
export class Organization {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  @OneToMany('Membership', 'organization')
  memberships!: Membership[];
}
