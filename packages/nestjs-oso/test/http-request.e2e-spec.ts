import type { AddressInfo } from 'node:net';
import { Controller, Get, Head, Post, Req, Res, type INestApplication } from '@nestjs/common';
import request from 'supertest';
import { Authorize, HttpRequest, OsoModule, SkipAuthorization } from '../src/index.js';
import { createTestApp, PLATFORMS, testOsoOptions } from './app/create-app.js';
import { sendRaw } from './app/route-targets.raw-request.js';

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

type HeaderSetter = { header(name: string, value: string): void };

/** Shows the `HttpRequest` of any target, also for HEAD (in a header, since HEAD answers have no body). */
@Controller('seen')
@SkipAuthorization('shows what a route policy would see')
class SeenController {
  @Head('declared/:name')
  head(@Req() req: object, @Res({ passthrough: true }) res: HeaderSetter) {
    res.header('x-http-request', encodeURIComponent(JSON.stringify(HttpRequest.from(req))));
  }

  @Get(':name')
  get(@Req() req: object, @Res({ passthrough: true }) res: HeaderSetter) {
    const seen = HttpRequest.from(req);
    res.header('x-http-request', encodeURIComponent(JSON.stringify(seen)));
    return seen;
  }
}

/** What route policies see must not depend on the platform. */
describe('HttpRequest is the same on Express and Fastify', () => {
  const seen: Record<string, unknown[]> = {};

  describe.each(PLATFORMS)('on %s', (platform) => {
    let app: INestApplication;
    let port: number;
    /** The `HttpRequest` the handler built for a raw request target, and the status. */
    const seenFor = async (method: string, target: string) => {
      const response = await sendRaw(port, method, target);
      const header = response.headers['x-http-request'];
      return {
        status: response.status,
        seen: header === undefined ? undefined : JSON.parse(decodeURIComponent(header)),
      };
    };
    beforeAll(async () => {
      app = await createTestApp(platform, {
        oso: OsoModule.forRoot(testOsoOptions()),
        controllers: [EchoController, SeenController],
        providers: [],
      });
      const server = app.getHttpServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
    });
    afterAll(() => app.close());

    it('exposes method, path without query, route pattern, params, query and headers', async () => {
      const get = await request(app.getHttpServer())
        .get('/echo/ada?flag=1&tag=x')
        .set('x-user', 'alice')
        .set('x-trace', 'abc');
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
      expect(post.body).toMatchObject({
        method: 'POST',
        route: '/echo/:name/items/:item',
        params: { name: 'ada', item: '7' },
      });
    });

    it('has the canonical path for every spelling of a target: escapes decoded, no fragment, origin-form', async () => {
      const targets = [
        '/seen/ada?x=1',
        '/seen/%61da?x=1',
        '/seen/ada?x=1#frag',
        'http://127.0.0.1/seen/ada?x=1',
        'HTTPS://h:1/seen/ada?x=1',
      ];
      const results = await Promise.all(targets.map((target) => seenFor('GET', target)));
      for (const result of results) {
        expect(result).toEqual({
          status: 200,
          seen: expect.objectContaining({
            method: 'GET',
            path: '/seen/ada',
            route: '/seen/:name',
            params: { name: 'ada' },
            query: { x: '1' },
          }),
        });
      }
    });

    it('keeps %2F, %25, %3F and %23 encoded (in upper case), since decoded they would change the segments', async () => {
      const { seen } = await seenFor('GET', '/seen/a%2fb%25c%3Fd%23e%20f');
      expect(seen).toMatchObject({ path: '/seen/a%2Fb%25c%3Fd%23e f', params: { name: 'a/b%c?d#e f' } });
    });

    it('reads case and trailing slash as the router does: Express ignores them, Fastify does not', async () => {
      const { status, seen } = await seenFor('GET', '/SEEN/Ada/');
      if (platform === 'express')
        expect({ status, path: seen.path, params: seen.params }).toEqual({
          status: 200,
          path: '/seen/Ada',
          params: { name: 'Ada' },
        });
      else expect(status).toBe(404);
    });

    it('leaves a fragment out of the query (Fastify reads it as a query string)', async () => {
      const [withQuery, withoutQuery] = await Promise.all([
        seenFor('GET', '/seen/ada?x=1#y=2'),
        seenFor('GET', '/seen/ada#y=2'),
      ]);
      expect([withQuery.seen.query, withoutQuery.seen.query]).toEqual([{ x: '1' }, {}]);
    });

    it('reads HEAD on a GET route as GET, and keeps HEAD on a route declared for HEAD', async () => {
      const [onGetRoute, onHeadRoute] = await Promise.all([
        seenFor('HEAD', '/seen/ada'),
        seenFor('HEAD', '/seen/declared/ada'),
      ]);
      expect([onGetRoute.status, onGetRoute.seen.method, onGetRoute.seen.route]).toEqual([200, 'GET', '/seen/:name']);
      expect([onHeadRoute.status, onHeadRoute.seen.method, onHeadRoute.seen.route]).toEqual([
        200,
        'HEAD',
        '/seen/declared/:name',
      ]);
    });

    it('refuses with 400 a target with no single canonical path: dot segments, bad escapes, backslashes', async () => {
      // Express reads a backslash as `/` when the target has a fragment, so `/seen\ada#` reaches `/seen/:name` there.
      // Both routers refuse a bad escape in a parameter themselves; HttpRequest would too.
      const targets = ['/seen/..', '/seen/%2E', '/seen/%C3', '/seen\\ada#'];
      const statuses = await Promise.all(targets.map(async (target) => (await sendRaw(port, 'GET', target)).status));
      expect(statuses).toEqual([400, 400, 400, platform === 'express' ? 400 : 404]);
    });
  });

  afterAll(() => {
    const strip = (entry: unknown[]) =>
      entry.map((part) => (typeof part === 'object' && part ? { ...part, headers: undefined } : part));
    expect(strip(seen.express!)).toEqual(strip(seen.fastify!));
  });
});
