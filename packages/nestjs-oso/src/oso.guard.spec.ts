import { join } from 'node:path';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { Test, type TestingModule } from '@nestjs/testing';
import { Authorize } from './decorators/authorize.decorator.js';
import { OsoGuard } from './oso.guard.js';
import { OsoModule } from './oso.module.js';
import { OsoRouteAuthorizer } from './route-authorizer.js';

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
      imports: [OsoModule.forRoot(join(import.meta.dirname, '..', 'test', 'policies-routes-only'))],
    }).compile();
    guard = new OsoGuard(moduleRef.get(OsoRouteAuthorizer));
  });
  afterAll(() => moduleRef.close());

  const rpcContext = (handler: () => void) => {
    const context = new ExecutionContextHost([{ data: 1 }], Gateway, handler);
    context.setType('rpc');
    return context;
  };

  it('refuses an @Authorize() handler of another transport rather than letting it through', async () => {
    await expect(guard.canActivate(rpcContext(Gateway.prototype.onMessage))).rejects.toThrow(
      '@Authorize() on Gateway.onMessage needs an HTTP context, not "rpc"',
    );
  });

  it('lets undecorated handlers of other transports through', async () => {
    await expect(guard.canActivate(rpcContext(Gateway.prototype.onPing))).resolves.toBe(true);
  });
});
