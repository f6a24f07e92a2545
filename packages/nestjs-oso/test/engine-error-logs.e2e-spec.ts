import { join } from 'node:path';
import { Controller, Get, Param, type INestApplication } from '@nestjs/common';
import request from 'supertest';
import { OsoModule, OsoService } from '../src/index.js';
import { createTestApp, PLATFORMS, type Platform } from './app/create-app.js';
import { LogCollector } from './fixtures/log-collector.js';
import { policyFixture } from './fixtures/policies.js';

const POLICY_DIR = policyFixture('engine-errors');
const POLICY_FILE = join(POLICY_DIR, 'docs.polar');
const SECRETS = ['SECRET-HASH', 'SECRET-TOKEN', 'secret-mail@example.com', 'SECRET-BODY'];

/** A user entity as an ORM loads it: with fields that must never reach a log. */
class User {
  readonly passwordHash = 'SECRET-HASH';
  readonly token = 'SECRET-TOKEN';
  readonly email = 'secret-mail@example.com';
  constructor(readonly name: string) {}

  /** A getter that throws with a field value in its message: a compiled check reads it too. */
  get profile(): string {
    throw new Error(`no profile loaded for ${this.email}`);
  }

  /** Throws with a field value in its message, as application code may. */
  mayRead(_doc: Doc): boolean {
    throw new Error(`no reading rights recorded for ${this.email}`);
  }
}

class Doc {
  readonly body = 'SECRET-BODY';
  readonly pages = 3;
  constructor(readonly owner: User) {}
}

const ALICE = new User('alice');
const DOC = new Doc(ALICE);

@Controller('docs')
class DocsController {
  constructor(private readonly oso: OsoService) {}

  @Get(':action')
  async check(@Param('action') action: string) {
    await this.oso.authorize(ALICE, action, DOC);
    return { ok: true };
  }

  @Get(':action/list')
  async list(@Param('action') action: string) {
    return (await this.oso.authorizedResources(ALICE, action, Doc, [DOC])).length;
  }
}

/** Each failing rule of the fixture: its action, its line, and what the log must name besides the classes. */
const FAILURES = [
  {
    action: 'missing-attribute',
    line: 3,
    names: ['RuntimeError::Application', 'in rule allow', 'if user.nickname = "x";'],
  },
  { action: 'compare', line: 4, names: ['RuntimeError::Unsupported', 'if user.email > doc.pages;'] },
  { action: 'condition', line: 5, names: ['RuntimeError::TypeError', 'in rule allow'] },
  { action: 'not-a-method', line: 6, names: ['RuntimeError::Application', 'in rule allow', 'if user.token(doc);'] },
  { action: 'nested', line: 8, names: ['RuntimeError::Application', 'in rule allow', 'if doc.owner.nickname = user;'] },
];

describe.each(PLATFORMS)('engine errors on %s', (platform: Platform) => {
  let app: INestApplication | undefined;
  let logs: LogCollector;

  const start = async (logEngineErrorDetails?: boolean) => {
    logs = new LogCollector();
    app = await createTestApp(platform, {
      oso: OsoModule.forRoot({
        policyDir: POLICY_DIR,
        classes: [User, Doc],
        ...(logEngineErrorDetails !== undefined && { logEngineErrorDetails }),
      }),
      controllers: [DocsController],
      providers: [],
      logger: logs,
    });
  };
  const get = (path: string) => request(app!.getHttpServer()).get(path);
  const leaked = (text: string) => SECRETS.filter((secret) => text.includes(secret));

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('the fixture app works: a rule that does not fail allows', async () => {
    await start();
    expect((await get('/docs/read')).status).toBe(200);
  });

  describe('by default, no field value of the actor or resource reaches the log or the response', () => {
    it.each(FAILURES)(
      '$action: 500, and the log names the kind, the rule, file and line, and the classes',
      async ({ action, line, names }) => {
        await start();
        const res = await get(`/docs/${action}`);
        expect(res.status).toBe(500);
        expect(leaked(res.text)).toEqual([]);
        expect(leaked(logs.lines.join('\n'))).toEqual([]);
        const errors = logs.errors();
        expect(errors).toHaveLength(1);
        for (const expected of [
          `at line ${line}`,
          `of file ${POLICY_FILE}`,
          'actor User',
          'resource Doc',
          `action "${action}"`,
          ...names,
        ]) {
          expect(errors[0]).toContain(expected);
        }
      },
    );

    it('an error thrown by application code called from a rule: its class and where it was thrown, not its message', async () => {
      await start();
      const res = await get('/docs/application-throws');
      expect(res.status).toBe(500);
      expect(leaked(res.text)).toEqual([]);
      expect(leaked(logs.lines.join('\n'))).toEqual([]);
      const errors = logs.errors();
      expect(errors).toHaveLength(1);
      for (const expected of [
        'Error thrown by application code',
        'User.mayRead',
        'engine-error-logs.e2e-spec.ts',
        'actor User',
        'resource Doc',
      ]) {
        expect(errors[0]).toContain(expected);
      }
    });

    it('a getter that throws, read by a compiled check and then by the engine: no value in the debug or error lines', async () => {
      await start();
      const res = await get('/docs/getter-throws');
      expect(res.status).toBe(500);
      expect(leaked(res.text)).toEqual([]);
      expect(leaked(logs.lines.join('\n'))).toEqual([]);
      expect(logs.lines).toContainEqual(
        expect.stringMatching(
          /^debug allow\(User, "getter-throws", Doc\): this decision goes to the engine: the application threw Error/,
        ),
      );
      const reasons = app!
        .get(OsoService)
        .compiledDecisions()
        .flatMap((decision) => Object.keys(decision.handedToEngine));
      expect(leaked(reasons.join('\n'))).toEqual([]);
      expect(logs.errors()).toEqual([expect.stringMatching(/Error thrown by application code at User\.get profile /)]);
    });

    it.each(FAILURES.map(({ action }) => action))(
      'data filtering over %s fails without values in the log',
      async (action) => {
        await start();
        const res = await get(`/docs/${action}/list`);
        expect(res.status).toBe(500);
        expect(leaked(res.text)).toEqual([]);
        expect(leaked(logs.lines.join('\n'))).toEqual([]);
        expect(logs.errors()).toEqual([expect.stringContaining('authorizedResources failed in the policy engine')]);
        expect(logs.errors()[0]).toContain('actor User');
      },
    );
  });

  describe('with logEngineErrorDetails: true (for development), the engine message is logged whole', () => {
    it.each([
      { action: 'missing-attribute', shown: SECRETS.slice(0, 3) },
      { action: 'condition', shown: ['SECRET-TOKEN'] },
      { action: 'application-throws', shown: ['secret-mail@example.com'] },
    ])('$action: the values show in the log, and still not in the response', async ({ action, shown }) => {
      await start(true);
      const res = await get(`/docs/${action}`);
      expect(res.status).toBe(500);
      expect(leaked(res.text)).toEqual([]);
      expect(logs.errors()).toHaveLength(1);
      expect(leaked(logs.errors()[0]!)).toEqual(expect.arrayContaining(shown));
    });
  });
});
