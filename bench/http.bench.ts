/**
 * Throughput and latency of a route authorized each way, on Express and on Fastify, against 127.0.0.1 only, with
 * compiled decisions (the default) and on the engine alone (`compile: false`). Each app runs in its own process.
 *
 * A shared machine's speed drifts by 10-30% from one second to the next, so runs made one after the other do not
 * compare. The ratios come from side-by-side runs instead: the variant's server and a reference server (the app
 * without nestjs-oso, in a process of its own) share one core and are loaded at the same time, so the scheduler
 * gives each half of that core through the same seconds, and their throughputs compare as their costs per request.
 * "no authorization" against the reference shows how far the method itself can be trusted (about 1%).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { fixed, median, table } from './support/report.js';

const DURATION = Number(process.env.BENCH_SECONDS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CONNECTIONS = 10;

const VARIANTS = [
  { name: 'no authorization', app: 'plain', path: '/plain/none/1' },
  { name: 'no-op guard', app: 'plain', path: '/plain/noop-guard/1' },
  { name: 'no-op global interceptor (no nestjs-oso)', app: 'interceptor', path: '/plain/none/1' },
  { name: 'nestjs-oso installed, route skipped', app: 'oso', path: '/oso/skipped/1' },
  { name: 'OsoGuard route authorization, compiled', app: 'oso', path: '/oso/route' },
  { name: 'OsoGuard route authorization, engine only', app: 'oso-engine', path: '/oso/route' },
  { name: '@Authorize with a resolved resource, compiled', app: 'oso', path: '/oso/decorator/1' },
  { name: '@Authorize with a resolved resource, engine only', app: 'oso-engine', path: '/oso/decorator/1' },
  { name: 'OsoService.authorize in the handler, compiled', app: 'oso', path: '/oso/service/1' },
  { name: 'OsoService.authorize in the handler, engine only', app: 'oso-engine', path: '/oso/service/1' },
  { name: 'OsoGuard route authorization, compiled, requireAuthorization on', app: 'oso-require', path: '/oso/route' },
] as const;

type Variant = (typeof VARIANTS)[number];

/** The throughput the compiled route check must keep, as a share of the same route without authorization. */
const TARGETS: Record<string, number> = { express: 0.95, fastify: 0.8 };
const TARGET_VARIANT = 'OsoGuard route authorization, compiled';

interface Sample {
  rps: number;
  p50: number;
  p99: number;
  /** Server CPU time (user + system) per request, µs. */
  cpu: number;
  /** Server CPU time over the run's duration (1: a whole core). */
  cpuShare: number;
}

/**
 * On a machine with two cores or more, the server gets core 0 and the load generator (this process) core 1, so
 * neither takes time from the other; elsewhere they share.
 */
const PIN = existsSync('/usr/bin/taskset') && cpus().length >= 2;
if (PIN) execFileSync('/usr/bin/taskset', ['-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });

/** One app of support/http-server, in its own process (on core 0 when pinning). */
class Server {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    /** The server's stdout, line by line: its port, then one CPU time per question. */
    private readonly lines: AsyncIterator<string>,
  ) {}

  static async start(platform: string, app: string): Promise<Server> {
    const serverArgs = [new URL('./support/http-server.js', import.meta.url).pathname, platform, app];
    const child = PIN
      ? spawn('/usr/bin/taskset', ['-c', '0', process.execPath, ...serverArgs], { stdio: ['pipe', 'pipe', 'inherit'] })
      : spawn(process.execPath, serverArgs, { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const port = Number((await lines.next()).value);
    return new Server(child, port, lines);
  }

  /** The CPU time the server process has used so far, µs. */
  async cpuTime(): Promise<number> {
    this.child.stdin!.write('cpu\n');
    return Number((await this.lines.next()).value);
  }

  async stop(): Promise<void> {
    this.child.stdin!.end();
    await once(this.child, 'exit');
  }
}

async function load(server: Server, path: string, duration: number): Promise<Sample> {
  const url = `http://127.0.0.1:${server.port}${path}`;
  const cpuBefore = await server.cpuTime();
  const result = await autocannon({ url, connections: CONNECTIONS, duration });
  const cpu = (await server.cpuTime()) - cpuBefore;
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    cpu: cpu / result.requests.total,
    cpuShare: cpu / (duration * 1e6),
  };
}

async function benchPlatform(platform: string): Promise<string> {
  // The reference: an app without nestjs-oso in a process of its own, loaded at the same time as each variant.
  const reference = await Server.start(platform, 'plain');
  const servers = new Map<string, Server>();
  for (const app of new Set(VARIANTS.map((variant) => variant.app))) servers.set(app, await Server.start(platform, app));
  const run = (variant: Variant, duration: number) => load(servers.get(variant.app)!, variant.path, duration);
  const [baseline] = VARIANTS;
  const alone = new Map<string, Sample[]>(VARIANTS.map((v) => [v.name, []]));
  const ratios = new Map<string, number[]>(VARIANTS.map((v) => [v.name, []]));
  const coreUse: number[] = [];
  try {
    for (const variant of VARIANTS) await run(variant, 1); // warm-up
    await load(reference, baseline.path, 1);
    // Side by side first: both servers share core 0 and get equal shares of it, so their throughputs compare as their
    // costs per request do, over the same seconds. (Runs alone in between would leave the variant's process warmer
    // than the reference's, by up to 40% on Fastify.)
    for (let round = 0; round < ROUNDS; round++) {
      for (const variant of round % 2 ? [...VARIANTS].reverse() : VARIANTS) {
        const [measured, base] =
          round % 2
            ? await Promise.all([run(variant, DURATION), load(reference, baseline.path, DURATION)])
            : (await Promise.all([load(reference, baseline.path, DURATION), run(variant, DURATION)])).reverse();
        ratios.get(variant.name)!.push(measured!.rps / base!.rps);
        coreUse.push(measured!.cpuShare + base!.cpuShare);
      }
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const variant of round % 2 ? [...VARIANTS].reverse() : VARIANTS) alone.get(variant.name)!.push(await run(variant, DURATION));
    }
  } finally {
    for (const server of [reference, ...servers.values()]) await server.stop();
  }
  const rows = VARIANTS.map((variant) => {
    const runs = alone.get(variant.name)!;
    return [
      variant.name,
      fixed(median(runs.map((s) => s.rps)), 0),
      fixed(median(runs.map((s) => s.p50)), 1),
      fixed(median(runs.map((s) => s.p99)), 1),
      fixed(median(runs.map((s) => s.cpu)), 1),
      fixed(median(ratios.get(variant.name)!), 3),
    ];
  });
  const header = ['variant', 'requests/s (alone)', 'p50 ms', 'p99 ms', 'server CPU µs per request', 'ratio to no authorization (side by side)'];
  const target = TARGETS[platform];
  const guarded = median(ratios.get(TARGET_VARIANT)!);
  const targetLine =
    target === undefined
      ? ''
      : `\n\nTarget: "${TARGET_VARIANT}" at or above ${target} of "${baseline.name}": ${fixed(guarded, 3)}, ` +
        `${guarded >= target ? 'met' : 'NOT met'}. Core 0 was ${fixed(100 * median(coreUse), 0)}% busy during the side-by-side ` +
        `runs (median), so the ratios compare costs per request; "${baseline.name}" against the reference, the same app in ` +
        `another process, shows the method's own spread.`;
  return `### ${platform}\n\n${table(header, rows)}${targetLine}`;
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
