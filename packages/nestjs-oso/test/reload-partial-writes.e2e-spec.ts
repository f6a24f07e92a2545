import { cp, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Controller, Get, type INestApplication } from '@nestjs/common';
import request from 'supertest';
import { Authorize, createOsoEngine, OsoModule, OsoPolicyReloader } from '../src/index.js';
import { createTestApp, PLATFORMS, type Platform } from './app/create-app.js';
import { LogCollector } from './fixtures/log-collector.js';
import { policyFixture } from './fixtures/policies.js';

const FIXTURE_DIR = policyFixture('partial-write');
/** The pause of the writer between the first part of the file and the rest (the one seen in production). */
const PAUSE_MS = 400;
/** The pauses between the rewrites: one shorter and one longer than the settle interval, then a quiet end. */
const GAPS_MS = [200, 1_300, 0];

class User {
  constructor(
    readonly name: string,
    readonly reader: boolean,
    readonly banned: boolean,
  ) {}
}

const USERS: Record<string, User> = {
  alice: new User('alice', true, false),
  mallory: new User('mallory', true, true),
};

@Controller()
class DocController {
  @Get('doc')
  @Authorize('read', { resource: () => 'doc' })
  read() {
    return { doc: true };
  }
}

/** The file up to the end of its `allow` rule: valid Polar in which nobody is banned. */
function dangerousPrefix(policy: string): string {
  const end = policy.indexOf('\n', policy.indexOf('allow(')) + 1;
  return policy.slice(0, end);
}

/** Rewrites `file` in place the way `cp` and many deploy tools do: truncate, write a part, pause, write the rest. */
async function rewriteInPlace(file: string, content: string, splitAt: number): Promise<void> {
  const handle = await open(file, 'w');
  try {
    await handle.write(content.slice(0, splitAt));
    await sleep(PAUSE_MS);
    await handle.write(content.slice(splitAt));
  } finally {
    await handle.close();
  }
}

/** Requests by one user in a loop until stopped, counting the answers by status. */
function startTraffic(url: string, user: keyof typeof USERS, loops: number) {
  let running = true;
  const statuses = new Map<number | string, number>();
  const done = Array.from({ length: loops }, async () => {
    while (running) {
      const status = await request(url)
        .get('/doc')
        .set('x-user', user)
        .then(
          (res) => res.status as number | string,
          (error: Error) => error.message,
        );
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(done);
      return Object.fromEntries(statuses);
    },
  };
}

describe('a policy file rewritten in place, with a pause in the middle', () => {
  it('is split by these tests where its first part is a valid policy that lets a banned reader in', async () => {
    const policy = await readFile(join(FIXTURE_DIR, 'docs.polar'), 'utf8');
    const dir = await mkdtemp(join(tmpdir(), 'nestjs-oso-partial-'));
    try {
      await writeFile(join(dir, 'docs.polar'), dangerousPrefix(policy));
      const partial = await createOsoEngine({ policyDir: dir, classes: [User] });
      await writeFile(join(dir, 'docs.polar'), policy);
      const whole = await createOsoEngine({ policyDir: dir, classes: [User] });
      expect(await partial.isAllowed(USERS.mallory, 'read', 'doc')).toBe(true);
      expect(await whole.isAllowed(USERS.mallory, 'read', 'doc')).toBe(false);
      expect(await whole.isAllowed(USERS.alice, 'read', 'doc')).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  describe.each(['watch', 'poll'] as const)('reload: %s', (mode) => {
    describe.each(PLATFORMS)('on %s', (platform: Platform) => {
      let dir: string;
      let app: INestApplication | undefined;
      let logs: LogCollector;
      let url: string;
      let traffic: Array<ReturnType<typeof startTraffic>> = [];

      beforeEach(async () => {
        dir = await mkdtemp(join(tmpdir(), 'nestjs-oso-partial-'));
        await cp(FIXTURE_DIR, dir, { recursive: true });
      });
      afterEach(async () => {
        await Promise.all(traffic.map((loop) => loop.stop()));
        traffic = [];
        await app?.close();
        app = undefined;
        await rm(dir, { recursive: true, force: true });
      });

      const requests = (user: keyof typeof USERS, loops: number) => {
        const loop = startTraffic(url, user, loops);
        traffic.push(loop);
        return loop;
      };
      const start = async () => {
        logs = new LogCollector();
        app = await createTestApp(platform, {
          oso: OsoModule.forRoot({
            policyDir: dir,
            classes: [User],
            reload: mode,
            getActor: (context) => USERS[context.switchToHttp().getRequest().headers['x-user'] as string],
          }),
          controllers: [DocController],
          providers: [],
          logger: logs,
        });
        await app.listen(0, '127.0.0.1');
        url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
      };

      it('is never loaded half-written: a banned reader is denied on every request while it is rewritten', async () => {
        await start();
        const file = join(dir, 'docs.polar');
        const policy = await readFile(file, 'utf8');

        const banned = requests('mallory', 3);
        const allowed = requests('alice', 1);
        for (const gap of GAPS_MS) {
          await rewriteInPlace(file, policy, dangerousPrefix(policy).length);
          await sleep(gap);
        }
        // A look that starts now finds the files stable and takes them; the requests go on meanwhile, and a little after.
        await app!.get(OsoPolicyReloader).refresh();
        await sleep(300);
        const bannedStatuses = await banned.stop();
        const allowedStatuses = await allowed.stop();

        expect(bannedStatuses).toEqual({ 404: expect.any(Number) });
        expect(bannedStatuses[404]).toBeGreaterThan(20);
        // Nor was the truncated (empty) file ever loaded, which would have denied alice.
        expect(allowedStatuses).toEqual({ 200: expect.any(Number) });
        expect(logs.errors()).toEqual([]);
        expect(logs.lines.filter((line) => line.includes('Reloaded the policy')).length).toBeGreaterThan(0);
        // The policy in force at the end is the whole file.
        expect((await request(url).get('/doc').set('x-user', 'alice')).status).toBe(200);
        expect((await request(url).get('/doc').set('x-user', 'mallory')).status).toBe(404);
      });

      it('a change written in place the same way is loaded whole, once its text is stable', async () => {
        await start();
        const file = join(dir, 'docs.polar');
        const policy = `${await readFile(file, 'utf8')}banned(user: User) if user.name = "alice";\n`;
        const banned = requests('mallory', 2);
        await rewriteInPlace(file, policy, dangerousPrefix(policy).length);
        await app!.get(OsoPolicyReloader).refresh();
        expect((await request(url).get('/doc').set('x-user', 'alice')).status).toBe(404);
        expect(await banned.stop()).toEqual({ 404: expect.any(Number) });
        expect(logs.lines.filter((line) => line.includes('Reloaded the policy'))).toHaveLength(1);
        expect(logs.errors()).toEqual([]);
      });
    });
  });
});
