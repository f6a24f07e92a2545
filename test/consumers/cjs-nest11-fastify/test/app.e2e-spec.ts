import { readFileSync } from 'node:fs';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { AppModule } from '../src/app.module';

/** The answers the README's curl lines promise: [headers, path, status]. */
const quickStart = JSON.parse(readFileSync('quick-start.json', 'utf8')) as Array<
  [Record<string, string>, string, number]
>;

describe('the Quick start, in a Nest testing app on Fastify', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter());
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(() => app.close());

  it.each(quickStart)('with headers %j, GET %s answers %i', async (headers, url, status) => {
    expect((await app.inject({ method: 'GET', url, headers })).statusCode).toBe(status);
  });

  it('answers the health probe, which skips authorization', async () => {
    const response = await app.inject({ method: 'GET', url: '/health' });
    expect([response.statusCode, response.json()]).toEqual([200, { status: 'ok' }]);
  });
});
