import { Controller, Get, Post, Req, type INestApplication } from '@nestjs/common';
import request from 'supertest';
import { Authorize, HttpRequest, OsoModule } from '../src/index.js';
import { createTestApp, PLATFORMS, testOsoOptions } from './app/create-app.js';

@Controller('echo')
class EchoController {
  @Get(':name')
  @Authorize()
  get(@Req() req: object) {
    return HttpRequest.from(req);
  }

  @Post(':name/items/:item')
  @Authorize()
  post(@Req() req: object) {
    return HttpRequest.from(req);
  }
}

/** What route policies see must not depend on the platform. */
describe('HttpRequest is the same on Express and Fastify', () => {
  const seen: Record<string, unknown[]> = {};

  describe.each(PLATFORMS)('on %s', (platform) => {
    let app: INestApplication;
    beforeAll(async () => {
      app = await createTestApp(platform, {
        oso: OsoModule.forRoot(testOsoOptions()),
        controllers: [EchoController],
        providers: [],
      });
    });
    afterAll(() => app.close());

    it('exposes method, path without query, route pattern, params, query and headers', async () => {
      const get = await request(app.getHttpServer()).get('/echo/ada?flag=1&tag=x').set('x-user', 'alice').set('x-trace', 'abc');
      const post = await request(app.getHttpServer()).post('/echo/ada/items/7').set('x-user', 'alice');
      seen[platform] = [get.status, get.body, post.status, post.body];
      expect(get.status).toBe(200);
      expect(get.body).toMatchObject({
        method: 'GET',
        path: '/echo/ada',
        route: '/echo/:name',
        params: { name: 'ada' },
        query: { flag: '1', tag: 'x' },
        headers: { 'x-trace': 'abc', 'x-user': 'alice' },
      });
      expect(post.status).toBe(201);
      expect(post.body).toMatchObject({ method: 'POST', route: '/echo/:name/items/:item', params: { name: 'ada', item: '7' } });
    });
  });

  afterAll(() => {
    const strip = (entry: unknown[]) =>
      entry.map((part) => (typeof part === 'object' && part ? { ...part, headers: undefined } : part));
    expect(strip(seen.express!)).toEqual(strip(seen.fastify!));
  });
});
