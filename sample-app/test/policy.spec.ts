import { createTestOso, type TestOso } from 'nestjs-oso/testing';
import { POLICY_DIR } from '../src/app.module.js';
import { ENTITIES } from '../src/database/database.options.js';
import { Expense } from '../src/expenses/expense.entity.js';
import { Membership, type Role } from '../src/organizations/membership.entity.js';
import { Organization } from '../src/organizations/organization.entity.js';
import { Guest, User } from '../src/users/user.entity.js';

/** The sample policy, decision by decision, without a database or HTTP: plain entity objects. */
describe('the expenses policy', () => {
  let oso: TestOso;
  const acme = Object.assign(new Organization(), { id: 1, name: 'Acme' });
  const globex = Object.assign(new Organization(), { id: 2, name: 'Globex' });
  const user = (id: number, roles: Array<[Organization, Role]>) =>
    Object.assign(new User(), {
      id,
      name: `user${id}`,
      memberships: roles.map(([org, role]) =>
        Object.assign(new Membership(), { role, organizationId: org.id, userId: id }),
      ),
    });
  const expense = (submitter: User, org: Organization, status: Expense['status'] = 'submitted') =>
    Object.assign(new Expense(), {
      id: 7,
      organization: org,
      organizationId: org.id,
      submittedById: submitter.id,
      status,
    });

  const owner = user(1, [[acme, 'owner']]);
  const member = user(2, [[acme, 'member']]);
  const admin = user(3, [[acme, 'admin']]);
  const outsider = user(4, [[globex, 'admin']]);

  beforeAll(async () => {
    oso = await createTestOso({ policyDir: POLICY_DIR, classes: [...ENTITIES, Guest] });
  });

  it('lets every role of the organization read its expenses, and nobody else', async () => {
    const submitted = expense(member, acme);
    for (const reader of [owner, member, admin]) await oso.expectAllowed(reader, 'read', submitted);
    await oso.expectDenied(outsider, 'read', submitted);
    await oso.expectDenied(new Guest(), 'read', submitted);
  });

  it('lets admins and owners approve and reject, not members', async () => {
    const submitted = expense(member, acme);
    await oso.expectActions(admin, submitted, ['approve', 'read', 'reject']);
    await oso.expectActions(owner, submitted, ['approve', 'read', 'reject']);
    await oso.expectDenied(member, 'approve', submitted);
  });

  it('lets admins decide an expense only while it waits for a decision, and still see their notes after', async () => {
    for (const status of ['approved', 'rejected'] as const) {
      const decided = expense(member, acme, status);
      await oso.expectActions(admin, decided, ['read']);
      await oso.expectActions(owner, decided, ['read']);
      expect(await oso.engine.authorizedFields(admin, 'read', decided)).toContain('approverNotes');
    }
  });

  it('lets the submitter edit only while the expense waits for a decision', async () => {
    await oso.expectActions(member, expense(member, acme), ['read', 'update']);
    await oso.expectDenied(member, 'update', expense(member, acme, 'approved'));
    await oso.expectDenied(admin, 'update', expense(member, acme));
  });

  it('lets a submitter who left the organization still read their own expense', async () => {
    await oso.expectAllowed(user(2, []), 'read', expense(member, acme));
  });

  it('lets members create expenses in their organization only', async () => {
    await oso.expectAllowed(member, 'create_expense', acme);
    await oso.expectDenied(member, 'create_expense', globex);
  });

  it('shows approver notes to approvers only', async () => {
    const submitted = expense(member, acme);
    expect(await oso.engine.authorizedFields(admin, 'read', submitted)).toContain('approverNotes');
    expect(await oso.engine.authorizedFields(member, 'read', submitted)).not.toContain('approverNotes');
  });
});
