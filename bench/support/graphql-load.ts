/**
 * Load generation for the GraphQL benchmark: the app of graphql-server.ts in a process of its own (on core 0 when
 * pinning, as http-load.ts does), loaded by autocannon with POSTs over 127.0.0.1 from this process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import type { CompiledDecisionInfo } from 'nestjs-oso';
import { CONNECTIONS, PIN } from './http-load.js';

/** One load run of one query. */
export interface QuerySample {
  rps: number;
  p50: number;
  /** Server CPU time (user + system) per request, µs. */
  cpu: number;
}

/** The GraphQL app of one driver, in its own process. */
export class GraphQLServer {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    /** The server's stdout, line by line: its port, then one answer per question. */
    private readonly lines: AsyncIterator<string>,
  ) {}

  static async start(driver: string): Promise<GraphQLServer> {
    const serverArgs = [new URL('./graphql-server.js', import.meta.url).pathname, driver];
    const child = PIN
      ? spawn('/usr/bin/taskset', ['-c', '0', process.execPath, ...serverArgs], { stdio: ['pipe', 'pipe', 'inherit'] })
      : spawn(process.execPath, serverArgs, { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const port = Number((await lines.next()).value);
    return new GraphQLServer(child, `http://127.0.0.1:${port}/graphql`, lines);
  }

  private async ask(question: string): Promise<string> {
    this.child.stdin!.write(`${question}\n`);
    return String((await this.lines.next()).value);
  }

  /** The CPU time the server process has used so far, µs. */
  async cpuTime(): Promise<number> {
    return Number(await this.ask('cpu'));
  }

  /** The server's `OsoService.compiledDecisions()`. */
  async compiledDecisions(): Promise<CompiledDecisionInfo[]> {
    return JSON.parse(await this.ask('decisions')) as CompiledDecisionInfo[];
  }

  /** One POST of `query`, its `data` (and a failure on any GraphQL error). */
  async query(query: string): Promise<unknown> {
    const response = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query }),
    });
    const result = (await response.json()) as { data?: unknown; errors?: unknown[] };
    if (!response.ok || result.errors) throw new Error(`${query}: ${response.status} ${JSON.stringify(result)}`);
    return result.data;
  }

  /** Loads the server with `query` for `duration` seconds: throughput, latency, and CPU time per request. */
  async load(query: string, duration: number): Promise<QuerySample> {
    const cpuBefore = await this.cpuTime();
    const result = await autocannon({
      url: this.url,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query }),
      connections: CONNECTIONS,
      duration,
    });
    const cpu = (await this.cpuTime()) - cpuBefore;
    if (result.non2xx > 0 || result.errors > 0 || result.requests.total === 0)
      throw new Error(`${query}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.requests.total} requests`);
    return { rps: result.requests.average, p50: result.latency.p50, cpu: cpu / result.requests.total };
  }

  async stop(): Promise<void> {
    this.child.stdin!.end();
    await once(this.child, 'exit');
  }
}
