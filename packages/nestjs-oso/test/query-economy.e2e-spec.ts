import { jest } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { OsoModule, OsoService } from '../src/index.js';
import { createTestApp, PLATFORMS, testOsoOptions } from './app/create-app.js';

/**
 * The engine is the cost of every check (about 0.5 ms), so a request never asks it the same question twice. The
 * counts are read off the real engine: every query goes through its `query`.
 */
describe.each(PLATFORMS)('engine queries per request on %s', (platform) => {
  let app: INestApplication;
  let queries: { mock: { calls: unknown[] }; mockClear(): void };

  const countQueries = async (path: string, user: string, status: number) => {
    queries.mockClear();
    await request(app.getHttpServer()).get(path).set('x-user', user).expect(status);
    return queries.mock.calls.length;
  };

  beforeAll(async () => {
    // Compiled decisions never reach the engine (see compiled-decisions.e2e-spec.ts); these counts are the engine's own.
    app = await createTestApp(platform, { oso: OsoModule.forRoot(testOsoOptions({ compile: false })) });
    queries = jest.spyOn(app.get(OsoService).engine, 'query');
  });
  afterAll(() => app.close());

  it('asks once when the decorator and then the handler and a service check the same decision', async () => {
    expect(await countQueries('/expenses/1/read-twice', 'bob', 200)).toBe(1);
  });

  it('asks once for the same check in a loop', async () => {
    expect(await countQueries('/expenses/1/check-in-a-loop', 'bob', 200)).toBe(1);
  });

  it('never remembers a decision across requests', async () => {
    expect(await countQueries('/expenses/1/check-in-a-loop', 'bob', 200)).toBe(1);
    expect(await countQueries('/expenses/1/check-in-a-loop', 'bob', 200)).toBe(1);
  });

  it('answers several actions on one resource from one authorizedActions query', async () => {
    queries.mockClear();
    const res = await request(app.getHttpServer())
      .get('/expenses/1/actions-then-checks')
      .set('x-user', 'alice')
      .expect(200);
    expect(res.body).toEqual({ actions: ['approve', 'read'], canApprove: true, canEdit: false });
    expect(queries.mock.calls.length).toBe(1);
  });

  it('on a deny, asks about read only for 404-vs-403, and not when the denied action is read itself', async () => {
    queries.mockClear();
    await request(app.getHttpServer()).post('/expenses/1/approve-quietly').set('x-user', 'bob').expect(403);
    expect(queries.mock.calls.length).toBe(1); // checkRead: false
    queries.mockClear();
    await request(app.getHttpServer()).post('/expenses/1/approve').set('x-user', 'bob').expect(403);
    expect(queries.mock.calls.length).toBe(2); // approve denied, read asked for 404-vs-403
    expect(await countQueries('/expenses/2', 'bob', 404)).toBe(1); // read denied: that is the answer
  });
});

/**
 * Without requireAuthorization, OsoModule installs no interceptor and so carries no state into handlers (see
 * request-pipeline.e2e-spec.ts): each check of the route itself is still asked once, but a handler that checks again
 * what the route check decided asks again (in microseconds when the decision is compiled).
 */
describe.each(PLATFORMS)('engine queries per request without requireAuthorization on %s', (platform) => {
  let app: INestApplication;
  let queries: { mock: { calls: unknown[] }; mockClear(): void };

  beforeAll(async () => {
    app = await createTestApp(platform, {
      oso: OsoModule.forRoot(testOsoOptions({ compile: false, requireAuthorization: false })),
    });
    queries = jest.spyOn(app.get(OsoService).engine, 'query');
  });
  afterAll(() => app.close());

  it('asks the route check once, then the handler’s own checks again', async () => {
    queries.mockClear();
    await request(app.getHttpServer()).get('/expenses/1/read-twice').set('x-user', 'bob').expect(200);
    // The decorator's check, then the handler's and its service's: no request context joins them.
    expect(queries.mock.calls.length).toBe(3);
  });

  it('on a deny, still asks about read only for 404-vs-403', async () => {
    queries.mockClear();
    await request(app.getHttpServer()).post('/expenses/1/approve').set('x-user', 'bob').expect(403);
    expect(queries.mock.calls.length).toBe(2);
    queries.mockClear();
    await request(app.getHttpServer()).get('/expenses/2').set('x-user', 'bob').expect(404);
    expect(queries.mock.calls.length).toBe(1);
  });
});
