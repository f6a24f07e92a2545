import type { INestApplication } from '@nestjs/common';
import { jest } from '@jest/globals';
import { OsoService } from 'nestjs-oso';
import request from 'supertest';
import { createSampleApp, TOKENS, type DemoUser } from './create-sample-app.js';

/**
 * What the engine is still asked on the sample app's common requests once the app is warm: nothing, but the
 * partial evaluation of `authorizedQuery` (data filtering builds its SQL from it on every call). The expense and the
 * user are TypeORM entities whose `organization` and `memberships` are data filtering relations: the compiled
 * decisions (`@Authorize('read')`, `authorize('approve')`) and the compiled listings of the view (`authorizedFields`,
 * `authorizedActions`) fetch them through the adapter with the engine's own query.
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

  /** Runs `requests` with spies on the engine's query entry points; the calls each received. */
  async function engineCalls(requests: () => Promise<unknown>) {
    const engine = oso.engine;
    const names = ['queryRuleOnce', 'queryRule', 'query', 'authorizedActions', 'authorizedFields'] as const;
    const spies = names.map((name) => jest.spyOn(engine, name));
    try {
      await requests();
      const calls = Object.fromEntries(names.map((name, i) => [name, spies[i]!.mock.calls]));
      // `authorizedQuery`'s partial evaluation: `queryRule` with options (`acceptExpression`) first, which calls
      // `query` with them.
      const isPartial = (call: unknown[]) =>
        call.some((arg) => (arg as { acceptExpression?: unknown } | null)?.acceptExpression === true);
      const decisions = Object.fromEntries(
        names.map((name) => [name, calls[name]!.filter((c) => !isPartial(c)).length]),
      );
      return { decisions, partialEvaluations: calls.queryRule!.filter(isPartial).length };
    } finally {
      spies.forEach((spy) => spy.mockRestore());
    }
  }
  const NONE = { queryRuleOnce: 0, queryRule: 0, query: 0, authorizedActions: 0, authorizedFields: 0 };

  it('GET /expenses/:id (200 and 404): every decision and listing compiled', async () => {
    // Warm-up: the first requests compile the decisions and listings.
    await as('bob', 'get', '/expenses/1').expect(200);
    await as('bob', 'get', '/expenses/4').expect(404);
    const counted = await engineCalls(async () => {
      for (const id of [1, 2, 3]) {
        const res = await as('bob', 'get', `/expenses/${id}`).expect(200);
        expect(res.body.id).toBe(id);
        expect(res.body.actions.length).toBeGreaterThan(0);
      }
      // Bob is a member of Acme only: expense 4 (Globex) is not his to read, and the compiled predicate says so.
      await as('bob', 'get', '/expenses/4').expect(404);
    });
    expect(counted).toEqual({ decisions: NONE, partialEvaluations: 0 });
    const read = oso.compiledDecisions().find((d) => d.action === 'read' && d.resource === 'Expense' && !d.field)!;
    expect(read).toMatchObject({ actor: 'User', status: 'compiled', engineDecisions: 0, handedToEngine: {} });
  });

  it('GET /organizations/:orgId/expenses: the listings of every row compiled, one partial evaluation for the SQL', async () => {
    await as('bob', 'get', '/organizations/1/expenses').expect(200);
    const counted = await engineCalls(async () => {
      const res = await as('bob', 'get', '/organizations/1/expenses').expect(200);
      expect(res.body.items.length).toBe(3);
      await as('bob', 'get', '/organizations/2/expenses').expect(404);
    });
    // The partial evaluation of `authorizedQuery` is made on every list (issue 19, item 4).
    expect(counted).toEqual({ decisions: NONE, partialEvaluations: 1 });
  });

  it('POST /expenses/:id/approve as an admin: decisions and listings compiled, one partial evaluation for the UPDATE', async () => {
    await as('carol', 'post', '/expenses/1/approve').expect(201);
    const counted = await engineCalls(async () => {
      const res = await as('carol', 'post', '/expenses/2/approve').expect(201);
      expect(res.body).toMatchObject({ id: 2, status: 'approved' });
    });
    // The UPDATE's WHERE is `authorizedQuery`'s, built from a partial evaluation on every write (issue 19, item 4).
    expect(counted).toEqual({ decisions: NONE, partialEvaluations: 1 });
  });
});
