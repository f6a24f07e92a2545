/**
 * The sample app's policy on TypeORM entities registered through `typeOrmPolarClasses`, so that `expense.organization`
 * and `user.memberships` are data filtering relations the engine fetches through `TypeOrmAdapter`: the family of
 * relations.e2e-spec.ts. The database (SQLite) holds a few organizations, users and memberships; the random
 * instances carry keys that match a row, match none, are null, of the wrong type or missing, and loaded relations
 * that agree with the database, contradict it (stale or forged) or are missing.
 */
import 'reflect-metadata';
import { join } from 'node:path';
import * as fc from 'fast-check';
import { Column, Entity, ManyToOne, OneToMany, PrimaryColumn, type DataSource } from 'typeorm';
import { typeOrmAdapter, typeOrmPolarClasses } from '../../../src/data-filtering/typeorm/index.js';
import { collection, field, instance, instances, MISSING, odd } from './arbitraries.js';
import type { Family } from './differential.js';

const repository = join(import.meta.dirname, '..', '..', '..', '..', '..');

@Entity('rel_organizations')
export class RelOrganization {
  @PrimaryColumn('integer') id!: number;
  @Column('varchar', { length: 100 }) name!: string;
  @OneToMany('RelMembership', 'organization') memberships!: RelMembership[];
}

@Entity('rel_users')
export class RelUser {
  @PrimaryColumn('integer') id!: number;
  @Column('varchar', { length: 100 }) name!: string;
  @OneToMany('RelMembership', 'user') memberships!: RelMembership[];
}

@Entity('rel_memberships')
export class RelMembership {
  @PrimaryColumn('integer') id!: number;
  @Column('varchar', { length: 10 }) role!: string;
  @Column('integer') userId!: number;
  @Column('integer') organizationId!: number;
  @ManyToOne('RelUser', 'memberships') user!: RelUser;
  @ManyToOne('RelOrganization', 'memberships') organization!: RelOrganization;
}

@Entity('rel_expenses')
export class RelExpense {
  @PrimaryColumn('integer') id!: number;
  @Column('integer') amount!: number;
  @Column('varchar', { length: 10 }) status!: string;
  @Column('integer') organizationId!: number;
  @Column('integer') submittedById!: number;
  @ManyToOne('RelOrganization') organization!: RelOrganization;
}

export const RELATION_ENTITIES = [RelOrganization, RelUser, RelMembership, RelExpense];

/** Organizations 1-2, users 1-4 (4 has no membership), organization 3 has none either: keys 3, 5 and 99 match nothing. */
export async function seedRelations(dataSource: DataSource): Promise<void> {
  await dataSource.getRepository(RelOrganization).insert([
    { id: 1, name: 'acme' },
    { id: 2, name: 'globex' },
  ]);
  await dataSource.getRepository(RelUser).insert([1, 2, 3, 4].map((id) => ({ id, name: `u${id}` })));
  await dataSource.getRepository(RelMembership).insert([
    { id: 1, role: 'admin', userId: 1, organizationId: 1 },
    { id: 2, role: 'member', userId: 2, organizationId: 1 },
    { id: 3, role: 'owner', userId: 3, organizationId: 2 },
    { id: 4, role: 'member', userId: 1, organizationId: 2 },
  ]);
}

/** Keys: usually a row's, sometimes none's, sometimes odd (null, '1', 1.5...) or missing. */
const key = (...rows: number[]) =>
  fc.oneof(
    { arbitrary: fc.constantFrom(...rows), weight: 10 },
    { arbitrary: fc.constantFrom(3, 5, 99), weight: 2 },
    { arbitrary: odd, weight: 1 },
    { arbitrary: fc.constant(MISSING), weight: 1 },
  );
const role = fc.constantFrom('member', 'admin', 'owner', 'x');
/** A loaded organization: the row's, or one that contradicts the database (stale or forged). */
const loadedOrganization = instances(RelOrganization, {
  id: field(fc.constantFrom(1, 2, 3)),
  name: fc.constant('acme'),
});
const loadedMembership = instances(RelMembership, {
  id: fc.constantFrom(1, 2, 3, 4, 9),
  role: field(role),
  userId: field(fc.constantFrom(1, 2, 3, 4)),
  organizationId: field(fc.constantFrom(1, 2, 3)),
});
const user = instances(RelUser, {
  id: key(1, 2, 3, 4),
  name: fc.constant('u'),
  memberships: fc.oneof(
    { arbitrary: fc.constant(MISSING), weight: 4 },
    { arbitrary: collection(loadedMembership), weight: 2 },
  ),
});
const expense = instances(RelExpense, {
  id: fc.constantFrom(1, 2),
  amount: fc.constant(100),
  status: field(fc.constantFrom('submitted', 'approved', 'rejected')),
  organizationId: key(1, 2),
  submittedById: field(fc.constantFrom(1, 2, 3, 4)),
  organization: fc.oneof(
    { arbitrary: fc.constant(MISSING), weight: 4 },
    { arbitrary: loadedOrganization, weight: 3 },
    { arbitrary: odd, weight: 1 },
  ),
});
const organization = instances(RelOrganization, { id: key(1, 2), name: fc.constant('acme') });

/** The sample app's Polar names for the `Rel` entities. */
const POLAR_NAMES = {
  RelOrganization: 'Organization',
  RelUser: 'User',
  RelMembership: 'Membership',
  RelExpense: 'Expense',
};

/** The family, on an initialized, seeded DataSource. */
export function relationFamily(dataSource: DataSource): Family {
  class Guest {}
  return {
    name: 'sample app on TypeORM relations (sample-app/policy)',
    policy: { dir: join(repository, 'sample-app', 'policy') },
    classes: [...typeOrmPolarClasses(dataSource, RELATION_ENTITIES, { names: POLAR_NAMES }), Guest],
    options: { dataFiltering: typeOrmAdapter(dataSource) },
    seed: 9019,
    actors: fc.oneof(
      { arbitrary: user, weight: 20 },
      { arbitrary: fc.constant(null).map(() => instance(Guest, { name: 'guest' })), weight: 1 },
      { arbitrary: fc.constant(null), weight: 1 },
    ),
    actions: ['read', 'update', 'approve', 'reject', 'create_expense', 'delete'],
    resources: fc.oneof({ arbitrary: expense, weight: 10 }, { arbitrary: organization, weight: 4 }),
  };
}
