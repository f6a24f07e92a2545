import { jest } from '@jest/globals';
import { Oso } from 'oso';
import { OsoModule } from '../src/index.js';
import { createTestApp, testOsoOptions } from './app/create-app.js';

/**
 * The first checks of a process run on a cold WebAssembly engine (measured: several ms each instead of ~0.5 ms),
 * so the module runs checks on a scratch engine at startup, once per process. Its effect on latency is measured
 * in `npm run bench`; here, that it happens when it should.
 */
describe('engine warm-up at startup', () => {
  const checks = jest.spyOn(Oso.prototype, 'isAllowed');
  afterAll(() => checks.mockRestore());

  const checksDuringStartup = async (warmUp?: boolean) => {
    checks.mockClear();
    const app = await createTestApp('express', { oso: OsoModule.forRoot(testOsoOptions({ warmUp })) });
    const count = checks.mock.calls.length;
    await app.close();
    return count;
  };

  it('does not run with warmUp: false', async () => {
    expect(await checksDuringStartup(false)).toBe(0);
  });

  it('runs by default before the app takes requests', async () => {
    expect(await checksDuringStartup()).toBeGreaterThanOrEqual(100);
  });

  it('runs once per process', async () => {
    expect(await checksDuringStartup()).toBe(0);
  });
});
