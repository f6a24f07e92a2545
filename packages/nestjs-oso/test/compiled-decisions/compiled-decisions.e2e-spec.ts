import { jest } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { OsoModule, OsoService } from '../../src/index.js';
import { createTestApp, PLATFORMS, testOsoOptions } from '../app/create-app.js';

const USERS = ['alice', 'bob', 'carol', 'dave', 'zed', undefined];
const REQUESTS: Array<['get' | 'post' | 'put', string]> = [
  ['get', '/expenses/1'],
  ['get', '/expenses/2'],
  ['get', '/expenses/3'],
  ['get', '/expenses/9'],
  ['post', '/expenses/1/approve'],
  ['post', '/expenses/1/approve-quietly'],
  ['put', '/expenses/1'],
  ['put', '/expenses/3'],
  ['get', '/expenses/1/via-service'],
  ['get', '/expenses/3/explode'],
  ['get', '/expenses/1/explode'],
  ['get', '/reports/2024'],
  ['get', '/reports'],
  ['get', '/'],
  ['get', '/me'],
  ['get', '/private'],
];

/** The e2e app with and without compiled decisions: the same answers to every request, on both platforms. */
describe.each(PLATFORMS)('compiled decisions in the e2e app on %s', (platform) => {
  let compiled: INestApplication;
  let engineOnly: INestApplication;

  beforeAll(async () => {
    compiled = await createTestApp(platform, { oso: OsoModule.forRoot(testOsoOptions()) });
    engineOnly = await createTestApp(platform, { oso: OsoModule.forRoot(testOsoOptions({ compile: false })) });
  });
  afterAll(() => Promise.all([compiled.close(), engineOnly.close()]));

  const send = (app: INestApplication, [method, path]: (typeof REQUESTS)[number], user: string | undefined) => {
    const call = request(app.getHttpServer())[method](path);
    return (user ? call.set('x-user', user) : call).then((res) => ({ status: res.status, body: res.body as unknown }));
  };

  it('answer every request as the engine alone does (status and body)', async () => {
    for (const user of USERS) {
      for (const call of REQUESTS) {
        const [withCompilation, withoutCompilation] = [
          await send(compiled, call, user),
          await send(engineOnly, call, user),
        ];
        expect({ user, call, ...withCompilation }).toEqual({ user, call, ...withoutCompilation });
      }
    }
  });

  it('keep compiled checks away from the engine, and say so in compiledDecisions()', async () => {
    const oso = compiled.get(OsoService);
    const queries = jest.spyOn(oso.engine, 'query');
    await request(compiled.getHttpServer()).get('/expenses/1').set('x-user', 'bob').expect(200);
    await request(compiled.getHttpServer()).post('/expenses/1/approve').set('x-user', 'alice').expect(201);
    expect(queries).not.toHaveBeenCalled();
    queries.mockRestore();
    const read = oso
      .compiledDecisions()
      .find((d) => d.actor === 'User' && d.action === 'read' && d.resource === 'Expense');
    expect(read).toMatchObject({ status: 'compiled' });
    expect(read!.compiledDecisions).toBeGreaterThan(0);
  });

  it('still answer 500 when the engine fails on a decision (a missing attribute)', async () => {
    await request(compiled.getHttpServer()).get('/expenses/3/explode').set('x-user', 'alice').expect(500);
    const explode = compiled
      .get(OsoService)
      .compiledDecisions()
      .find((d) => d.action === 'explode');
    expect(Object.keys(explode!.handedToEngine)).toEqual([
      'an attribute lookup that fails (the engine answers with an error)',
    ]);
  });
});
