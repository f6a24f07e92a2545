/**
 * The sample app's own endpoints (sample-app/, in-memory SQLite through sql.js), each against `GET /health` of the same
 * process (no authorization, `@SkipAuthorization()`): `GET /expenses/:id` (`@Authorize('read')` with a resolver that
 * loads the expense, then the fields and actions the user may see) and a page of 20 expenses (data filtering in SQL,
 * then the same per row), as bob, a member of Acme, with his bearer token. One server process
 * (support/sample-app-server.ts) takes the load of each route in turn, in alternating order from round to round, and
 * each round gives one ratio per route. A load is a count of requests (about `BENCH_SECONDS` of the route's
 * throughput in the warm-up, at least one per connection) rather than a duration, so that the slow routes' figures
 * count no request cut off by the end of a run. The server CPU per request of `?pageSize=100` is read around a batch
 * of requests sent one after the other.
 *
 * `BENCH_ROUNDS`, `BENCH_SECONDS` and `BENCH_BATCH` (requests of the page of 100 per round) narrow a run.
 */
import { CONNECTIONS, PIN, pinLoadGenerator, type Sample } from './support/http-load.js';
import { fixed, median, table } from './support/report.js';
import { SampleAppServer } from './support/sample-app-load.js';

const DURATION = Number(process.env.BENCH_SECONDS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const BATCH = Number(process.env.BENCH_BATCH ?? 5);
const TOKEN = 'bob-token';

interface Route {
  name: string;
  path: string;
  /** How many items the answer lists (a page), for checking it before the load. */
  items?: number;
  /** The throughput it must keep, as a share of `/health`'s. */
  target?: number;
  /** The most server CPU per request, µs. */
  maxCpu?: number;
}

const HEALTH: Route = { name: '`GET /health` (no authorization)', path: '/health' };
const ROUTES: Route[] = [
  { name: '`GET /expenses/:id`', path: '/expenses/1', target: 0.3 },
  {
    name: 'a page of 20, `GET /organizations/:orgId/expenses`',
    path: '/organizations/1/expenses',
    items: 20,
    target: 0.15,
  },
];
const PAGE_100: Route = {
  name: '`?pageSize=100`, requests one after the other',
  path: '/organizations/1/expenses?pageSize=100',
  items: 100,
  maxCpu: 20_000,
};

pinLoadGenerator();

/** Fails unless each route answers 200 with a full page where it lists. */
async function checkAnswers(server: SampleAppServer): Promise<void> {
  for (const route of [HEALTH, ...ROUTES, PAGE_100]) {
    const { status, body } = await server.get(route.path, TOKEN);
    const items = (body as { items?: unknown[] }).items?.length;
    if (status !== 200 || (route.items !== undefined && items !== route.items))
      throw new Error(`${route.path} answered ${status} with ${items} items: ${JSON.stringify(body).slice(0, 200)}`);
  }
}

const spread = (values: number[], digits: number) =>
  `${fixed(median(values), digits)} (${fixed(Math.min(...values), digits)}-${fixed(Math.max(...values), digits)})`;

const server = await SampleAppServer.start();
const samples = new Map<Route, Sample[]>([HEALTH, ...ROUTES, PAGE_100].map((route) => [route, []]));
const ratios = new Map<Route, number[]>(ROUTES.map((route) => [route, []]));
try {
  await checkAnswers(server);
  // Warm-up, and each route's count of requests for a run of about DURATION seconds.
  const amounts = new Map<Route, number>();
  for (const route of [HEALTH, ...ROUTES]) {
    const { rps } = await server.load(route.path, TOKEN, CONNECTIONS * 2);
    amounts.set(route, Math.max(CONNECTIONS, Math.round(rps * DURATION)));
  }
  await server.load(PAGE_100.path, TOKEN, 2, 1);
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 ? [...ROUTES].reverse().concat(HEALTH) : [HEALTH, ...ROUTES];
    const measured = new Map<Route, Sample>();
    for (const route of order) measured.set(route, await server.load(route.path, TOKEN, amounts.get(route)!));
    for (const [route, sample] of measured) samples.get(route)!.push(sample);
    for (const route of ROUTES) ratios.get(route)!.push(measured.get(route)!.rps / measured.get(HEALTH)!.rps);
    samples.get(PAGE_100)!.push(await server.load(PAGE_100.path, TOKEN, BATCH, 1));
  }
  await checkAnswers(server);
} finally {
  await server.stop();
}

const row = (route: Route, ratio: string, target: string, result: string) => {
  const runs = samples.get(route)!;
  const rps = runs.map((s) => s.rps);
  return [
    route.name,
    spread(rps, rps[0]! < 100 ? 1 : 0),
    fixed(median(runs.map((s) => s.p50)), 1),
    spread(
      runs.map((s) => s.cpu),
      0,
    ),
    ratio,
    target,
    result,
  ];
};
const verdict = (met: boolean) => (met ? 'met' : 'NOT met');
const rows = [
  row(HEALTH, 'baseline', '', ''),
  ...ROUTES.map((route) => {
    const ratio = median(ratios.get(route)!);
    return row(route, spread(ratios.get(route)!, 3), `>= ${route.target}`, verdict(ratio >= route.target!));
  }),
  row(
    PAGE_100,
    '',
    `< ${PAGE_100.maxCpu! / 1000} ms server CPU`,
    verdict(median(samples.get(PAGE_100)!.map((s) => s.cpu)) < PAGE_100.maxCpu!),
  ),
];
const header = [
  'route (as bob, bearer token)',
  'requests/s, median (min-max)',
  'p50 ms',
  'server CPU µs per request, median (min-max)',
  'ratio to `/health`, median (min-max)',
  'target',
  'result',
];
console.log(
  `## Sample app (in-memory SQLite)\n\n${table(header, rows)}\n\n` +
    `${ROUNDS} rounds of about ${DURATION} s per route (at least ${CONNECTIONS} requests), ${BATCH} requests of ` +
    `the page of 100 per round, one after the other; ` +
    `${PIN ? 'server on core 0, load generator on core 1' : 'server and load generator unpinned'}.`,
);
