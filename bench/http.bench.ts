/**
 * Throughput and latency of a route authorized each way, on Express and on Fastify, against 127.0.0.1 only, with
 * compiled decisions (the default) and on the engine alone (`compile: false`). The variants alternate round by
 * round, so drift on a shared machine spreads over all of them; figures are medians over the rounds, and each
 * ratio compares with "no authorization" on the same platform.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { once } from 'node:events';
import autocannon from 'autocannon';
import { fixed, median, table } from './support/report.js';

const DURATION = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = 10;

const VARIANTS = [
  { name: 'no authorization', app: 'plain', path: '/plain/none/1' },
  { name: 'no-op guard', app: 'plain', path: '/plain/noop-guard/1' },
  { name: 'nestjs-oso installed, route skipped', app: 'oso', path: '/oso/skipped/1' },
  { name: 'OsoGuard route authorization, compiled', app: 'oso', path: '/oso/route' },
  { name: 'OsoGuard route authorization, engine only', app: 'oso-engine', path: '/oso/route' },
  { name: '@Authorize with a resolved resource, compiled', app: 'oso', path: '/oso/decorator/1' },
  { name: '@Authorize with a resolved resource, engine only', app: 'oso-engine', path: '/oso/decorator/1' },
  { name: 'OsoService.authorize in the handler, compiled', app: 'oso', path: '/oso/service/1' },
  { name: 'OsoService.authorize in the handler, engine only', app: 'oso-engine', path: '/oso/service/1' },
] as const;

interface Sample {
  rps: number;
  p50: number;
  p99: number;
}

async function load(url: string, duration: number): Promise<Sample> {
  const result = await autocannon({ url, connections: CONNECTIONS, duration });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

/**
 * On a machine with two cores or more, the server gets core 0 and the load generator (this process) core 1, so
 * neither takes time from the other; elsewhere they share.
 */
const PIN = existsSync('/usr/bin/taskset') && availableParallelism() >= 2;
if (PIN) execFileSync('/usr/bin/taskset', ['-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });

async function benchPlatform(platform: string): Promise<string> {
  const serverArgs = [new URL('./support/http-server.js', import.meta.url).pathname, platform];
  const server = PIN
    ? spawn('/usr/bin/taskset', ['-c', '0', process.execPath, ...serverArgs], { stdio: ['pipe', 'pipe', 'inherit'] })
    : spawn(process.execPath, serverArgs, { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = (await once(server.stdout, 'data')) as [Buffer];
  const ports = JSON.parse(line.toString()) as Record<string, number>;
  const samples = new Map<string, Sample[]>(VARIANTS.map((v) => [v.name, []]));
  try {
    for (const variant of VARIANTS) await load(`http://127.0.0.1:${ports[variant.app]}${variant.path}`, 1); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 ? [...VARIANTS].reverse() : VARIANTS;
      for (const variant of order) {
        samples.get(variant.name)!.push(await load(`http://127.0.0.1:${ports[variant.app]}${variant.path}`, DURATION));
      }
    }
  } finally {
    server.stdin.end();
    await once(server, 'exit');
  }
  const baseline = median(samples.get(VARIANTS[0].name)!.map((s) => s.rps));
  const rows = VARIANTS.map((variant) => {
    const runs = samples.get(variant.name)!;
    const rps = median(runs.map((s) => s.rps));
    return [variant.name, fixed(rps, 0), fixed(median(runs.map((s) => s.p50)), 1), fixed(median(runs.map((s) => s.p99)), 1), fixed(rps / baseline, 3)];
  });
  return `### ${platform}\n\n${table(['variant', 'requests/s', 'p50 ms', 'p99 ms', 'ratio to no authorization'], rows)}`;
}

const sections = [];
for (const platform of ['express', 'fastify']) sections.push(await benchPlatform(platform));
const placement = PIN ? 'server on core 0, load generator on core 1' : 'server and load generator sharing the cores';
console.log(
  `## HTTP throughput (${CONNECTIONS} connections, ${ROUNDS} rounds of ${DURATION} s per variant, medians; ${placement})\n\n${sections.join('\n\n')}`,
);
