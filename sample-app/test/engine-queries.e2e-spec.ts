import type { INestApplication } from '@nestjs/common';
import { jest } from '@jest/globals';
import { OsoService } from 'nestjs-oso';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createSampleApp, TOKENS, type DemoUser } from './create-sample-app.js';

/**
 * What the engine is asked on the sample app's common requests once the app is warm: nothing. The expense and the
 * user are TypeORM entities whose `organization` and `memberships` are data filtering relations: the compiled
 * decisions (`@Authorize('read')`, `authorize('approve')`) and the compiled listings of the view (`authorizedFields`,
 * `authorizedActions`) fetch them through the adapter with the engine's own query, and `authorizedQuery` recalls the
 * filter remembered for an actor on whom the engine's observations (memberships fetched again) answer the same.
 * Every query the engine runs is made by its WebAssembly `Polar` (`newQueryFromTerm`, `newQueryFromStr`): counted
 * there, nothing escapes the count.
 */
describe('engine queries of the common requests', () => {
  let app: INestApplication;
  let oso: OsoService;
  const as = (user: DemoUser, method: 'get' | 'post', path: string) =>
    request(app.getHttpServer())[method](path).set('Authorization', `Bearer ${TOKENS[user]}`);

  beforeAll(async () => {
    app = await createSampleApp();
    oso = app.get(OsoService);
  });
  afterAll(() => app.close());

  /** The queries the engine made while `requests` ran. */
  async function engineQueries(requests: () => Promise<unknown>): Promise<number> {
    const ffi = oso.engine.getFfi();
    const spies = [jest.spyOn(ffi, 'newQueryFromTerm'), jest.spyOn(ffi, 'newQueryFromStr')];
    try {
      await requests();
      return spies.reduce((sum, spy) => sum + spy.mock.calls.length, 0);
    } finally {
      spies.forEach((spy) => spy.mockRestore());
    }
  }

  it('GET /expenses/:id (200 and 404): every decision and listing compiled', async () => {
    // Warm-up: the first requests compile the decisions and listings.
    await as('bob', 'get', '/expenses/1').expect(200);
    await as('bob', 'get', '/expenses/4').expect(404);
    const queries = await engineQueries(async () => {
      for (const id of [1, 2, 3]) {
        const res = await as('bob', 'get', `/expenses/${id}`).expect(200);
        expect(res.body.id).toBe(id);
        expect(res.body.actions.length).toBeGreaterThan(0);
      }
      // Bob is a member of Acme only: expense 4 (Globex) is not his to read, and the compiled predicate says so.
      await as('bob', 'get', '/expenses/4').expect(404);
    });
    expect(queries).toBe(0);
    const read = oso.compiledDecisions().find((d) => d.action === 'read' && d.resource === 'Expense' && !d.field)!;
    expect(read).toMatchObject({ actor: 'User', status: 'compiled', engineDecisions: 0, handedToEngine: {} });
  });

  it('GET /organizations/:orgId/expenses: listings compiled, the SQL filter remembered', async () => {
    await as('bob', 'get', '/organizations/1/expenses').expect(200);
    const queries = await engineQueries(async () => {
      const res = await as('bob', 'get', '/organizations/1/expenses').expect(200);
      expect(res.body.items.length).toBe(3);
      await as('bob', 'get', '/organizations/2/expenses').expect(404);
    });
    expect(queries).toBe(0);
  });

  it('POST /expenses/:id/approve as an admin: decisions, listings and the UPDATE filter without the engine', async () => {
    await as('carol', 'post', '/expenses/1/approve').expect(201);
    const queries = await engineQueries(async () => {
      const res = await as('carol', 'post', '/expenses/2/approve').expect(201);
      expect(res.body).toMatchObject({ id: 2, status: 'approved' });
    });
    expect(queries).toBe(0);
  });

  it('a list fetches the organization of its rows and the memberships of its reader once, not once per row', async () => {
    await as('bob', 'get', '/organizations/1/expenses').expect(200);
    const runner = app.get(DataSource).createQueryRunner();
    const query = jest.spyOn(Object.getPrototypeOf(runner) as { query(sql: string): unknown }, 'query');
    await runner.release();
    try {
      const res = await as('bob', 'get', '/organizations/1/expenses').expect(200);
      expect(res.body.items.length).toBe(3);
      // A relation fetch selects the rows of one key, without LIMIT (the route's own look-up has one).
      const fetched = (table: string) =>
        query.mock.calls.filter(
          ([sql]) => sql.startsWith(`SELECT "${table}"."id" AS "${table}_id"`) && !sql.includes('LIMIT'),
        ).length;
      // Every row's view asks `authorizedFields` and `authorizedActions`, each reading both relations: 12 fetches of
      // each without sharing. The memberships: once for every check of the request, and three times to recall the
      // remembered filter (the engine read them three times while building it, and replay reads what it read).
      expect({ organizations: fetched('Organization'), memberships: fetched('Membership') }).toEqual({
        organizations: 1,
        memberships: 4,
      });
    } finally {
      query.mockRestore();
    }
  });

  it('another user gets a filter of his own: the engine builds it once, then it is remembered for him too', async () => {
    await as('alice', 'get', '/organizations/1/expenses').expect(200);
    const first = await engineQueries(() => as('dave', 'get', '/organizations/2/expenses'));
    const again = await engineQueries(() => as('dave', 'get', '/organizations/2/expenses'));
    expect({ first: first > 0, again }).toEqual({ first: true, again: 0 });
  });
});
