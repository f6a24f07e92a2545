import { execFileSync } from 'node:child_process';
import { describe, expect, it } from '@jest/globals';

/**
 * oso 0.27 requires Node's `repl` as it loads, and `repl` loads `domain`, which wraps the constructor of every event
 * emitter and makes `process.setUncaughtExceptionCaptureCallback()` throw. nestjs-oso loads oso without `repl`
 * (src/engine/oso-library.ts). Each check runs in a fresh Node process on the built package, since jest's own process has
 * loaded `domain` for other reasons. If the first test fails, oso has changed: is the stand-in still needed?
 */
describe('loading oso', () => {
  const inFreshNode = (script: string) =>
    execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      cwd: import.meta.dirname,
    }).trim();
  const loaded = `process.moduleLoadList.filter((name) => /^NativeModule (repl|domain)$/.test(name)).join()`;

  it("loads Node's repl and domain modules when imported directly", () => {
    expect(inFreshNode(`console.log(${loaded})`)).toBe('');
    expect(inFreshNode(`await import('oso'); console.log(${loaded})`)).toBe('NativeModule domain,NativeModule repl');
  });

  it("loads neither through nestjs-oso, whose engines are instances of the app's own oso", () => {
    const script = `const { createOsoEngine } = await import('nestjs-oso');
      const engine = await createOsoEngine({ policyDir: 'fixtures/policies/routes-only' });
      const modules = ${loaded};
      const { Oso } = await import('oso');
      console.log(JSON.stringify({ modules, sameOso: engine instanceof Oso }));`;
    expect(JSON.parse(inFreshNode(script))).toEqual({ modules: '', sameOso: true });
  });

  it('leaves the real repl module to whoever asks for it next, and setUncaughtExceptionCaptureCallback working', () => {
    const script = `await import('nestjs-oso');
      process.setUncaughtExceptionCaptureCallback(() => {});
      process.setUncaughtExceptionCaptureCallback(null);
      const { createRequire } = await import('node:module');
      console.log(typeof createRequire(process.cwd() + '/')('repl').REPLServer);`;
    expect(inFreshNode(script)).toBe('function');
  });
});
