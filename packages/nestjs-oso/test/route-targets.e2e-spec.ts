import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { Module, type INestApplication } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import * as fc from 'fast-check';
import { OsoModule } from '../src/index.js';
import { PLATFORMS, type Platform } from './app/create-app.js';
import { LogCollector } from './fixtures/log-collector.js';
import { DispatchRecorder, ROUTE_TARGET_CONTROLLERS, ROUTE_TARGET_HANDLERS } from './app/route-targets.controllers.js';
import { sendRaw, type RawResponse } from './app/route-targets.raw-request.js';
import { policyFixture } from './fixtures/policies.js';

/** Generated targets per router: bounded and seeded in `npm test`; a fuzz run sets `ROUTE_TARGETS_RUNS=5000` (and a seed). */
const RUNS = Number(process.env.ROUTE_TARGETS_RUNS ?? 150);
const SEED = Number(process.env.ROUTE_TARGETS_SEED ?? 20261130);

/** The policy styles of fixtures/policies/route-targets, chosen per request by the `x-policy` header. */
const STYLES = ['deny-equals', 'deny-prefix', 'allow-path', 'deny-route', 'allow-route'] as const;
type Style = (typeof STYLES)[number];

/** Canonical targets the variants are made from: every handler of the app, allowed and denied ones. */
const BASES = [
  '/',
  '/admin',
  '/admin/users/7',
  '/admin/users/8',
  '/public',
  '/public/docs/readme',
  '/public/docs/other',
];

interface Dispatch {
  handler: string;
  params: Record<string, string>;
}

/** The handler and parameters the router chose, as `DispatchRecorder` reported them; undefined if none ran. */
function dispatchOf(response: RawResponse): Dispatch | undefined {
  const header = response.headers['x-dispatch'];
  return header === undefined ? undefined : (JSON.parse(decodeURIComponent(header)) as Dispatch);
}

/** The canonical target of a dispatch: its handler's pattern with the parameters, each one encoded. */
function canonicalTargetOf({ handler, params }: Dispatch): string {
  const pattern = ROUTE_TARGET_HANDLERS[handler];
  if (pattern === undefined) throw new Error(`unknown handler ${handler}`);
  return pattern.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(params[name]!));
}

const isSuccess = (status: number) => status >= 200 && status < 300;

/** Router settings that change how paths match, besides the defaults of each platform. */
interface RouterSettings {
  /** Express: `case sensitive routing` and `strict routing`. */
  express?: { caseSensitive: boolean; strict: boolean };
  /** Fastify: `routerOptions`. */
  fastify?: {
    caseSensitive: boolean;
    ignoreTrailingSlash: boolean;
    ignoreDuplicateSlashes: boolean;
    useSemicolonDelimiter: boolean;
  };
}

/** The suite's app on a platform, listening on a port of its own so that raw targets reach it unchanged. */
async function listeningApp(
  platform: Platform,
  settings: RouterSettings = {},
): Promise<{ app: INestApplication; port: number }> {
  @Module({
    imports: [
      OsoModule.forRoot({
        policyDir: policyFixture('route-targets'),
        getActor: (context) =>
          context.switchToHttp().getRequest<{ headers: Record<string, string> }>().headers['x-policy'] ?? null,
      }),
    ],
    controllers: ROUTE_TARGET_CONTROLLERS,
    providers: [DispatchRecorder],
  })
  class RouteTargetsModule {}

  const moduleRef = await Test.createTestingModule({ imports: [RouteTargetsModule] }).compile();
  let app: INestApplication;
  if (platform === 'fastify') {
    app = moduleRef.createNestApplication<NestFastifyApplication>(
      new FastifyAdapter({ routerOptions: settings.fastify }),
    );
  } else if (settings.express) {
    // As an app sets them: on its own Express instance, since the router keeps the settings it was created with.
    const instance = createRequire(import.meta.url)('express')() as { set(name: string, value: boolean): void };
    instance.set('case sensitive routing', settings.express.caseSensitive);
    instance.set('strict routing', settings.express.strict);
    app = moduleRef.createNestApplication(new ExpressAdapter(instance));
  } else {
    app = moduleRef.createNestApplication();
  }
  app.useLogger(new LogCollector());
  await app.init();
  if (platform === 'fastify') await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
  const server = app.getHttpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { app, port: (server.address() as AddressInfo).port };
}

