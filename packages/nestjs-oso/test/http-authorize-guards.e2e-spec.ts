import { Controller, Get, Module, type INestApplication, type Provider, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { GUARDS_METADATA } from '@nestjs/common/constants.js';
import { MessagePattern } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { jest } from '@jest/globals';
import request from 'supertest';
import { AuthorizeGuard } from '../src/decorators/authorize.guard.js';
import { Authorize, OsoModule } from '../src/index.js';
import { createTestApp, PLATFORMS, testOsoOptions, type Platform } from './app/create-app.js';
import { ExpenseResolver, ExpensesController, ExpensesService } from './app/expenses.controllers.js';

/**
 * The guard `@Authorize()` attaches does nothing on HTTP routes (OsoModule's global guard checks them), so an app
 * with OsoModule registers its HTTP routes without it (issue 19, item 5: it cost about 5% of a minimal route). The
 * decorator's guarantees hold: routes are checked as before, handlers of other transports keep it, and the metadata is
 * back once the app is up, so that an app without OsoModule built later from the same classes still fails at startup.
 * Only an app `NestFactory.create` builds is trimmed: a testing module may never become an app.
 */

/** An app as production code builds it (`NestFactory.create`), with OsoModule, initialised. */
async function createApp(
  platform: Platform,
  controllers: Type[],
  providers: Provider[] = [],
): Promise<INestApplication> {
  @Module({ imports: [OsoModule.forRoot(testOsoOptions())], controllers, providers })
  class AppModule {}
  const options = { logger: false as const };
  if (platform === 'express') return (await NestFactory.create(AppModule, options)).init();
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, new FastifyAdapter(), options);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

/** HTTP routes and a message handler in one class, under a class-level `@Authorize()`. */
@Controller('hybrid')
@Authorize('read', { resource: ExpenseResolver })
class HybridController {
  @Get(':id')
  read() {
    return { ok: true };
  }

  @MessagePattern('expense.read')
  readMessage() {
    return { ok: true };
  }
}

/** An HTTP-only controller with no dependency: it can be put in an app without OsoModule. */
@Controller('plain')
class PlainController {
  @Get()
  @Authorize()
  list() {
    return [];
  }
}

describe.each(PLATFORMS)('the guard @Authorize() attaches, on %s', (platform) => {
  let canActivate: ReturnType<typeof jest.spyOn>;
  beforeEach(() => {
    canActivate = jest.spyOn(AuthorizeGuard.prototype, 'canActivate');
  });
  afterEach(() => canActivate.mockRestore());

  it('is not called on HTTP routes, which answer as the policy says', async () => {
    const app = await createApp(platform, [ExpensesController], [ExpensesService, ExpenseResolver]);
    try {
      const statuses = [];
      for (const user of ['bob', 'carol', undefined]) {
        const call = request(app.getHttpServer()).get('/expenses/1');
        statuses.push((await (user ? call.set('x-user', user) : call)).status);
      }
      expect({ statuses, calls: canActivate.mock.calls.length }).toEqual({ statuses: [200, 404, 401], calls: 0 });
    } finally {
      await app.close();
    }
  });

  it('stays on a class that also has a message handler, where it is the check', async () => {
    const app = await createApp(platform, [HybridController], [ExpensesService, ExpenseResolver]);
    try {
      const allowed = await request(app.getHttpServer()).get('/hybrid/1').set('x-user', 'bob');
      expect({ status: allowed.status, calls: canActivate.mock.calls.length }).toEqual({ status: 200, calls: 1 });
    } finally {
      await app.close();
    }
  });
});

describe('the guards metadata, once an app with OsoModule is up', () => {
  it('is back as the decorator wrote it, and an app without OsoModule fails at startup', async () => {
    const handler = Object.getOwnPropertyDescriptor(PlainController.prototype, 'list')!.value as object;
    const before = Reflect.getOwnMetadata(GUARDS_METADATA, handler) as unknown[];
    expect(before).toContain(AuthorizeGuard);
    const app = await createApp('express', [PlainController]);
    await app.close();
    expect(Reflect.getOwnMetadata(GUARDS_METADATA, handler)).toEqual(before);
    await expect(Test.createTestingModule({ controllers: [PlainController] }).compile()).rejects.toThrow(
      /OSO:CALL_AUTHORIZER/,
    );
  });

  it('is left alone by a testing module with OsoModule that never becomes an app', async () => {
    const handler = Object.getOwnPropertyDescriptor(PlainController.prototype, 'list')!.value as object;
    const before = Reflect.getOwnMetadata(GUARDS_METADATA, handler) as unknown[];
    const compiled = await Test.createTestingModule({
      imports: [OsoModule.forRoot(testOsoOptions())],
      controllers: [PlainController],
    }).compile();
    expect(Reflect.getOwnMetadata(GUARDS_METADATA, handler)).toEqual(before);
    await expect(Test.createTestingModule({ controllers: [PlainController] }).compile()).rejects.toThrow(
      /OSO:CALL_AUTHORIZER/,
    );
    await compiled.close();
  });

  it('is left on the routes of a testing module app (the guard runs, and answers nothing)', async () => {
    const canActivate = jest.spyOn(AuthorizeGuard.prototype, 'canActivate');
    const app = await createTestApp('fastify', { controllers: [ExpensesController] });
    try {
      const res = await request(app.getHttpServer()).get('/expenses/1').set('x-user', 'bob');
      expect({ status: res.status, calls: canActivate.mock.calls.length }).toEqual({ status: 200, calls: 1 });
    } finally {
      canActivate.mockRestore();
      await app.close();
    }
  });
});
