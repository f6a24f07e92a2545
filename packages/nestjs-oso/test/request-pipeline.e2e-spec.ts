import { Controller, Get, Module, UseGuards, type INestApplication, type Provider, type Type } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import request from 'supertest';
import { Authorize, AuthorizedResource, OsoGuard, OsoModule, type OsoModuleOptions } from '../src/index.js';
import { createTestApp, PLATFORMS, POLICY_DIR, type Platform } from './app/create-app.js';
import { EXPENSES, POLAR_CLASSES, type Expense } from './fixtures/domain.js';
import { HeaderAuthGuard } from './app/header-auth.guard.js';
import { LogCollector } from './fixtures/log-collector.js';

const expenseById = (req: { params: { id: string } }) => EXPENSES.get(Number(req.params.id));

/** Decorated routes and no guard of their own: their actor comes from a global authentication guard. */
@Controller('expenses')
class ExpensesController {
  @Get(':id')
  @Authorize('read', { resource: expenseById })
  read(@AuthorizedResource() expense: Expense) {
    return { id: expense.id };
  }
}

/** Authentication on the controller, which Nest runs after every global guard. */
@Controller('late')
@UseGuards(HeaderAuthGuard)
class LateAuthController {
  @Get(':id')
  @Authorize('read', { resource: expenseById })
  read(@AuthorizedResource() expense: Expense) {
    return { id: expense.id };
  }
}

/** Authentication and then an OsoGuard of its own on the controller: the check runs there. */
@Controller('placed')
@UseGuards(HeaderAuthGuard, OsoGuard)
class PlacedGuardController {
  @Get(':id')
  @Authorize('read', { resource: expenseById })
  read(@AuthorizedResource() expense: Expense) {
    return { id: expense.id };
  }
}

/** A module whose global authentication guard Nest registers after OsoModule's (it is imported after it). */
@Module({ providers: [{ provide: APP_GUARD, useClass: HeaderAuthGuard }] })
class LateGlobalAuthModule {}

const globalAuthFirst: Provider = { provide: APP_GUARD, useClass: HeaderAuthGuard };
const options = (overrides: Partial<OsoModuleOptions> = {}) =>
  OsoModule.forRoot({ policyDir: POLICY_DIR, classes: POLAR_CLASSES, ...overrides });

/** The startup line that says whether the global interceptor is installed, and why. */
const interceptorLine = (logs: LogCollector) => logs.lines.find((line) => line.startsWith('debug Global interceptor:'));

describe.each(PLATFORMS)('the global interceptor, installed only when needed, on %s', (platform: Platform) => {
  const apps: INestApplication[] = [];
  afterAll(() => Promise.all(apps.map((app) => app.close())));

  async function start(
    controllers: Type[],
    extra: { providers?: Provider[]; imports?: Type[]; overrides?: Partial<OsoModuleOptions> } = {},
  ) {
    const logs = new LogCollector();
    const app = await createTestApp(platform, {
      oso: options(extra.overrides),
      controllers,
      providers: extra.providers ?? [],
      imports: (extra.imports ?? []).map((module) => ({ module })),
      logger: logs,
    });
    apps.push(app);
    const get = (path: string, user?: string) => {
      const req = request(app.getHttpServer()).get(path);
      return user ? req.set('x-user', user) : req;
    };
    return { logs, get };
  }

  it('is not installed when the authentication guard runs before OsoModule’s, and checks still see its actor', async () => {
    const { logs, get } = await start([ExpensesController], { providers: [globalAuthFirst] });
    expect(interceptorLine(logs)).toBe('debug Global interceptor: not installed (no route needs it)');
    await get('/expenses/1', 'bob').expect(200, { id: 1 });
    await get('/expenses/2', 'bob').expect(404);
    await get('/expenses/1').expect(401);
  });

  it('is installed when a global authentication guard runs after OsoModule’s, so checks wait for its actor', async () => {
    const { logs, get } = await start([ExpensesController], { imports: [LateGlobalAuthModule] });
    expect(interceptorLine(logs)).toBe(
      "debug Global interceptor: installed (the checks of ExpensesController.read wait for later guards (global guards after OsoModule's: HeaderAuthGuard))",
    );
    await get('/expenses/1', 'bob').expect(200, { id: 1 });
    await get('/expenses/2', 'bob').expect(404);
    await get('/expenses/1').expect(401);
  });

  it('is installed when a decorated route authenticates on its controller without an OsoGuard there', async () => {
    const { logs, get } = await start([LateAuthController, PlacedGuardController]);
    expect(interceptorLine(logs)).toBe(
      'debug Global interceptor: installed (the checks of LateAuthController.read wait for later guards (guards on the controller))',
    );
    await get('/late/1', 'bob').expect(200, { id: 1 });
    await get('/late/1').expect(401);
  });

  it('is not installed when the controller places its own OsoGuard after authentication, which checks there', async () => {
    const { logs, get } = await start([PlacedGuardController]);
    expect(interceptorLine(logs)).toBe('debug Global interceptor: not installed (no route needs it)');
    await get('/placed/1', 'bob').expect(200, { id: 1 });
    await get('/placed/2', 'bob').expect(404);
    await get('/placed/1').expect(401);
  });

  it('is not installed for requireAuthorization when every route is checked before its handler', async () => {
    const { logs, get } = await start([ExpensesController], {
      providers: [globalAuthFirst],
      overrides: { requireAuthorization: true },
    });
    // A checked route reaches its handler only authorized; routes that authorize in their handler get enhancers of
    // their own (route-enforcement.e2e-spec.ts).
    expect(interceptorLine(logs)).toBe(
      'debug Global interceptor: not installed (requireAuthorization is on; every route authorizes or skips before ' +
        'its handler)',
    );
    await get('/expenses/1', 'bob').expect(200, { id: 1 });
  });

  it('without a later guard, a check that finds no actor runs at once and fails closed', async () => {
    const { get } = await start([ExpensesController]);
    await get('/expenses/1', 'bob').expect(401); // nothing authenticates here: bob's header is never read
    await get('/expenses/1').expect(401);
  });
});