/** Every canonical target, under every policy style: what the policies say, on any router. */
async function checkCanonicalTargets(
  send: (method: string, target: string, style: Style) => Promise<RawResponse>,
): Promise<void> {
  const statuses: Record<string, number[]> = {};
  for (const style of STYLES)
    statuses[style] = await Promise.all(BASES.map(async (base) => (await send('GET', base, style)).status));
  // BASES: /, /admin, /admin/users/7, /admin/users/8, /public, /public/docs/readme, /public/docs/other
  expect(statuses).toEqual({
    'deny-equals': [200, 403, 403, 200, 200, 200, 200],
    'deny-prefix': [200, 403, 403, 403, 200, 200, 200],
    'allow-path': [200, 403, 403, 403, 200, 200, 403],
    'deny-route': [200, 403, 403, 403, 200, 200, 200],
    'allow-route': [403, 403, 403, 403, 403, 200, 403],
  });
}

describe.each(PLATFORMS)(
  'route policies decide every request target as its canonical form, on %s',
  (platform: Platform) => {
    let app: INestApplication;
    let port: number;
    const send = (method: string, target: string, style: Style) => sendRaw(port, method, target, { 'x-policy': style });

    beforeAll(async () => {
      ({ app, port } = await listeningApp(platform));
    });
    afterAll(() => app.close());

    it('answers the canonical targets as the policies say', () => checkCanonicalTargets(send));

    // The targets of the issue. Where the router does not serve the target (404), nothing reached the policy.
    const byPlatform = (express: number, fastify: number) => (platform === 'express' ? express : fastify);
    it.each<[string, Style, string, () => number]>([
      ['upper case (Express routes ignore case)', 'deny-equals', '/ADMIN', () => byPlatform(403, 404)],
      ['upper case in a deeper route', 'deny-equals', '/Admin/Users/7', () => byPlatform(403, 404)],
      ['a trailing slash (Express ignores it)', 'deny-equals', '/admin/', () => byPlatform(403, 404)],
      ['a fragment', 'deny-equals', '/admin#', () => 403],
      ['a fragment holding a path', 'deny-prefix', '/admin#/public', () => 403],
      ['percent-encoded letters (Fastify decodes them)', 'deny-equals', '/%61dmin', () => byPlatform(404, 403)],
      ['percent-encoded letters in a parameter route', 'deny-equals', '/admin/users/%37', () => 403],
      ['the absolute form', 'deny-equals', 'http://127.0.0.1/admin', () => 403],
      ['the absolute form against a prefix rule', 'deny-prefix', 'http://127.0.0.1/admin/users/8', () => 403],
      ['the absolute form with an upper-case scheme', 'deny-prefix', 'HTTP://127.0.0.1/admin', () => 403],
      // Express parses a target with a fragment with url.parse, which reads `\` as `/`: refused, as clients never send it.
      ['backslashes before a fragment', 'deny-equals', '/admin\\users\\7#', () => byPlatform(400, 404)],
    ])('denies %s: %s %s', async (_, style, target, expected) => {
      expect((await send('GET', target, style)).status).toBe(expected());
    });

    it.each<[string, Style, string, () => number]>([
      ['a fragment', 'allow-path', '/public#top', () => 200],
      ['the absolute form', 'allow-path', 'http://127.0.0.1/public/docs/readme?x=1', () => 200],
      ['the absolute form of the root', 'allow-path', 'http://127.0.0.1', () => 200],
      ['upper case in the static part', 'allow-path', '/PUBLIC/Docs/readme', () => byPlatform(200, 404)],
      ['percent-encoded letters', 'allow-path', '/public/docs/%72eadme', () => 200],
    ])('allows what the canonical form allows, %s: %s %s', async (_, style, target, expected) => {
      expect((await send('GET', target, style)).status).toBe(expected());
    });

    it('checks HEAD on a GET route as GET, as both platforms serve it with the GET handler', async () => {
      const [home, publicPage, admin] = await Promise.all([
        send('HEAD', '/', 'allow-path'),
        send('HEAD', '/public/docs/readme', 'allow-route'),
        send('HEAD', '/admin', 'deny-equals'),
      ]);
      expect([home.status, publicPage.status, admin.status]).toEqual([200, 200, 403]);
    });

    it('refuses dot segments, which the routers take literally and clients resolve, with 400', async () => {
      const responses = await Promise.all(
        ['/public/docs/..', '/public/docs/.', '/public/docs/%2e%2E', '/admin/users/..'].map((target) =>
          send('GET', target, 'allow-route'),
        ),
      );
      expect(responses.map((response) => [response.status, dispatchOf(response)?.handler])).toEqual([
        [400, 'PublicController.doc'],
        [400, 'PublicController.doc'],
        [400, 'PublicController.doc'],
        [400, 'AdminController.user'],
      ]);
    });

    it('decides a generated target as its canonical form: case, escapes, dots, slashes, fragments, absolute form', () =>
      checkGeneratedTargets(send));
  },
);

