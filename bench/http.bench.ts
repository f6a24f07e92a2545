/**
 * Throughput and latency of a route authorized each way, on Express and on Fastify, against 127.0.0.1 only, with
 * compiled decisions (the default) and on the engine alone (`compile: false`). Each app runs in its own process.
 *
 * A shared machine's speed drifts by 10-30% from one second to the next, so runs made one after the other do not
 * compare. The ratios come from side-by-side runs instead: the variant's server and a reference server (by default
 * the app without nestjs-oso, in a process that never loads oso) share one core and are loaded at the same time, so
 * the scheduler gives each half of that core through the same seconds, and their throughputs compare as their costs
 * per request. "no authorization" against the reference shows how far the method itself can be trusted.
 *
 * Three rows take another reference, to split the cost of the compiled route check from what any Nest guard costs:
 * the same route against a no-op guard of the plain app, and against the skipped route of a second copy of the
 * nestjs-oso app (which already runs the global guard); the route with a resource against a plain guard that only
 * loads the resource and hands it to the handler.
 *
 * One row is another library's: the NestJS docs' CASL recipe (support/casl-ability.ts) on the route of `@Authorize`
 * with a resource, in an app without nestjs-oso, the peer that route must stay ahead of.
 *
 * `BENCH_VARIANTS=<regular expression>` runs only the matching rows (with `BENCH_PLATFORMS=express`, say) for a quick
 * look; the committed results come from the full run.
 */
import { CONNECTIONS, load, PIN, pinLoadGenerator, Server, type Sample } from './support/http-load.js';
import { fixed, median, table } from './support/report.js';

const DURATION = Number(process.env.BENCH_SECONDS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);

/** What a variant is measured against, side by side: a route of an app, served by a process of its own. */
interface Reference {
  name: string;
  app: string;
  path: string;
}

const NO_AUTHORIZATION: Reference = { name: 'no authorization', app: 'plain', path: '/plain/none/1' };
const NO_OP_GUARD: Reference = { name: 'no-op guard', app: 'plain', path: '/plain/noop-guard/1' };
const SKIPPED: Reference = { name: 'route skipped, nestjs-oso app', app: 'oso', path: '/oso/skipped/1' };
/** The least any guard that loads the resource does (no nestjs-oso): the floor of `@Authorize` with a resource. */
const LOADING_GUARD: Reference = {
  name: 'a guard that loads the resource (no nestjs-oso)',
  app: 'plain',
  path: '/plain/loading-guard/1',
};

interface Variant {
  name: string;
  app: string;
  path: string;
  /** The reference of its ratio; `NO_AUTHORIZATION` when not given. */
  against?: Reference;
  /** Pairs of processes (the variant's and its reference's) it is measured on; 1 when not given. */
  pairs?: number;
}

const TARGET_VARIANT = 'OsoGuard route authorization, compiled';
const RESOURCE_VARIANT = '@Authorize with a resolved resource, compiled';
/** The NestJS docs' CASL recipe (support/casl-ability.ts) on the same route, in an app without nestjs-oso. */
const CASL_VARIANT = 'CASL PoliciesGuard (NestJS docs recipe) with a loaded resource';
/** The throughput `@Authorize` with a resource must keep, on both platforms, ahead of CASL's. */
const RESOURCE_TARGET = 0.9;
/**
 * Pairs of processes for the rows of that target. Two processes of the same code differ by a few percent for their
 * whole life (what V8 compiled when, where the heap landed): five pairs of "@Authorize with a resource" against
 * "no authorization" measured from 0.85 to 0.88 on Fastify and from 0.78 to 0.90 on Express, so these rows take the
 * median over several pairs.
 */
