import { createServer } from 'node:net';
import { Controller, Get, Module, UseInterceptors, type INestApplication, type Type } from '@nestjs/common';
import { ClientProxyFactory, MessagePattern, Transport, type ClientProxy } from '@nestjs/microservices';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { lastValueFrom } from 'rxjs';
import {
  Authorize,
  OsoModule,
  OsoService,
  RequireAuthorizationInterceptor,
  SkipAuthorization,
  type OsoModuleOptions,
} from '../src/index.js';
import { PLATFORMS, testOsoOptions, type Platform } from './app/create-app.js';
import { EXPENSES, USERS } from './fixtures/domain.js';
import { LogCollector } from './fixtures/log-collector.js';

const SECRET = 'rpc-secret';

/** `@Authorize()` on a microservice handler: enforced by the guard it attaches, global enhancers or not. */
@Controller()
class AuthorizedRpcController {
  @MessagePattern('secret')
  @Authorize('read', { resource: (data: { expense: number }) => EXPENSES.get(data.expense) })
  secret() {
    return { secret: SECRET };
  }
}

/** The actor of a call: HTTP's `request.user`, or the user a message names (the tests' trusted transport). */
const getActor: OsoModuleOptions['getActor'] = (context) =>
  context.getType() === 'rpc'
    ? USERS[(context.switchToRpc().getData() as { user?: string }).user ?? '']
    : context.switchToHttp().getRequest<{ user?: unknown }>().user;

/** `@Authorize()` on a class whose handlers include a microservice one. */
@Controller('mixed')
@Authorize()
class MixedController {
  @Get()
  http() {
    return { http: true };
  }

  @MessagePattern('mixed')
  rpc() {
    return { secret: SECRET };
  }
}

/** A microservice handler that neither authorizes nor says why not. */
@Controller()
class ForgottenRpcController {
  @MessagePattern('forgotten')
  forgotten() {
    return { secret: SECRET };
  }
}

/** Microservice handlers made to authorize by their own interceptor, which needs no global enhancer. */
@Controller()
@UseInterceptors(RequireAuthorizationInterceptor)
class CheckedRpcController {
  constructor(private readonly oso: OsoService) {}

  @MessagePattern('checked.forgets')
  forgets() {
    return { secret: SECRET };
  }

  @MessagePattern('checked.authorizes')
  async authorizes(data: { user: string; expense: number }) {
    await this.oso.authorize(USERS[data.user], 'read', EXPENSES.get(data.expense));
    return { id: data.expense };
  }

  @MessagePattern('checked.skips')
  @SkipAuthorization('a public lookup')
  skips() {
    return { public: true };
  }
}

/** A free TCP port on the loopback interface. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface HybridApp {
  app: INestApplication;
  client: ClientProxy;
}

/** A hybrid app: HTTP on the platform, plus a TCP microservice connected without `inheritAppConfig`. */
async function startHybrid(
  platform: Platform,
  controllers: Type[],
  options: Partial<OsoModuleOptions>,
  inheritAppConfig = false,
): Promise<HybridApp> {
  @Module({ imports: [OsoModule.forRoot(testOsoOptions(options))], controllers })
  class HybridModule {}
  const moduleRef = await Test.createTestingModule({ imports: [HybridModule] }).compile();
  const app =
    platform === 'fastify' ? moduleRef.createNestApplication(new FastifyAdapter()) : moduleRef.createNestApplication();
  app.useLogger(new LogCollector());
  const port = await freePort();
  app.connectMicroservice({ transport: Transport.TCP, options: { host: '127.0.0.1', port } }, { inheritAppConfig });
  try {
    await app.init();
    await app.startAllMicroservices();
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  const client = ClientProxyFactory.create({ transport: Transport.TCP, options: { host: '127.0.0.1', port } });
  await client.connect();
  return { app, client };
}

describe('@Authorize() in an app without OsoModule', () => {
  it('stops the app at startup instead of running the handler unchecked', async () => {
    await expect(Test.createTestingModule({ controllers: [AuthorizedRpcController] }).compile()).rejects.toThrow(
      /OSO:CALL_AUTHORIZER/,
    );
  });
});

describe('a microservice app from NestFactory.createMicroservice()', () => {
  it('starts under requireAuthorization, and its global interceptor fails a handler that never authorizes', async () => {
    @Module({
      imports: [OsoModule.forRoot(testOsoOptions({ requireAuthorization: true }))],
      controllers: [ForgottenRpcController, CheckedRpcController],
    })
    class MicroserviceModule {}
    const port = await freePort();
    const microservice = await NestFactory.createMicroservice(MicroserviceModule, {
      transport: Transport.TCP,
      options: { host: '127.0.0.1', port },
      logger: false,
      abortOnError: false,
    });
    await microservice.listen();
    const client = ClientProxyFactory.create({ transport: Transport.TCP, options: { host: '127.0.0.1', port } });
    try {
      const outcome = await lastValueFrom(client.send('forgotten', {})).then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );
      expect(outcome).toEqual({ error: { status: 'error', message: 'Internal server error' } });
      await expect(lastValueFrom(client.send('checked.skips', {}))).resolves.toEqual({ public: true });
    } finally {
      client.close();
      await microservice.close();
    }
  });
});

