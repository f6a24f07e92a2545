import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MAIN = join(import.meta.dirname, '..', 'dist', 'main.js');

/** Starts the built app the way `npm start` does (on a free port and a fresh database) and waits for its URL. */
async function startLikeNpmStart(
  databaseFile: string,
): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, PORT: '0', DATABASE_FILE: databaseFile, DATABASE_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed within 20 s:\n${output}`)), 20_000);
    child.stdout!.on('data', () => {
      const match = /running at (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.on('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
  });
  return { child, url, output: () => output };
}

/** Stops the app the way Ctrl-C does and waits until it has exited. */
async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGINT');
  await exited;
}

describe('npm start', () => {
  let dir: string;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'expenses-'));
  });
  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) await stop(child);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates and seeds the database, prints the URL, tokens and curl examples, and serves /health and /graphql', async () => {
    const databaseFile = join(dir, 'expenses.sqlite');
    const started = await startLikeNpmStart(databaseFile);
    child = started.child;
    const health = await fetch(`${started.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const list = await fetch(`${started.url}/organizations/1/expenses`, {
      headers: { Authorization: 'Bearer bob-token' },
    });
    expect(list.status).toBe(200);
    expect(started.output()).toContain(`Created and seeded the database: SQLite file ${databaseFile}`);
    expect(started.output()).toMatch(/bob +bob-token +member of Acme/);
    expect(started.output().match(/curl /g)).toHaveLength(4);
    // The printed GraphQL example, as curl sends it.
    const query = /-d '(\{"query".*\})'/.exec(started.output())?.[1];
    const graphql = await fetch(`${started.url}/graphql`, {
      method: 'POST',
      headers: { Authorization: 'Bearer bob-token', 'Content-Type': 'application/json' },
      body: query,
    });
    expect(await graphql.json()).toEqual({
      data: {
        expense: { id: 1, description: 'Train to the customer', approverNotes: null, actions: ['read', 'update'] },
      },
    });
  });

  it('keeps what was written in the file: a restart on it serves the approved expense, without seeding again', async () => {
    const databaseFile = join(dir, 'restarted.sqlite');
    const first = await startLikeNpmStart(databaseFile);
    child = first.child;
    const approve = await fetch(`${first.url}/expenses/1/approve`, {
      method: 'POST',
      headers: { Authorization: 'Bearer carol-token' },
    });
    expect(approve.status).toBe(201);
    await stop(first.child);

    const second = await startLikeNpmStart(databaseFile);
    child = second.child;
    expect(second.output()).toContain(`Using the database: SQLite file ${databaseFile}`);
    const expense = await fetch(`${second.url}/expenses/1`, { headers: { Authorization: 'Bearer carol-token' } });
    expect(expense.status).toBe(200);
    expect(await expense.json()).toMatchObject({ id: 1, status: 'approved' });
  });
});