const RESOURCE_PAIRS = Number(process.env.BENCH_RESOURCE_PAIRS ?? 3);
const REQUIRE_VARIANT = `${TARGET_VARIANT}, requireAuthorization on`;
/** The throughput the compiled route check must keep with `requireAuthorization` on. */
const REQUIRE_TARGETS: Record<string, number> = { express: 0.9, fastify: 0.8 };
const INTERCEPTOR_FLOOR = 'no-op global interceptor (no nestjs-oso)';
const STORAGE_FLOOR = 'AsyncLocalStorage entered for each request (no nestjs-oso)';
const REQUIRE_WITH_STORAGE = `${REQUIRE_VARIANT}, once the process uses AsyncLocalStorage`;

const ALL_VARIANTS: Variant[] = [
  { name: NO_AUTHORIZATION.name, app: 'plain', path: NO_AUTHORIZATION.path },
  { name: NO_OP_GUARD.name, app: 'plain', path: NO_OP_GUARD.path },
  { name: INTERCEPTOR_FLOOR, app: 'interceptor', path: '/plain/none/1' },
  { name: STORAGE_FLOOR, app: 'plain-als', path: '/plain/none/1' },
  {
    name: 'no authorization, nestjs-oso loaded but OsoModule not imported',
    app: 'plain-oso-loaded',
    path: '/plain/none/1',
  },
  { name: 'nestjs-oso installed, route skipped', app: 'oso', path: '/oso/skipped/1' },
  { name: TARGET_VARIANT, app: 'oso', path: '/oso/route' },
  { name: 'OsoGuard route authorization, engine only', app: 'oso-engine', path: '/oso/route' },
  { name: LOADING_GUARD.name, app: 'plain', path: LOADING_GUARD.path, pairs: RESOURCE_PAIRS },
  { name: RESOURCE_VARIANT, app: 'oso', path: '/oso/decorator/1', pairs: RESOURCE_PAIRS },
  { name: CASL_VARIANT, app: 'casl', path: '/casl/decorator/1', pairs: RESOURCE_PAIRS },
  { name: '@Authorize with a resolved resource, engine only', app: 'oso-engine', path: '/oso/decorator/1' },
  { name: 'OsoService.authorize in the handler, compiled', app: 'oso', path: '/oso/service/1' },
  { name: 'OsoService.authorize in the handler, engine only', app: 'oso-engine', path: '/oso/service/1' },
  { name: REQUIRE_VARIANT, app: 'oso-require', path: '/oso/route' },
  { name: REQUIRE_WITH_STORAGE, app: 'oso-require-als', path: '/oso/route' },
  {
    name: 'OsoService.authorize in the handler, compiled, requireAuthorization on',
    app: 'oso-require',
    path: '/oso/service/1',
  },
  { name: `${TARGET_VARIANT}, against a no-op guard`, app: 'oso', path: '/oso/route', against: NO_OP_GUARD },
  { name: `${TARGET_VARIANT}, against the skipped route`, app: 'oso', path: '/oso/route', against: SKIPPED },
  {
    name: `${RESOURCE_VARIANT}, against ${LOADING_GUARD.name}`,
    app: 'oso',
    path: '/oso/decorator/1',
    against: LOADING_GUARD,
    pairs: RESOURCE_PAIRS,
  },
];

/** `BENCH_VARIANTS`, a regular expression, keeps the variants whose names match it (for a quick look at a few rows). */
const VARIANTS = ALL_VARIANTS.filter((variant) => new RegExp(process.env.BENCH_VARIANTS ?? '').test(variant.name));

/** The throughput the compiled route check must keep, as a share of the same route without authorization. */
const TARGETS: Record<string, number> = { express: 0.95, fastify: 0.8 };

pinLoadGenerator();