describe.each<[string, Platform, RouterSettings]>([
  ['Express with case-sensitive and strict routing', 'express', { express: { caseSensitive: true, strict: true } }],
  [
    'Fastify ignoring case, trailing and repeated slashes, with `;` as a delimiter',
    'fastify',
    {
      fastify: {
        caseSensitive: false,
        ignoreTrailingSlash: true,
        ignoreDuplicateSlashes: true,
        useSemicolonDelimiter: true,
      },
    },
  ],
])('route policies decide every request target as its canonical form, on %s', (_, platform, settings) => {
  let app: INestApplication;
  let port: number;
  const send = (method: string, target: string, style: Style) => sendRaw(port, method, target, { 'x-policy': style });

  beforeAll(async () => {
    ({ app, port } = await listeningApp(platform, settings));
  });
  afterAll(() => app.close());

  it('answers the canonical targets as the policies say', () => checkCanonicalTargets(send));

  it('reads the path as this router matches it', async () => {
    const statuses = await Promise.all(
      ['/ADMIN', '/admin/', '//admin', '/admin;v=1', '/Public/Docs/readme'].map(
        async (target) => (await send('GET', target, 'deny-equals')).status,
      ),
    );
    // Express here: case and trailing slash count, so those are other (missing) routes; `;` is part of the segment.
    // Fastify here: all four reach /admin, and the policy sees /admin; the doc keeps its parameter's case.
    expect(statuses).toEqual(platform === 'express' ? [404, 404, 404, 404, 404] : [403, 403, 403, 403, 200]);
  });

  it('decides a generated target as its canonical form: case, escapes, dots, slashes, fragments, absolute form', () =>
    checkGeneratedTargets(send));
});

/**
 * The property: a generated spelling of a canonical target is either served by no handler (and is not a success),
 * or decided as the canonical target of the handler and parameters the router chose (HEAD as GET).
 */
