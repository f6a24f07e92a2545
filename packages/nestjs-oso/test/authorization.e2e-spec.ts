import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { OsoModule } from '../src/index.js';
import { createTestApp, PLATFORMS, testOsoOptions } from './app/create-app.js';
import { LogCollector } from './fixtures/log-collector.js';

/**
 * The scenarios of flask-oso's and django-oso's documentation, on the main e2e app (actor from the `x-user`
 * header, `requireAuthorization` on) and, for route authorization, the same app with `routeAuthorization` on.
 */
describe.each(PLATFORMS)('authorization on %s', (platform) => {
  let app: INestApplication;
  const logger = new LogCollector();
  const get = (path: string, user?: string, on = app) => {
    const req = request(on.getHttpServer()).get(path);
    return user ? req.set('x-user', user) : req;
  };
  const post = (path: string, user?: string) => {
    const req = request(app.getHttpServer()).post(path);
    return user ? req.set('x-user', user) : req;
  };

  beforeAll(async () => {
    app = await createTestApp(platform, { logger });
  });
  afterAll(() => app.close());

  describe('@Authorize with a resource', () => {
    it('lets a member of the organization read its expense, loaded once by an injectable resolver', async () => {
      const res = await get('/expenses/1', 'bob').expect(200);
      expect(res.body).toEqual({ id: 1, description: 'train tickets' });
    });

    it('answers 404 when the actor may not even read the resource', async () => {
      await get('/expenses/2', 'bob').expect(404);
    });

    it('answers 403 when the actor may read the resource but not perform the action', async () => {
      await post('/expenses/1/approve', 'bob').expect(403);
    });

    it('allows the action when the policy does (an admin approves, via a resolver function)', async () => {
      const res = await post('/expenses/1/approve', 'alice').expect(201);
      expect(res.body).toEqual({ approved: 1 });
    });

    it('answers 403 instead of 404 when the route sets checkRead: false', async () => {
      await post('/expenses/2/approve-quietly', 'bob').expect(403);
      await post('/expenses/2/approve', 'bob').expect(404);
    });

    it('defaults the action to the HTTP method', async () => {
      await request(app.getHttpServer()).put('/expenses/1').set('x-user', 'bob').expect(200, { updated: 1 });
      await request(app.getHttpServer()).put('/expenses/3').set('x-user', 'bob').expect(403);
    });

    it('answers 404 when the resolver finds nothing', async () => {
      await get('/expenses/999', 'alice').expect(404);
    });

    it('answers 401 without an actor, whether or not the resource exists', async () => {
      await get('/expenses/1').expect(401);
      await get('/expenses/999').expect(401);
    });

    it('denies an actor the policy does not know', async () => {
      await get('/expenses/1', 'mallory').expect(404);
      await post('/expenses/1/approve', 'mallory').expect(404);
    });

    it('uses the actor option of the decorator over getActor', async () => {
      await get('/expenses/1/actor-option', 'carol').set('x-acting-as', 'bob').expect(200, { id: 1 });
      await get('/expenses/1/actor-option', 'bob').set('x-acting-as', 'carol').expect(404);
    });

    it('answers 500 when the resolver throws, and never runs the handler', async () => {
      const res = await get('/expenses/1/resolver-fails', 'alice').expect(500);
      expect(JSON.stringify(res.body)).not.toContain('ok');
    });
  });

  describe('engine errors fail closed', () => {
    it('answers 500 without policy text or stack when a rule fails inside the engine', async () => {
      const res = await get('/expenses/3/explode', 'alice').expect(500);
      const body = JSON.stringify(res.body);
      expect(body).not.toMatch(/secret policy text|noSuchAttribute|\.polar|at line|exploded/);
      expect(res.body.message).toBe('Authorization could not be evaluated');
      expect(logger.errors().join('\n')).toContain('noSuchAttribute');
    });
  });

  describe('OsoService in handlers and services', () => {
    it('counts an authorize() made deep in a service after awaits', async () => {
      await get('/expenses/1/via-service', 'bob').expect(200, { id: 1 });
    });

    it('maps a denial in a service to 404/401 like the decorator', async () => {
      await get('/expenses/2/via-service', 'bob').expect(404);
      await get('/expenses/2/via-service').expect(401);
    });

    it('returns the actions the policy allows on a resource', async () => {
      expect((await get('/expenses/1/actions', 'alice').expect(200)).body).toEqual({ actions: ['approve', 'read'] });
      expect((await get('/expenses/1/actions', 'bob').expect(200)).body).toEqual({ actions: ['PUT', 'read'] });
    });

    it('returns only the fields the policy allows', async () => {
      const approver = await get('/expenses/1/fields', 'alice').expect(200);
      expect(approver.body).toEqual({
        amount: 120,
        approverNotes: 'check the receipt',
        description: 'train tickets',
        id: 1,
      });
      const member = await get('/expenses/1/fields', 'bob').expect(200);
      expect(member.body).toEqual({ amount: 120, description: 'train tickets', id: 1 });
    });

    it('authorizeField answers 403 for a field the actor may not read', async () => {
      await get('/expenses/1/notes', 'alice').expect(200, { approverNotes: 'check the receipt' });
      await get('/expenses/1/notes', 'bob').expect(403);
    });

    it('skipAuthorization() in a service satisfies requireAuthorization', async () => {
      await get('/expenses/summary').expect(200, { count: 3 });
    });
  });

  describe('requireAuthorization', () => {
    it('a handler that never authorizes answers 500, sends no body and logs Controller.handler', async () => {
      const res = await get('/expenses/1/forgotten', 'alice').expect(500);
      expect(JSON.stringify(res.body)).not.toContain('receipt');
      expect(logger.errors().join('\n')).toContain('ExpensesController.forgotten completed without authorizing');
    });

    it('isAllowed() alone does not count as authorizing', async () => {
      const res = await get('/expenses/1/only-asks', 'alice').expect(500);
      expect(res.body).not.toHaveProperty('allowed');
    });

    it('passes errors the handler threw itself through unchanged', async () => {
      const res = await get('/expenses/1/bad-request', 'alice').expect(400);
      expect(res.body.message).toBe('id must be a UUID');
    });

    it('keeps unknown URLs at 404', async () => {
      await get('/no/such/route', 'alice').expect(404);
    });

    it('lets @SkipAuthorization() routes through without any check', async () => {
      await get('/health').expect(200, { status: 'ok' });
    });
  });

  describe('without routeAuthorization', () => {
    it('leaves undecorated routes to the handler, so requireAuthorization answers 500', async () => {
      await get('/private', 'alice').expect(500);
      await get('/', 'alice').expect(500);
    });

    it('still applies @Authorize() routes on HttpRequest', async () => {
      await get('/reports/2026', 'dave').expect(200, { year: '2026' });
      await get('/reports/2026', 'alice').expect(403);
    });
  });

  describe('route authorization on HttpRequest', () => {
    let routed: INestApplication;
    beforeAll(async () => {
      routed = await createTestApp(platform, {
        logger,
        oso: OsoModule.forRoot(testOsoOptions({ routeAuthorization: true })),
      });
    });
    afterAll(() => routed.close());
    it('authorizes an undecorated route by path, for guests too', async () => {
      await get('/', undefined, routed).expect(200, { hello: 'world' });
    });

    it('answers 401 to a guest and allows a user where the rule names User', async () => {
      await get('/me', undefined, routed).expect(401);
      await get('/me', 'carol', routed).expect(200, { me: 'carol' });
    });

    it('answers 403 to a user on an undecorated route no rule allows', async () => {
      await get('/private', 'alice', routed).expect(403);
    });

    it('matches the route pattern, with a handler @Authorize() over the class @Authorize("audit")', async () => {
      await get('/reports/2026', 'dave', routed).expect(200, { year: '2026' });
      await get('/reports/2026', 'alice', routed).expect(403);
    });

    it('applies a class-level @Authorize(action) to handlers without their own', async () => {
      await get('/reports', 'dave', routed).expect(200, { reports: [] });
      await get('/reports', 'alice', routed).expect(403);
    });

    it('lets a handler-level @SkipAuthorization() override a class-level @Authorize()', async () => {
      await get('/reports/public/summary', undefined, routed).expect(200, { published: true });
    });

    it('answers 500 when @AuthorizedResource() is used on a route that loads no resource', async () => {
      await get('/expenses/1/wrong-param', 'alice', routed).expect(500);
      expect(logger.errors().join('\n')).toContain('@AuthorizedResource() on ExpensesController.wrongParam');
    });
  });
});
