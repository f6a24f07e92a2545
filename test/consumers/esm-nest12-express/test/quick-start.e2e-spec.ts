import { readFileSync } from 'node:fs';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { AppModule } from '../src/app.module.js';

/** The answers the README's curl lines promise: [headers, path, status]. */
const quickStart = JSON.parse(readFileSync('quick-start.json', 'utf8')) as Array<
  [Record<string, string>, string, number]
>;

describe('the Quick start, in a Nest testing app on Express', () => {
  let app: INestApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication();
    await app.init();
  });

  afterAll(() => app.close());

  it.each(quickStart)('with headers %j, GET %s answers %i', async (headers, path, status) => {
    await request(app.getHttpServer()).get(path).set(headers).expect(status);
  });

  it('answers the health probe, which skips authorization', async () => {
    await request(app.getHttpServer()).get('/health').expect(200, { status: 'ok' });
  });
});