describe.each(PLATFORMS)('non-HTTP handlers in a hybrid app on %s', (platform: Platform) => {
  let started: HybridApp | undefined;
  afterEach(async () => {
    started?.client.close();
    await started?.app.close();
    started = undefined;
  });

  const send = (pattern: string, data: unknown = {}) => lastValueFrom(started!.client.send(pattern, data));

  const outcome = (pattern: string, data: unknown = {}) =>
    send(pattern, data).then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );

  describe.each([false, true])('@Authorize() on a microservice handler (inheritAppConfig: %s)', (inherit) => {
    beforeEach(async () => {
      started = await startHybrid(platform, [AuthorizedRpcController], { getActor }, inherit);
    });

    it('answers an allowed actor', async () => {
      await expect(send('secret', { user: 'bob', expense: 1 })).resolves.toEqual({ secret: SECRET });
    });

    it('refuses with 401, 403 or 404 semantics a client can tell apart, and says nothing of the data', async () => {
      expect(await outcome('secret', { expense: 1 })).toEqual({ error: { status: 401, message: 'Unauthorized' } });
      expect(await outcome('secret', { user: 'bob', expense: 2 })).toEqual({
        error: { status: 404, message: 'Not Found' },
      });
      expect(await outcome('secret', { user: 'bob', expense: 99 })).toEqual({
        error: { status: 404, message: 'Not Found' },
      });
    });
  });

  it('@Authorize() on a controller checks its microservice handler on the InboundMessage', async () => {
    started = await startHybrid(platform, [MixedController], { getActor });
    // The test policy has no rule for "message" on an InboundMessage: denied, and not read-checked (403).
    expect(await outcome('mixed', { user: 'bob' })).toEqual({ error: { status: 403, message: 'Forbidden' } });
  });

  it('with requireAuthorization, a microservice handler without its own check stops the app, naming the fix', async () => {
    await expect(startHybrid(platform, [ForgottenRpcController], { requireAuthorization: true })).rejects.toThrow(
      /requireAuthorization.*ForgottenRpcController\.forgotten.*@UseInterceptors\(RequireAuthorizationInterceptor\).*@SkipAuthorization/s,
    );
  });

  it('refuses while NestFactory.create() builds the app, before a microservice could be connected and answer', async () => {
    @Module({
      imports: [OsoModule.forRoot(testOsoOptions({ requireAuthorization: true }))],
      controllers: [ForgottenRpcController],
    })
    class ForgetfulModule {}
    const adapter = platform === 'fastify' ? new FastifyAdapter() : undefined;
    const created = adapter
      ? NestFactory.create(ForgetfulModule, adapter, { logger: false, abortOnError: false })
      : NestFactory.create(ForgetfulModule, { logger: false, abortOnError: false });
    await expect(created).rejects.toThrow(/requireAuthorization.*ForgottenRpcController\.forgotten/s);
  });

  it('without requireAuthorization, undecorated microservice handlers run as Nest runs them', async () => {
    started = await startHybrid(platform, [ForgottenRpcController], { requireAuthorization: false });
    await expect(send('forgotten')).resolves.toEqual({ secret: SECRET });
  });

  describe.each([false, true])(
    'a handler with its own RequireAuthorizationInterceptor (inheritAppConfig: %s)',
    (inherit) => {
      beforeEach(async () => {
        started = await startHybrid(platform, [CheckedRpcController], { requireAuthorization: true }, inherit);
      });

      it('fails when it never authorizes, and says nothing of its data', async () => {
        const failure = await send('checked.forgets').then(
          (value) => ({ value }),
          (error: unknown) => ({ error }),
        );
        expect(failure).not.toHaveProperty('value');
        expect(JSON.stringify(failure)).not.toContain(SECRET);
      });

      it('answers when it authorizes through OsoService, and fails when the policy denies', async () => {
        await expect(send('checked.authorizes', { user: 'bob', expense: 1 })).resolves.toEqual({ id: 1 });
        await expect(send('checked.authorizes', { user: 'bob', expense: 2 })).rejects.toBeDefined();
      });

      it('answers when it is skipped', async () => {
        await expect(send('checked.skips')).resolves.toEqual({ public: true });
      });
    },
  );
});
