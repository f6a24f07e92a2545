import type { INestApplication } from '@nestjs/common';
import { jest } from '@jest/globals';
import { OsoService } from 'nestjs-oso';
import request from 'supertest';
import { createSampleApp, TOKENS } from './create-sample-app.js';

/**
 * Which decisions of `GET /expenses/:id` the engine still makes once the app is warm. The expense and the user are
 * TypeORM entities whose `organization` and `memberships` are data filtering relations: the compiled `read`
 * predicate fetches them through the adapter with the engine's own query, so `@Authorize('read')` asks nothing of
 * the engine. The view's `authorizedFields` and `authorizedActions` list fields and actions, which only the engine
 * does (one query each).
 */
describe('engine queries of GET /expenses/:id', () => {
  let app: INestApplication;
  let oso: OsoService;
  const get = (path: string) => request(app.getHttpServer()).get(path).set('Authorization', `Bearer ${TOKENS.bob}`);
  const readExpense = () =>
    oso.compiledDecisions().find((d) => d.rule === 'allow' && d.action === 'read' && d.resource === 'Expense')!;

  beforeAll(async () => {
    app = await createSampleApp();
    oso = app.get(OsoService);
  });
  afterAll(() => app.close());

  it('decides read in the compiled predicate, following the relations, and asks the engine only for the lists', async () => {
    // Warm-up: the first decision compiles the triple.
    await get('/expenses/1').expect(200);
    const before = readExpense();
    expect(before).toMatchObject({ actor: 'User', status: 'compiled' });

    const engine = oso.engine;
    const once = jest.spyOn(engine, 'queryRuleOnce');
    const rules = jest.spyOn(engine, 'queryRule');
    try {
      for (const id of [1, 2, 3]) {
        const res = await get(`/expenses/${id}`).expect(200);
        expect(res.body.id).toBe(id);
      }
      // Bob is a member of Acme only: expense 4 (Globex) is not his to read, and the compiled predicate says so.
      await get('/expenses/4').expect(404);
      expect(once).not.toHaveBeenCalled();
      expect(rules.mock.calls.map((call) => call[0]).sort()).toEqual([
        'allow',
        'allow',
        'allow',
        'allow_field',
        'allow_field',
        'allow_field',
      ]);
    } finally {
      once.mockRestore();
      rules.mockRestore();
    }
    const after = readExpense();
    expect(after.compiledDecisions - before.compiledDecisions).toBe(4);
    expect(after.engineDecisions).toBe(before.engineDecisions);
    expect(after.handedToEngine).toEqual(before.handedToEngine);
  });
});