async function checkGeneratedTargets(
  send: (method: string, target: string, style: Style) => Promise<RawResponse>,
): Promise<void> {
  // Each spelling is rare, so most variants combine a few of them and many still reach a handler.
  const sometimes = <T>(arbitrary: fc.Arbitrary<T>) =>
    fc.oneof({ arbitrary: fc.constant(null), weight: 4 }, { arbitrary, weight: 1 });
  const variant = fc.record({
    base: fc.constantFrom(...BASES),
    upper: sometimes(fc.array(fc.nat(40), { minLength: 1, maxLength: 3 })),
    encode: sometimes(fc.array(fc.record({ at: fc.nat(40), upperHex: fc.boolean() }), { minLength: 1, maxLength: 3 })),
    matrix: sometimes(fc.record({ at: fc.nat(4), text: fc.constantFrom(';', ';v=1', ';jsessionid=x') })),
    dots: sometimes(
      fc.record({ at: fc.nat(4), text: fc.constantFrom('.', '..', '%2e', '%2E%2e', 'x/..', 'x/%2e%2e') }),
    ),
    doubleSlash: sometimes(fc.nat(4)),
    trailingSlash: sometimes(fc.constant(true)),
    query: sometimes(fc.constantFrom('', 'q=1', 'next=/admin')),
    fragment: sometimes(fc.constantFrom('', 'top', '/x', '?a=1', '/../admin')),
    absolute: sometimes(
      fc.constantFrom('http://127.0.0.1', 'HTTP://127.0.0.1:80', 'https://example.com', 'http://user@127.0.0.1'),
    ),
    method: fc.constantFrom('GET', 'HEAD'),
    style: fc.constantFrom(...STYLES),
  });
  const seen: number[] = [];
  const canonicalStatus = new Map<string, Promise<number>>();
  const decide = (target: string, style: Style) => {
    const key = `${style} ${target}`;
    if (!canonicalStatus.has(key))
      canonicalStatus.set(
        key,
        send('GET', target, style).then((response) => response.status),
      );
    return canonicalStatus.get(key)!;
  };

  await fc.assert(
    fc.asyncProperty(variant, async (v) => {
      const target = buildTarget(v);
      const response = await send(v.method, target, v.style);
      const dispatch = dispatchOf(response);
      seen.push(dispatch ? response.status : 0);
      if (!dispatch) {
        // No handler ran (404, or 400 from the router): nothing was decided, and nothing was served.
        expect(isSuccess(response.status)).toBe(false);
        return;
      }
      // HEAD on a GET route is served by the GET handler and decided as GET.
      expect({ target, status: response.status }).toEqual({
        target,
        status: await decide(canonicalTargetOf(dispatch), v.style),
      });
    }),
    { numRuns: RUNS, seed: SEED, endOnFailure: true },
  );
  // Not vacuous: many variants reached a handler, and some were allowed and some denied.
  const dispatched = seen.filter((status) => status !== 0);
  expect(dispatched.length).toBeGreaterThan(seen.length / 4);
  expect(dispatched.some(isSuccess) && dispatched.includes(403)).toBe(true);
}

interface Variant {
  base: string;
  upper: number[] | null;
  encode: { at: number; upperHex: boolean }[] | null;
  matrix: { at: number; text: string } | null;
  dots: { at: number; text: string } | null;
  doubleSlash: number | null;
  trailingSlash: true | null;
  query: string | null;
  fragment: string | null;
  absolute: string | null;
}

/** Rewrites a canonical path into one of its many spellings. */
function buildTarget(v: Variant): string {
  let path = v.base;
  for (const at of v.upper ?? []) path = replaceAt(path, at % path.length, (char) => char.toUpperCase());
  for (const { at, upperHex } of v.encode ?? []) {
    // Any character but the hex digits of an escape: `/` becomes %2F, which is not a separator, and the `%` of an
    // escape becomes %25 (encoded twice, which must not decode twice).
    const index = at % path.length;
    if (path.slice(Math.max(0, index - 2), index).includes('%')) continue;
    path = replaceAt(path, index, (char) => {
      const hex = char.charCodeAt(0).toString(16).padStart(2, '0');
      return `%${upperHex ? hex.toUpperCase() : hex}`;
    });
  }
  const segments = path.split('/');
  if (v.matrix) {
    const at = 1 + (v.matrix.at % Math.max(1, segments.length - 1));
    segments[at] = `${segments[at] ?? ''}${v.matrix.text}`;
  }
  if (v.dots) segments.splice(1 + (v.dots.at % segments.length), 0, v.dots.text);
  if (v.doubleSlash !== null) segments.splice(1 + (v.doubleSlash % segments.length), 0, '');
  path = segments.join('/');
  if (v.trailingSlash) path += '/';
  if (v.query !== null) path += `?${v.query}`;
  if (v.fragment !== null) path += `#${v.fragment}`;
  return v.absolute === null ? path : `${v.absolute}${path}`;
}

function replaceAt(text: string, index: number, replace: (char: string) => string): string {
  return text.slice(0, index) + replace(text.charAt(index)) + text.slice(index + 1);
}
