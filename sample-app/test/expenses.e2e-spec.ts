import type { INestApplication } from '@nestjs/common';
import { OsoService } from 'nestjs-oso';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { Expense } from '../src/expenses/expense.entity.js';
import { User } from '../src/users/user.entity.js';
import { createSampleApp, TOKENS, type DemoUser } from './create-sample-app.js';

/**
 * The expenses app over real HTTP, on its own in-memory SQLite database. Seed: Acme (1) has alice (owner), bob
 * (member) and carol (admin); Globex (2) has carol (member) and dave (admin). Expenses 1-2 are bob's at Acme,
 * 3 carol's at Acme, 4 carol's at Globex, 5 dave's at Globex.
 */
describe('the expenses sample app', () => {
  let app: INestApplication;
  const as = (user: DemoUser | undefined, method: 'get' | 'post' | 'patch', path: string) => {
    const req = request(app.getHttpServer())[method](path);
    return user ? req.set('Authorization', `Bearer ${TOKENS[user]}`) : req;
  };
  const expenseCount = () => app.get(DataSource).getRepository(Expense).count();

  beforeAll(async () => {
    app = await createSampleApp();
  });
  afterAll(() => app.close());

  describe('listing with data filtering', () => {
    it.each([
      ['bob', 1, [1, 2, 3]],
      ['alice', 1, [1, 2, 3]],
      ['carol', 2, [4, 5]],
      ['dave', 2, [4, 5]],
    ] as const)('%s sees exactly the expenses of organization %i the policy allows', async (user, orgId, ids) => {
      const res = await as(user, 'get', `/organizations/${orgId}/expenses`).expect(200);
      expect(res.body.items.map((e: { id: number }) => e.id)).toEqual(ids);
      expect(res.body.hasMore).toBe(false);
    });

    it('returns the same rows as asking the engine about every expense', async () => {
      const oso = app.get(OsoService);
      const dataSource = app.get(DataSource);
      const expenses = await dataSource.getRepository(Expense).find({ relations: { organization: true } });
      for (const name of Object.keys(TOKENS) as DemoUser[]) {
        const user = await dataSource
          .getRepository(User)
          .findOneOrFail({ where: { name }, relations: { memberships: true } });
        for (const orgId of [1, 2]) {
          const allowed: number[] = [];
          for (const expense of expenses.filter((e) => e.organizationId === orgId)) {
            if (await oso.isAllowed(user, 'read', expense)) allowed.push(expense.id);
          }
          const res = await as(name, 'get', `/organizations/${orgId}/expenses`);
          const listed = res.status === 200 ? res.body.items.map((e: { id: number }) => e.id) : [];
          expect({ name, orgId, listed }).toEqual({ name, orgId, listed: allowed });
        }
      }
    });

    it('answers 404 for an organization the actor may not read, guests included', async () => {
      await as('dave', 'get', '/organizations/1/expenses').expect(404);
      await as(undefined, 'get', '/organizations/1/expenses').expect(404);
      await as('bob', 'get', '/organizations/99/expenses').expect(404);
    });

    it('paginates', async () => {
      const first = await as('bob', 'get', '/organizations/1/expenses?pageSize=2').expect(200);
      expect(first.body).toMatchObject({ page: 1, pageSize: 2, hasMore: true });
      expect(first.body.items.map((e: { id: number }) => e.id)).toEqual([1, 2]);
      const second = await as('bob', 'get', '/organizations/1/expenses?pageSize=2&page=2').expect(200);
      expect(second.body).toMatchObject({ page: 2, hasMore: false });
      expect(second.body.items.map((e: { id: number }) => e.id)).toEqual([3]);
    });

    it('rejects a bad page size with 400', async () => {
      const res = await as('bob', 'get', '/organizations/1/expenses?pageSize=1000').expect(400);
      expect(JSON.stringify(res.body.message)).toContain('pageSize');
    });
  });

  describe('single expenses', () => {
    it('shows a member the expense without approver notes, with the actions they may take', async () => {
      const res = await as('bob', 'get', '/expenses/1').expect(200);
      expect(res.body).not.toHaveProperty('approverNotes');
      expect(res.body).toMatchObject({ id: 1, amount: 4200, status: 'submitted', actions: ['read', 'update'] });
    });

    it('shows an approver the approver notes and the approval actions', async () => {
      const res = await as('carol', 'get', '/expenses/1').expect(200);
      expect(res.body).toMatchObject({
        id: 1,
        approverNotes: 'Check the receipt',
        actions: ['approve', 'read', 'reject'],
      });
    });

    it('answers 404 to someone who may not read the expense, and for an expense that does not exist', async () => {
      await as('bob', 'get', '/expenses/4').expect(404);
      await as('bob', 'get', '/expenses/999').expect(404);
    });

    it('answers 400 for an id that is not a number', async () => {
      await as('bob', 'get', '/expenses/abc').expect(400);
    });
  });

  describe('updates and the approval flow', () => {
    it('lets the submitter edit a submitted expense, and nobody else', async () => {
      await as('bob', 'patch', '/expenses/2').send({ description: 'Team lunch (4 people)' }).expect(200);
      await as('bob', 'patch', '/expenses/3').send({ description: 'mine now' }).expect(403);
      await as('dave', 'patch', '/expenses/2').send({ description: 'x' }).expect(404);
      const res = await as('bob', 'get', '/expenses/2').expect(200);
      expect(res.body.description).toBe('Team lunch (4 people)');
    });

    it('answers 403 when a member tries to approve, 404 when an outsider does', async () => {
      await as('bob', 'post', '/expenses/1/approve').expect(403);
      await as('dave', 'post', '/expenses/1/approve').expect(404);
    });

    it('lets an admin approve once; then nobody may edit, approve or reject it', async () => {
      const res = await as('carol', 'post', '/expenses/1/approve').send({ notes: 'ok' }).expect(201);
      expect(res.body).toMatchObject({ status: 'approved', approverNotes: 'ok' });
      await as('carol', 'post', '/expenses/1/approve').expect(409);
      await as('alice', 'post', '/expenses/1/reject').expect(409);
      await as('bob', 'patch', '/expenses/1').send({ amount: 1 }).expect(403);
    });

    it('lets an admin reject', async () => {
      const res = await as('dave', 'post', '/expenses/5/reject').send({ notes: 'no receipt' }).expect(201);
      expect(res.body).toMatchObject({ status: 'rejected' });
    });
  });

  describe('creating expenses', () => {
    it('lets a member submit to their organization', async () => {
      const res = await as('bob', 'post', '/organizations/1/expenses')
        .send({ amount: 500, description: 'Coffee' })
        .expect(201);
      expect(res.body).toMatchObject({
        amount: 500,
        description: 'Coffee',
        status: 'submitted',
        actions: ['read', 'update'],
      });
    });

    it('answers 404 when submitting to an organization the actor is not in, and writes nothing', async () => {
      const before = await expenseCount();
      await as('bob', 'post', '/organizations/2/expenses').send({ amount: 500, description: 'Coffee' }).expect(404);
      expect(await expenseCount()).toBe(before);
    });

    it.each([
      [{ amount: -5, description: 'negative' }, 'amount'],
      [{ amount: 10.5, description: 'fraction' }, 'amount'],
      [{ amount: 10 }, 'description'],
      [{ amount: 10, description: '' }, 'description'],
      [{ amount: 10, description: 'x', status: 'approved' }, 'status'],
    ])('answers 400 naming the problem for %j, and writes nothing', async (body, field) => {
      const before = await expenseCount();
      const res = await as('bob', 'post', '/organizations/1/expenses').send(body).expect(400);
      expect(JSON.stringify(res.body.message)).toContain(field);
      expect(await expenseCount()).toBe(before);
    });

    it('answers 400 for a bad update and changes nothing', async () => {
      await as('carol', 'patch', '/expenses/4').send({ amount: 'lots' }).expect(400);
      const res = await as('carol', 'get', '/expenses/4').expect(200);
      expect(res.body.amount).toBe(3000);
    });
  });

  describe('authentication stand-in', () => {
    it('answers 401 for an unknown or malformed token', async () => {
      await request(app.getHttpServer()).get('/expenses/1').set('Authorization', 'Bearer nope').expect(401);
      await request(app.getHttpServer()).get('/expenses/1').set('Authorization', 'Basic Ym9i').expect(401);
    });

    it('treats a request without a token as a guest: the welcome page is open, expenses are not', async () => {
      await as(undefined, 'get', '/').expect(200);
      await as(undefined, 'get', '/expenses/1').expect(404);
    });
  });

  it('serves the health check without any authorization', async () => {
    await as(undefined, 'get', '/health').expect(200, { status: 'ok' });
  });
});
