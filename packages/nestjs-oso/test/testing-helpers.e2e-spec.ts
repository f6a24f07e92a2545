import { AssertionError } from 'node:assert';
import {
  Controller,
  Get,
  Injectable,
  UnauthorizedException,
  UseGuards,
  type CanActivate,
  type INestApplication,
} from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { Authorize, AuthorizedResource, OsoModule, PolicyLoadError } from '../src/index.js';
import { createTestOso, TestActorGuard, type TestOso } from '../src/testing/index.js';
import { createTestApp, PLATFORMS, POLICY_DIR } from './app/create-app.js';
import { EXPENSES, POLAR_CLASSES, USERS, type Expense } from './fixtures/domain.js';
import { ExpenseResolver, ExpensesController, ExpensesService } from './app/expenses.controllers.js';
import { policyFixture } from './fixtures/policies.js';

const { alice, bob, carol } = USERS as Required<typeof USERS>;
const [expense1, , expense3] = [EXPENSES.get(1)!, EXPENSES.get(2)!, EXPENSES.get(3)!];

describe('createTestOso: policy unit tests in one line each', () => {
  let oso: TestOso;
  beforeAll(async () => {
    oso = await createTestOso({ policyDir: POLICY_DIR, classes: POLAR_CLASSES });
  });

  it('asserts decisions, and its functions can be destructured', async () => {
    const { expectAllowed, expectDenied, expectActions } = oso;
    await expectAllowed(alice, 'approve', expense1);
    await expectAllowed(bob, 'read', expense1);
    await expectDenied(bob, 'approve', expense1);
    await expectDenied(carol, 'read', expense1);
    await expectDenied(undefined, 'read', expense1);
    await expectActions(bob, expense1, ['read', 'PUT']);
    expect(await oso.isAllowed(alice, 'read', expense3)).toBe(true);
  });

  it('a wrong expectation fails with an AssertionError that says who, what and on what', async () => {
    const failure = oso.expectAllowed(bob, 'approve', expense1);
    await expect(failure).rejects.toBeInstanceOf(AssertionError);
    await expect(failure).rejects.toThrow(
      /^Expected the policy to allow User \{ id: 2, name: 'bob', .*\} to 'approve' Expense \{ id: 1, .*\}, but it denied it$/,
    );
    await expect(oso.expectDenied(alice, 'approve', expense1)).rejects.toThrow(
      /to deny User \{ id: 1, name: 'alice'.*, but it allowed it$/,
    );
    await expect(oso.expectActions(bob, expense1, ['read'])).rejects.toThrow(
      /to have the actions \[ 'read' \] on Expense .*, but the policy gives \[ 'PUT', 'read' \]/,
    );
  });

  it('an engine error is a failed assertion, not a denial', async () => {
    await expect(oso.expectDenied(alice, 'explode', expense3)).rejects.toThrow(
      /^The policy failed while deciding whether .*noSuchAttribute/s,
    );
  });

  it('a policy that does not load fails as the app would', async () => {
    await expect(createTestOso({ policyDir: policyFixture('broken') })).rejects.toBeInstanceOf(PolicyLoadError);
  });
});

/** The app's real authentication, which tests replace. */
@Injectable()
class JwtAuthGuard implements CanActivate {
  canActivate(): boolean {
    throw new UnauthorizedException('no token');
  }
}

@Controller('secured')
@UseGuards(JwtAuthGuard)
class SecuredController {
  @Get(':id')
  @Authorize('read', { resource: ExpenseResolver })
  read(@AuthorizedResource() expense: Expense) {
    return { id: expense.id };
  }
}

describe.each(PLATFORMS)('TestActorGuard on %s: e2e tests act as anyone without authentication', (platform) => {
  const actors = new TestActorGuard({ actors: USERS });
  const apps: INestApplication[] = [];
  afterAll(() => Promise.all(apps.map((app) => app.close())));

  it('as a global guard: the header names the actor; no header is a guest; an unknown name is a 500', async () => {
    const app = await createTestApp(platform, {
      oso: OsoModule.forRoot({ policyDir: POLICY_DIR, classes: POLAR_CLASSES }),
      controllers: [ExpensesController],
      providers: [ExpensesService, ExpenseResolver, { provide: APP_GUARD, useValue: actors }],
    });
    apps.push(app);
    const server = app.getHttpServer();
    await request(server).get('/expenses/1').set(actors.as('bob')).expect(200, { id: 1, description: 'train tickets' });
    await request(server).get('/expenses/1').set(actors.as('carol')).expect(404);
    await request(server).get('/expenses/1').expect(401);
    await request(server).get('/expenses/1').set(actors.as('mallory')).expect(500);
  });

  it("in place of the app's authentication guard, through overrideGuard", async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [OsoModule.forRoot({ policyDir: POLICY_DIR, classes: POLAR_CLASSES })],
      controllers: [SecuredController],
      providers: [ExpensesService, ExpenseResolver, JwtAuthGuard],
    })
      .overrideGuard(JwtAuthGuard)
      .useValue(new TestActorGuard({ actors: (name) => USERS[name], header: 'X-Act-As' }))
      .compile();
    const app =
      platform === 'fastify'
        ? moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter())
        : moduleRef.createNestApplication();
    apps.push(app);
    await app.init();
    if (platform === 'fastify') await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
    await request(app.getHttpServer()).get('/secured/1').set('x-act-as', 'alice').expect(200, { id: 1 });
    await request(app.getHttpServer()).get('/secured/2').set('x-act-as', 'alice').expect(404);
    await request(app.getHttpServer()).get('/secured/1').expect(401);
  });
});

describe('the nestjs-oso/testing entry point', () => {
  it('resolves through the exports map to the built helpers', async () => {
    const testing = await import('nestjs-oso/testing');
    expect(Object.keys(testing).sort()).toEqual(['TEST_ACTOR_HEADER', 'TestActorGuard', 'createTestOso']);
  });
});
