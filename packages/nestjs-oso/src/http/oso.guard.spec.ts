import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { RpcException } from '@nestjs/microservices';
import { Test, type TestingModule } from '@nestjs/testing';
import { Authorize } from '../decorators/authorize.decorator.js';
import { OsoGuard } from './oso.guard.js';
import { OsoModule } from '../module/oso.module.js';
import { OsoRouteAuthorizer } from './route-authorizer.service.js';
import { policyFixture } from '../../test/fixtures/policies.js';

class Gateway {
  @Authorize('read')
  onMessage() {}

  onPing() {}
}

describe('OsoGuard outside HTTP', () => {
  let guard: OsoGuard;
  let moduleRef: TestingModule;
  beforeAll(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [OsoModule.forRoot(policyFixture('routes-only'))],
    }).compile();
    guard = new OsoGuard(moduleRef.get(OsoRouteAuthorizer));
  });
  afterAll(() => moduleRef.close());

  const rpcContext = (handler: () => void) => {
    const context = new ExecutionContextHost([{ data: 1 }], Gateway, handler);
    context.setType('rpc');
    return context;
  };

  it("checks an @Authorize() handler of another transport, in that transport's error form", async () => {
    // No actor (the default reads none from a message): 401, as an RpcException a ClientProxy receives.
    const checked = Promise.resolve(guard.canActivate(rpcContext(Gateway.prototype.onMessage)));
    await expect(checked).rejects.toBeInstanceOf(RpcException);
    await expect(checked).rejects.toMatchObject({ error: { status: 401, message: 'Unauthorized' } });
  });

  it('refuses a context type it does not know rather than guess at its arguments', () => {
    const context = new ExecutionContextHost([{}], Gateway, Gateway.prototype.onMessage);
    context.setType('kafka-bridge' as 'rpc');
    expect(() => guard.canActivate(context)).toThrow(/"kafka-bridge" context, which nestjs-oso does not know/);
  });

  it('checks undecorated handlers of other transports on their InboundMessage, as it checks HTTP routes', async () => {
    const checked = Promise.resolve(guard.canActivate(rpcContext(Gateway.prototype.onPing)));
    await expect(checked).rejects.toMatchObject({ error: { status: 401 } });
  });
});

describe('OsoGuard on its common path', () => {
  let guard: OsoGuard;
  let moduleRef: TestingModule;
  beforeAll(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [OsoModule.forRoot({ policyDir: policyFixture('routes-only'), getActor: () => ({ id: 1 }) })],
    }).compile();
    guard = new OsoGuard(moduleRef.get(OsoRouteAuthorizer));
  });
  afterAll(() => moduleRef.close());

  class Pages {
    signedIn() {}
  }
  /** A fresh request each time: a request already checked would be let through without a decision. */
  const httpContext = (path: string) => {
    const context = new ExecutionContextHost(
      [{ method: 'GET', url: path, headers: {} }, {}],
      Pages,
      Pages.prototype.signedIn,
    );
    context.setType('http');
    return context;
  };

  it('decides synchronously once the decision is compiled, so Nest need not await it', async () => {
    await expect(Promise.resolve(guard.canActivate(httpContext('/signed-in')))).resolves.toBe(true); // compiles
    expect(guard.canActivate(httpContext('/signed-in'))).toBe(true);
  });

  it('still denies on that path, through a rejected promise', async () => {
    await expect(Promise.resolve(guard.canActivate(httpContext('/elsewhere')))).rejects.toMatchObject({ status: 403 });
    await expect(Promise.resolve(guard.canActivate(httpContext('/elsewhere')))).rejects.toMatchObject({ status: 403 });
  });
});
