/**
 * The sample app's server (sample-app-server.ts) in a process of its own, pinned as the HTTP benchmark's servers are
 * (core 0, the load generator on core 1), and autocannon load on its routes as one demo user.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { CONNECTIONS, PIN, type Sample } from './http-load.js';

export class SampleAppServer {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    /** The server's stdout, line by line: its port, then one CPU time per question. */
    private readonly lines: AsyncIterator<string>,
  ) {}

  static async start(): Promise<SampleAppServer> {
    const args = [new URL('./sample-app-server.js', import.meta.url).pathname];
    const command = PIN ? ['/usr/bin/taskset', ['-c', '0', process.execPath, ...args]] : [process.execPath, args];
    const child = spawn(command[0] as string, command[1] as string[], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const port = Number((await lines.next()).value);
    if (!port) throw new Error('the sample app did not start');
    return new SampleAppServer(child, port, lines);
  }

  /** The CPU time the server process has used so far, µs. */
  async cpuTime(): Promise<number> {
    this.child.stdin!.write('cpu\n');
    return Number((await this.lines.next()).value);
  }

  /** One request, for checking answers before the load. */
  async get(path: string, token: string): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`http://127.0.0.1:${this.port}${path}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: response.status, body: await response.json() };
  }

  /**
   * Sends `amount` requests of a route with the user's bearer token on `connections` connections (CONNECTIONS unless
   * given), and waits for all: a count rather than a duration, so that no request of a slow route is in flight when
   * the run ends or the CPU time is read. Every answer must be a 2xx.
   */
  async load(path: string, token: string, amount: number, connections = CONNECTIONS): Promise<Sample> {
    const url = `http://127.0.0.1:${this.port}${path}`;
    const cpuBefore = await this.cpuTime();
    const started = process.hrtime.bigint();
    let lastResponse = started;
    const headers = { authorization: `Bearer ${token}` };
    // autocannon notices the end of a count only at its next one-second tick: the run ends at the last response.
    const result = await new Promise<autocannon.Result>((resolve, reject) => {
      const options = { url, headers, connections: Math.min(connections, amount), amount };
      autocannon(options, (error, done) => (error ? reject(error) : resolve(done))).on('response', () => {
        lastResponse = process.hrtime.bigint();
      });
    });
    const cpu = (await this.cpuTime()) - cpuBefore;
    const duration = Number(lastResponse - started) / 1e9;
    if (result.non2xx > 0 || result.errors > 0 || result.requests.total === 0)
      throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors of ${result.requests.total}`);
    return {
      rps: result.requests.total / duration,
      p50: result.latency.p50,
      p99: result.latency.p99,
      cpu: cpu / result.requests.total,
      cpuShare: cpu / (duration * 1e6),
    };
  }

  async stop(): Promise<void> {
    this.child.stdin!.end();
    await once(this.child, 'exit');
  }
}
