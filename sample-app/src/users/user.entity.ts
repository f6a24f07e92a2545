import { Column, Entity, OneToMany, PrimaryGeneratedColumn } from 'typeorm';
import type { Membership } from '../organizations/membership.entity.js';

/** Someone who signs in with a bearer token. Policies see it as `User`. */
@Entity('users')
export class User {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  /** The stand-in for real authentication: `Authorization: Bearer <token>`. */
  @Column({ type: 'varchar', length: 64, unique: true })
  token!: string;

  @OneToMany('Membership', 'user')
  memberships!: Membership[];
}

/** The actor of a request without an `Authorization` header. Policies see it as `Guest`. */
export class Guest {
  readonly name = 'guest';
}