async function benchPlatform(platform: string): Promise<string> {
  // One route per process: a process that serves several routes runs Nest's and the platform's code on several
  // shapes of objects, which slows all of them. And a pair of processes per row, the variant's and its reference's,
  // loaded and left idle in the same seconds: against one reference shared by every row, and so never idle, the
  // reference's own route measured 0.66 (Express) and 0.81 (Fastify).
  const routeOf = (route: { app: string; path: string }) => `${route.app} ${route.path}`;
  const referenceOf = (variant: Variant) => variant.against ?? NO_AUTHORIZATION;
  const pairsOf = (variant: Variant) => [...Array(variant.pairs ?? 1).keys()];
  // Each variant's pairs of processes: `servers[i]` is measured side by side with `references[i]`.
  const servers = new Map<string, Server[]>();
  const references = new Map<string, Server[]>();
  for (const variant of VARIANTS) {
    servers.set(variant.name, []);
    references.set(variant.name, []);
    for (const _pair of pairsOf(variant)) {
      servers.get(variant.name)!.push(await Server.start(platform, variant.app));
      references.get(variant.name)!.push(await Server.start(platform, referenceOf(variant).app));
    }
  }
  const run = (variant: Variant, duration: number, pair = 0) =>
    load(servers.get(variant.name)![pair]!, variant.path, duration);
  const runReference = (variant: Variant, duration: number, pair = 0) =>
    load(references.get(variant.name)![pair]!, referenceOf(variant).path, duration);
  // Rows that only change the reference share the route's runs alone.
  const routes = [...new Map(VARIANTS.map((variant) => [routeOf(variant), variant])).values()];
  const alone = new Map<string, Sample[]>(routes.map((variant) => [routeOf(variant), []]));
  /** Each pair's ratios (one pair for most rows); a row's ratio is the median of all of them. */
  const pairRatios = new Map<string, number[][]>(VARIANTS.map((v) => [v.name, pairsOf(v).map(() => [])]));
  const coreUse: number[] = [];
  try {
    for (const variant of VARIANTS) {
      for (const pair of pairsOf(variant)) await Promise.all([run(variant, 1, pair), runReference(variant, 1, pair)]); // warm-up
    }
    // Side by side first: both servers share core 0 and get equal shares of it, so their throughputs compare as their
    // costs per request do, over the same seconds. (Runs alone in between would leave the variant's process warmer
    // than the reference's, by up to 40% on Fastify.)
    for (let round = 0; round < ROUNDS; round++) {
      for (const variant of round % 2 ? [...VARIANTS].reverse() : VARIANTS) {
        for (const pair of pairsOf(variant)) {
          const [measured, base] =
            round % 2
              ? await Promise.all([run(variant, DURATION, pair), runReference(variant, DURATION, pair)])
              : (await Promise.all([runReference(variant, DURATION, pair), run(variant, DURATION, pair)])).reverse();
          pairRatios.get(variant.name)![pair]!.push(measured!.rps / base!.rps);
          coreUse.push(measured!.cpuShare + base!.cpuShare);
        }
      }
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const variant of round % 2 ? [...routes].reverse() : routes)
        alone.get(routeOf(variant))!.push(await run(variant, DURATION));
    }
  } finally {
    for (const server of [...references.values(), ...servers.values()].flat()) await server.stop();
  }
  const ratios = new Map([...pairRatios].map(([name, pairs]) => [name, pairs.flat()]));
  const rows = VARIANTS.map((variant) => {
    const runs = alone.get(routeOf(variant))!;
    return [
      variant.name,
      fixed(median(runs.map((s) => s.rps)), 0),
      fixed(median(runs.map((s) => s.p50)), 1),
      fixed(median(runs.map((s) => s.p99)), 1),
      fixed(median(runs.map((s) => s.cpu)), 1),
      referenceOf(variant).name,
      fixed(median(ratios.get(variant.name)!), 3),
    ];
  });
  const header = [
    'variant',
    'requests/s (alone)',
    'p50 ms',
    'p99 ms',
    'server CPU µs per request',
    'side by side with',
    'throughput ratio',
  ];
  const ratio = (name: string) => (ratios.has(name) ? fixed(median(ratios.get(name)!), 3) : 'not measured');
  /** The median of each pair of a row, lowest first: how far pairs of processes of the same code differ. */
  const perPair = (name: string) =>
    (pairRatios.get(name) ?? [])
      .map(median)
      .sort((a, b) => a - b)
      .map((value) => fixed(value, 3))
      .join(', ');
  const target = TARGETS[platform];
  const guarded = median(ratios.get(TARGET_VARIANT) ?? []);
  const targetLine =
    target === undefined || !ratios.has(TARGET_VARIANT)
      ? ''
      : `\n\nTarget: "${TARGET_VARIANT}" at or above ${target} of "${NO_AUTHORIZATION.name}": ${fixed(guarded, 3)}, ` +
        `${guarded >= target ? 'met' : 'NOT met'}. For comparison, a no-op Nest guard without nestjs-oso: ` +
        `${ratio(NO_OP_GUARD.name)}; the compiled route check side by side with that no-op guard: ` +
        `${ratio(`${TARGET_VARIANT}, against a no-op guard`)}, and with the skipped route of the nestjs-oso app: ` +
        `${ratio(`${TARGET_VARIANT}, against the skipped route`)}. Core 0 was ${fixed(100 * median(coreUse), 0)}% busy ` +
        `during the side-by-side runs (median), so the ratios compare costs per request; "${NO_AUTHORIZATION.name}" ` +
        `against the reference, the same app in another process, shows the method's own spread.`;
  const resource = median(ratios.get(RESOURCE_VARIANT) ?? []);
  const casl = median(ratios.get(CASL_VARIANT) ?? []);
  const resourceLine = !ratios.has(RESOURCE_VARIANT)
    ? ''
    : `\n\nTarget: "${RESOURCE_VARIANT}" at or above ${RESOURCE_TARGET} of "${NO_AUTHORIZATION.name}": ` +
      `${fixed(resource, 3)}, ${resource >= RESOURCE_TARGET ? 'met' : 'NOT met'}` +
      (ratios.has(CASL_VARIANT)
        ? `; against "${CASL_VARIANT}" (${fixed(casl, 3)}): ${resource > casl ? 'ahead' : 'NOT ahead'}.`
        : '.') +
      ` The floor of any guard that loads the resource: ${ratio(LOADING_GUARD.name)}; the route side by side with ` +
      `that guard: ${ratio(`${RESOURCE_VARIANT}, against ${LOADING_GUARD.name}`)}. Each of these rows is the median ` +
      `of ${RESOURCE_PAIRS} pairs of processes x ${ROUNDS} rounds; the pairs' own medians: the route ` +
      `${perPair(RESOURCE_VARIANT)}; CASL ${perPair(CASL_VARIANT)}; the floor ${perPair(LOADING_GUARD.name)}.`;
  const requireTarget = REQUIRE_TARGETS[platform];
  const required = median(ratios.get(REQUIRE_VARIANT) ?? []);
  const requireLine =
    requireTarget === undefined || !ratios.has(REQUIRE_VARIANT)
      ? ''
      : `\n\nTarget: "${REQUIRE_VARIANT}" at or above ${requireTarget} of "${NO_AUTHORIZATION.name}": ` +
        `${fixed(required, 3)}, ${required >= requireTarget ? 'met' : 'NOT met'}. The floors of other designs: ` +
        `a no-op global interceptor ${ratio(INTERCEPTOR_FLOOR)}, AsyncLocalStorage entered for each request ` +
        `${ratio(STORAGE_FLOOR)}; the same route once a request has used AsyncLocalStorage in the process ` +
        `${ratio(REQUIRE_WITH_STORAGE)}.`;
  return `### ${platform}\n\n${table(header, rows)}${targetLine}${resourceLine}${requireLine}`;
}

const sections = [];
const PLATFORMS = (process.env.BENCH_PLATFORMS ?? 'express,fastify').split(',');
for (const platform of PLATFORMS) sections.push(await benchPlatform(platform));
const placement = PIN
  ? 'each app in its own server process on core 0, load generator on core 1'
  : 'each app in its own server process, sharing the cores with the load generator';
console.log(
  `## HTTP throughput (${CONNECTIONS} connections per server, ${ROUNDS} rounds of ${DURATION} s per variant alone and ${DURATION} s side by side with the reference, medians; ${placement})\n\n${sections.join('\n\n')}`,
);
