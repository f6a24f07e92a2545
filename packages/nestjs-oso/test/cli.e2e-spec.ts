import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const packageDir = join(import.meta.dirname, '..');
/** The built CLI that the package's `bin` names, as `npx nestjs-oso` runs it (`npm test` builds before the tests). */
const CLI = join(packageDir, JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')).bin['nestjs-oso']);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI from the package folder, with `input` on stdin. */
function cli(args: string[], input = ''): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: packageDir, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe('the nestjs-oso command line', () => {
  describe('check', () => {
    it('exits 0 on a policy that loads, listing its files and classes', async () => {
      const run = await cli(['check', '--classes', 'test/fixtures/cli-classes.mjs', 'test/fixtures/policies/expenses']);
      expect(run).toEqual({
        code: 0,
        stdout:
          'OK: 2 policy files loaded, classes: HttpRequest, GraphQLOperation, InboundMessage, Clock, Expense, Membership, Organization, User\n' +
          '  test/fixtures/policies/expenses/authorization.polar\n' +
          '  test/fixtures/policies/expenses/routes/http.polar\n',
        stderr: '',
      });
    });

    it('without --classes, checks the policy with stand-ins for the classes it names, and says so', async () => {
      const run = await cli(['check', 'test/fixtures/policies/expenses']);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('OK: 2 policy files loaded');
      expect(run.stdout).toContain('note: without --classes, User, Organization, Expense are empty stand-ins');
    });

    it('warns, without failing, about an ordered comparison of an attribute that may be nil', async () => {
      const run = await cli(['check', 'test/fixtures/policies/nil-ordering']);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('OK: 1 policy file loaded');
      expect(run.stderr.trimEnd().split('\n')).toEqual([
        'test/fixtures/policies/nil-ordering/ranks.polar:3:3: warning: "resource.rank <" orders an attribute that may be nil: ' +
          'the engine orders nil as JavaScript orders null (nil < 2 and nil >= 0 are true), and so do compiled decisions ' +
          'and data filtering; add "resource.rank != nil and" before it if nil must not pass',
      ]);
    });

    it('exits 1 on a syntax error, with file:line:column and the line itself', async () => {
      const run = await cli(['check', 'test/fixtures/policies/broken']);
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toBe(
        "test/fixtures/policies/broken/broken.polar:3:17: error: did not expect to find the token ';'\n" +
          '\t003:   resource.id = ;\n' +
          '\t                     ^\n' +
          'FAILED: the policy does not load\n',
      );
    });

    it('exits 1 on a rule over a class the --classes modules do not have (oso alone only warns)', async () => {
      const run = await cli(['check', '-c', 'test/fixtures/cli-classes.mjs', 'test/fixtures/policies/typo/typo.polar']);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('test/fixtures/policies/typo/typo.polar:2:13: error: Unknown specializer Usr');
      expect(run.stderr).toContain('FAILED: 1 error');
    });

    it('exits 1 on a policy that names a class nobody registered, and on a folder that does not exist', async () => {
      const [unregistered, missing] = await Promise.all([
        cli(['check', '-c', 'test/fixtures/cli-classes.mjs', 'test/fixtures/policies/widgets']),
        cli(['check', 'test/no-such-folder']),
      ]);
      expect(unregistered.code).toBe(1);
      expect(unregistered.stderr).toContain(
        'test/fixtures/policies/widgets/widgets.polar:3:1: error: Unregistered class: Member',
      );
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain(
        `error: policyDir "${join(packageDir, 'test', 'no-such-folder')}" does not exist`,
      );
    });

    it('exits 2 on a wrong command line', async () => {
      const wrong = [
        [],
        ['check'],
        ['lint', 'test/fixtures/policies/expenses'],
        ['check', '--verbose', 'test/fixtures/policies/expenses'],
      ];
      const [badModule, ...runs] = await Promise.all([
        cli(['check', '--classes', 'test/fixtures/missing.mjs', 'test/fixtures/policies/expenses']),
        ...wrong.map((args) => cli(args)),
      ]);
      runs.forEach((run, i) => {
        expect({ args: wrong[i], code: run!.code }).toEqual({ args: wrong[i], code: 2 });
        expect(run!.stderr).toContain('Usage: nestjs-oso <check|repl>');
      });
      expect(badModule!.code).toBe(2);
      expect(badModule!.stderr).toContain('error: cannot import the --classes module test/fixtures/missing.mjs');
    });
  });

  describe('repl', () => {
    it('answers the queries piped into it, one a line, and goes on after an error', async () => {
      const run = await cli(
        ['repl', 'test/fixtures/policies/routes-only'],
        [
          'allow("ada", "GET", new HttpRequest("GET", "/", null, {}, {}, {}))',
          'allow("ada", "GET", new HttpRequest("GET", "/secret", null, {}, {}, {}));',
          'x = 1 or x = "two"',
          'allow(',
          '1 = 1',
        ].join('\n'),
      );
      // Piped input: a failed query makes the exit code 1, so that scripts notice.
      expect(run.code).toBe(1);
      expect(run.stdout).toBe(['true', 'false', 'x = 1', 'x = "two"', 'true', ''].join('\n'));
      expect(run.stderr).toContain('Loaded 1 policy file');
      expect(run.stderr).toMatch(/error: hit the end of the file unexpectedly/);
    });

    it('exits 1 when a piped query names a rule the policy does not have, and 0 when every query answers', async () => {
      const missing = await cli(['repl', 'test/fixtures/policies/routes-only'], 'nosuchrule(1)\n1 = 1\n');
      expect(missing.code).toBe(1);
      expect(missing.stdout).toBe('true\n');
      expect(missing.stderr).toMatch(/error: .*nosuchrule/i);
      const fine = await cli(['repl', 'test/fixtures/policies/routes-only'], '1 = 1\n1 = 2\n');
      expect(fine).toMatchObject({ code: 0, stdout: 'true\nfalse\n' });
    });

    it('exits 1 when the policy does not load', async () => {
      const run = await cli(['repl', 'test/fixtures/policies/broken'], 'true');
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('test/fixtures/policies/broken/broken.polar:3:17: error:');
    });
  });
});
