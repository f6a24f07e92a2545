import { cp, mkdir, mkdtemp, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Controller, Get, type INestApplication } from '@nestjs/common';
import request from 'supertest';
import { Authorize, OsoModule, OsoPolicyReloader, OsoService } from '../src/index.js';
import { createTestApp, PLATFORMS, type Platform } from './app/create-app.js';
import { LogCollector } from './fixtures/log-collector.js';
import { policyFixture } from './fixtures/policies.js';

const FIXTURE_DIR = policyFixture('reload');
const USERS = ['alice', 'bob', 'carol', 'dave'] as const;
type Decisions = Record<(typeof USERS)[number], number>;

@Controller()
class DocController {
  @Get('doc')
  @Authorize('read', { resource: () => 'doc' })
  read() {
    return { doc: true };
  }
}

/** Waits until `condition` holds, looking every 20 ms, and fails after `timeoutMs`. */
async function eventually(what: string, condition: () => Promise<boolean> | boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(20);
  }
}

/** Requests in a loop (four at a time) until stopped; every answer must be 200 or 404, never a 500 or an error. */
function startTraffic(url: string) {
  let running = true;
  let count = 0;
  const failures: string[] = [];
  const loops = [0, 1, 2, 3].map(async (offset) => {
    while (running) {
      const user = USERS[(count + offset) % USERS.length]!;
      try {
        const res = await request(url).get('/doc').set('x-user', user);
        if (res.status !== 200 && res.status !== 404) failures.push(`${user}: ${res.status}`);
      } catch (error) {
        failures.push(`${user}: ${(error as Error).message}`);
      }
      count++;
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return { count, failures };
    },
  };
}

/**
 * Saves a file the way "safe write" editors do: a new file renamed over the old one. The requests of these tests run
 * in the test's own process and keep its thread pool busy, so an in-place write could stay truncated for longer
 * than any editor would leave it; half-written files have a test of their own.
 */
let saves = 0;
async function save(file: string, content: string): Promise<void> {
  const temporary = join(tmpdir(), `nestjs-oso-reload-save-${process.pid}-${++saves}`);
  await writeFile(temporary, content);
  await rename(temporary, file);
}

const countWatchHandles = () => process.getActiveResourcesInfo().filter((kind) => kind === 'FSEventWrap').length;

describe.each(['watch', 'poll'] as const)('reload: %s', (mode) => {
  describe.each(PLATFORMS)('on %s', (platform: Platform) => {
    let dir: string;
    let app: INestApplication;
    let url: string;
    let logs: LogCollector;
    let traffic: ReturnType<typeof startTraffic> | undefined;

    const start = async (policyFiles: string[] = []) => {
      logs = new LogCollector();
      app = await createTestApp(platform, {
        oso: OsoModule.forRoot({
          policyDir: dir,
          policyFiles,
          reload: mode,
          // These files are saved by renaming (see `save`): a short settle interval keeps the suite quick. The
          // default, and files written in place, are the subject of reload-partial-writes.e2e-spec.ts.
          reloadSettleMs: 100,
          getActor: (context) => context.switchToHttp().getRequest().headers['x-user'],
        }),
        controllers: [DocController],
        providers: [],
        logger: logs,
      });
      await app.listen(0, '127.0.0.1');
      url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    };
    const decisions = async (): Promise<Decisions> => {
      const statuses = await Promise.all(
        USERS.map((user) =>
          request(url)
            .get('/doc')
            .set('x-user', user)
            .then((res) => res.status),
        ),
      );
      return Object.fromEntries(USERS.map((user, i) => [user, statuses[i]])) as Decisions;
    };
    const decisionsBecome = (expected: Decisions) =>
      eventually(
        `the decisions are ${JSON.stringify(expected)}`,
        async () => JSON.stringify(await decisions()) === JSON.stringify(expected),
      );
    const logged = (pattern: RegExp) => logs.lines.filter((line) => pattern.test(line));

    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'nestjs-oso-reload-'));
      await cp(FIXTURE_DIR, dir, { recursive: true });
    });
    afterEach(async () => {
      await traffic?.stop();
      traffic = undefined;
      await app?.close();
      await rm(dir, { recursive: true, force: true });
    });

    it('edits, a broken edit, its fix and deleted files take effect while requests run, and no request fails', async () => {
      await start();
      traffic = startTraffic(url);
      const readers = join(dir, 'readers.polar');

      expect(await decisions()).toEqual({ alice: 200, bob: 404, carol: 404, dave: 200 });

      await save(readers, 'allow(actor: String, "read", "doc") if actor = "bob";\n');
      await decisionsBecome({ alice: 404, bob: 200, carol: 404, dave: 200 });

      // A syntax error: reported once with its file and line, and the last good policy keeps answering.
      await save(readers, 'allow(actor: String, "read", "doc") if actor = "carol"\n');
      await eventually('the broken edit is logged', () => logged(/does not load/).length > 0);
      expect(logged(/does not load/)).toEqual([expect.stringContaining(`at line 1, column 55 of file ${readers}`)]);
      expect(await decisions()).toEqual({ alice: 404, bob: 200, carol: 404, dave: 200 });

      await save(readers, 'allow(actor: String, "read", "doc") if actor = "carol";\n');
      await decisionsBecome({ alice: 404, bob: 404, carol: 200, dave: 200 });

      // A deleted file (in a subfolder) takes its rules with it.
      await unlink(join(dir, 'extra', 'dave.polar'));
      await decisionsBecome({ alice: 404, bob: 404, carol: 200, dave: 404 });

      await unlink(join(dir, 'base.polar'));
      await eventually(
        'the policy without base.polar is loaded',
        () => logged(/Reloaded the policy from 1 file$/).length > 0,
      );

      // A folder left without any policy file does not load either: the last good policy stays.
      await unlink(join(dir, 'readers.polar'));
      await eventually('the empty folder is logged', () => logged(/contains no \.polar file/).length > 0);
      expect(await decisions()).toEqual({ alice: 404, bob: 404, carol: 200, dave: 404 });

      const { count, failures } = await traffic.stop();
      traffic = undefined;
      expect(failures).toEqual([]);
      expect(count).toBeGreaterThan(20);
      expect(logged(/does not load/)).toHaveLength(2);
    });

    it('a broken file is reported once, not on every look, and its engine never replaces the good one', async () => {
      await start();
      const oso = app.get(OsoService);
      const first = oso.engine;
      await save(join(dir, 'readers.polar'), 'allow(');
      await eventually('the broken edit is logged', async () => {
        await decisions();
        return logged(/does not load/).length > 0;
      });
      for (let i = 0; i < 5; i++) await decisions();
      expect(logged(/does not load/)).toHaveLength(1);
      expect(oso.engine).toBe(first);
    });

    it('a policy file saved in a new subfolder is loaded', async () => {
      await start();
      await mkdir(join(dir, 'more', 'deeper'), { recursive: true });
      await save(join(dir, 'more', 'deeper', 'bob.polar'), 'allow("bob", "read", "doc");\n');
      await decisionsBecome({ alice: 200, bob: 200, carol: 404, dave: 200 });
    });

    it('a policy file outside the folders (policyFiles) is reloaded too, and its neighbours are not policy', async () => {
      const outside = `${dir}-outside`;
      await mkdir(outside);
      try {
        await writeFile(join(outside, 'bob.polar'), 'allow("bob", "read", "doc");\n');
        await start([join(outside, 'bob.polar')]);
        await save(join(outside, 'neighbour.polar'), 'allow("carol", "read", "doc");\n');
        await save(join(outside, 'bob.polar'), '# bob is gone\n');
        await decisionsBecome({ alice: 200, bob: 404, carol: 404, dave: 200 });
      } finally {
        await rm(outside, { recursive: true, force: true });
      }
    });

    it('a file caught half-written (truncated, not yet written) is not loaded', async () => {
      await start();
      const readers = join(dir, 'readers.polar');
      // An editor saving in place: the file is first truncated (an empty file is a valid policy), then written.
      await writeFile(readers, '');
      const looking = app.get(OsoPolicyReloader).refresh();
      await writeFile(readers, 'allow(actor: String, "read", "doc") if actor = "bob";\n');
      await looking;
      await decisionsBecome({ alice: 404, bob: 200, carol: 404, dave: 200 });
      expect(logged(/Reloaded the policy/)).toHaveLength(1);
    });

    if (mode === 'watch') {
      it('closing the app closes the watcher', async () => {
        const before = countWatchHandles();
        await start();
        expect(countWatchHandles()).toBeGreaterThan(before);
        await app.close();
        await eventually('the watch handles are released', () => countWatchHandles() === before);
      });
    }
  });
});
