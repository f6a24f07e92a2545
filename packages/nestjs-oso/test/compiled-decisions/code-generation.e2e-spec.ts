import { execFileSync } from 'node:child_process';
import { describe, expect, it } from '@jest/globals';

/**
 * Compiled decisions are JavaScript functions generated from the compiler's own templates (predicate-compiler.ts).
 * Where the process forbids generating code from strings (`node --disallow-code-generation-from-strings`, a hardened
 * platform), the compiler must not fail open or break the app: the engine decides every triple, and says why. Runs
 * in a fresh Node process on the built package, since the flag is the process's own.
 */
describe('compiled decisions without code generation from strings', () => {
  const script = `
    import { mkdtempSync, writeFileSync } from 'node:fs';
    import { tmpdir } from 'node:os';
    import { join } from 'node:path';
    import { createOsoEngine, OsoService } from 'nestjs-oso';
    class User { constructor(id) { this.id = id; } }
    class Doc { constructor(ownerId) { this.ownerId = ownerId; } }
    const policyDir = mkdtempSync(join(tmpdir(), 'nestjs-oso-codegen-'));
    writeFileSync(join(policyDir, 'policy.polar'), 'allow(u: User, "read", d: Doc) if d.ownerId = u.id;');
    const options = { policyDir, classes: [User, Doc], warmUp: false };
    const oso = new OsoService(await createOsoEngine(options), options);
    const answers = [];
    for (const [user, doc] of [[1, 1], [1, 2], [2, 2]]) answers.push(await oso.isAllowed(new User(user), 'read', new Doc(doc)));
    const [info] = oso.compiledDecisions();
    let evalAllowed = true;
    try { new Function('return 1'); } catch { evalAllowed = false; }
    console.log(JSON.stringify({ answers, status: info.status, reason: info.reason, engine: info.engineDecisions, evalAllowed }));`;
  const run = (flags: string[]) =>
    JSON.parse(
      execFileSync(process.execPath, [...flags, '--input-type=module', '-e', script], {
        encoding: 'utf8',
        cwd: import.meta.dirname,
      })
        .trim()
        .split('\n')
        .at(-1)!, // after the module's debug lines
    );

  it('compiles where code generation is allowed', () => {
    expect(run([])).toMatchObject({ answers: [true, false, true], status: 'compiled', engine: 0, evalAllowed: true });
  });

  it('leaves every decision to the engine where it is not, with the same answers and the reason', () => {
    const result = run(['--disallow-code-generation-from-strings']);
    expect(result).toMatchObject({ answers: [true, false, true], status: 'engine', engine: 3, evalAllowed: false });
    expect(result.reason).toMatch(/code generation from strings is not allowed/);
  });
});
