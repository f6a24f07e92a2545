import { execFileSync } from 'node:child_process';
import { describe, expect, it } from '@jest/globals';

/**
 * What loading oso 0.27 does to a process, as the README's caveats say: through `require("repl")` it loads Node's
 * `domain` module, after which `process.setUncaughtExceptionCaptureCallback()` throws. Each check runs in a fresh
 * Node process, since jest's own may have loaded `domain` for other reasons. If this fails, oso has changed: update
 * the caveat (and the benchmark's "oso loaded, unused" figures).
 */
describe('loading oso', () => {
  const inFreshNode = (script: string) =>
    execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', cwd: import.meta.dirname }).trim();
  const domainLoaded = `console.log(process.moduleLoadList.includes('NativeModule domain'))`;

  it("loads Node's domain module, which a bare Node process does not", () => {
    expect(inFreshNode(domainLoaded)).toBe('false');
    expect(inFreshNode(`require('oso'); ${domainLoaded}`)).toBe('true');
  });

  it('makes process.setUncaughtExceptionCaptureCallback throw', () => {
    const script = `require('oso');
      try { process.setUncaughtExceptionCaptureCallback(() => {}); console.log('set'); }
      catch (error) { console.log(error.code); }`;
    expect(inFreshNode(script)).toBe('ERR_DOMAIN_CANNOT_SET_UNCAUGHT_EXCEPTION_CAPTURE');
  });
});
