import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { createTestApp, PLATFORMS } from './app/create-app.js';

/**
 * Per-request state lives in the request's own async context: interleaved requests never see each other's
 * authorization, even when every handler awaits before (or instead of) authorizing.
 */
describe.each(PLATFORMS)('concurrent requests on %s', (platform) => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    app = await createTestApp(platform);
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });
  afterAll(() => app.close());

  it('1,000 interleaved requests, half authorizing after awaits and half not, each get their own status', async () => {
    const cases = Array.from({ length: 1000 }, (_, i) => {
      const authorizes = i % 2 === 0;
      return {
        authorizes,
        run: request(url)
          .get(authorizes ? '/expenses/1/via-service' : '/expenses/1/forgotten')
          .set('x-user', 'bob')
          .then((res) => res.status),
      };
    });
    const statuses = await Promise.all(cases.map((c) => c.run));
    const wrong = cases.filter((c, i) => statuses[i] !== (c.authorizes ? 200 : 500));
    expect(wrong).toHaveLength(0);
    expect(statuses.filter((s) => s === 200)).toHaveLength(500);
  });
});
