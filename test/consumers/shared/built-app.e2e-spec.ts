import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** The answers the README's curl lines promise: [headers, path, status]. */
const quickStart = JSON.parse(readFileSync('quick-start.json', 'utf8')) as Array<
  [Record<string, string>, string, number]
>;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** `node dist/main.js` (built by `npm run build`), from the project root as `npm start` runs it. A CommonJS app gets
 * the build Node loads for `require()`. */
describe('the Quick start, built with tsc and started from dist/', () => {
  let app: ChildProcess;
  let base: string;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    app = spawn(process.execPath, ['dist/main.js'], { env: { ...process.env, PORT: String(port) }, stdio: 'pipe' });
    let output = '';
    app.stdout!.on('data', (chunk) => (output += chunk));
    app.stderr!.on('data', (chunk) => (output += chunk));
    for (let attempt = 0; ; attempt++) {
      if (app.exitCode !== null) throw new Error(`dist/main.js exited with ${app.exitCode}:\n${output}`);
      if (attempt === 200) throw new Error(`dist/main.js did not answer within 20 s:\n${output}`);
      try {
        await fetch(`${base}/health`);
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  });

  afterAll(() => {
    app.kill();
  });

  it.each(quickStart)('with headers %j, GET %s answers %i', async (headers, path, status) => {
    expect((await fetch(base + path, { headers })).status).toBe(status);
  });
});
