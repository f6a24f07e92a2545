import type { DataSource } from 'typeorm';
import { Expense } from '../expenses/expense.entity.js';
import { Membership, type Role } from '../organizations/membership.entity.js';
import { Organization } from '../organizations/organization.entity.js';
import { User } from '../users/user.entity.js';

/** The people of the demo, their tokens and roles: printed at start-up so you can try the API with curl. */
export const DEMO_USERS: Array<{ name: string; token: string; roles: Array<[string, Role]> }> = [
  { name: 'alice', token: 'alice-token', roles: [['Acme', 'owner']] },
  { name: 'bob', token: 'bob-token', roles: [['Acme', 'member']] },
  {
    name: 'carol',
    token: 'carol-token',
    roles: [
      ['Acme', 'admin'],
      ['Globex', 'member'],
    ],
  },
  { name: 'dave', token: 'dave-token', roles: [['Globex', 'admin']] },
];

const DEMO_EXPENSES: Array<{ org: string; by: string; amount: number; description: string; notes?: string }> = [
  { org: 'Acme', by: 'bob', amount: 4200, description: 'Train to the customer', notes: 'Check the receipt' },
  { org: 'Acme', by: 'bob', amount: 1250, description: 'Team lunch' },
  { org: 'Acme', by: 'carol', amount: 99900, description: 'Laptop', notes: 'Over budget' },
  { org: 'Globex', by: 'carol', amount: 3000, description: 'Conference ticket' },
  { org: 'Globex', by: 'dave', amount: 800, description: 'Taxi' },
];

/** Fills an empty database with the demo data; returns false when there was data already. */
export async function seedDemoData(dataSource: DataSource): Promise<boolean> {
  if ((await dataSource.getRepository(User).count()) > 0) return false;
  await dataSource.transaction(async (manager) => {
    const orgs = new Map<string, Organization>();
    for (const name of ['Acme', 'Globex']) orgs.set(name, await manager.save(manager.create(Organization, { name })));
    const users = new Map<string, User>();
    for (const demo of DEMO_USERS) {
      const user = await manager.save(manager.create(User, { name: demo.name, token: demo.token }));
      users.set(demo.name, user);
      for (const [org, role] of demo.roles) {
        await manager.save(manager.create(Membership, { role, userId: user.id, organizationId: orgs.get(org)!.id }));
      }
    }
    for (const demo of DEMO_EXPENSES) {
      await manager.save(
        manager.create(Expense, {
          amount: demo.amount,
          description: demo.description,
          approverNotes: demo.notes ?? null,
          organizationId: orgs.get(demo.org)!.id,
          submittedById: users.get(demo.by)!.id,
        }),
      );
    }
  });
  return true;
}
