/**
 * Load generation for the HTTP benchmarks: the apps of http-server.ts in processes of their own (on core 0 when the
 * machine has two cores), loaded by autocannon from this process (on core 1).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';

/** Concurrent connections per server. */
export const CONNECTIONS = 10;

/** One load run of one route. */
export interface Sample {
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
export const PIN = existsSync('/usr/bin/taskset') && cpus().length >= 2;

/** Moves this process, the load generator, to core 1 when pinning. */
export function pinLoadGenerator(): void {
  if (PIN) execFileSync('/usr/bin/taskset', ['-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
}

/** One app of support/http-server, in its own process (on core 0 when pinning). */
export class Server {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    /** The server's stdout, line by line: its port, then one CPU time per question. */
    private readonly lines: AsyncIterator<string>,
  ) {}

  static async start(platform: string, app: string): Promise<Server> {
    const serverArgs = [new URL('./http-server.js', import.meta.url).pathname, platform, app];
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

/** Loads a route of a server for `duration` seconds: throughput, latency, and the server's CPU time per request. */
export async function load(server: Server, path: string, duration: number): Promise<Sample> {
  const url = `http://127.0.0.1:${server.port}${path}`;
  const cpuBefore = await server.cpuTime();
  const result = await autocannon({ url, connections: CONNECTIONS, duration });
  const cpu = (await server.cpuTime()) - cpuBefore;
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    cpu: cpu / result.requests.total,
    cpuShare: cpu / (duration * 1e6),
  };
}
