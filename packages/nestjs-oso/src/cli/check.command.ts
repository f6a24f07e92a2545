import { readFile } from 'node:fs/promises';
import { displayPath, loadCliPolicy, type CliPolicyOptions } from './cli-policy.js';
import { nilOrderingWarnings } from './nil-ordering-lint.js';

/** Where a command writes: the summary to `out`, diagnostics to `err`. */
export interface CliOutput {
  out: (line: string) => void;
  err: (line: string) => void;
}

/**
 * `nestjs-oso check <dir|file>...`: loads the policy the way `OsoModule` does and reports, with file and line, what
 * stops it from loading. Returns the exit code: 0 when it loads, 1 when it does not (or when a rule names a class the
 * `--classes` modules do not export). Oso's other warnings are printed and do not fail the check, nor do the
 * warnings about ordered comparisons of attributes that may be nil (see `nilOrderingWarnings`).
 */
export async function runCheck(options: CliPolicyOptions, output: CliOutput): Promise<number> {
  const policy = await loadCliPolicy(options);
  for (const warning of policy.warnings) output.err(warning);
  for (const error of policy.errors) output.err(error);
  if (policy.errors.length) {
    output.err(`FAILED: ${policy.errors.length} error${policy.errors.length === 1 ? '' : 's'}`);
    return 1;
  }
  for (const file of policy.files) {
    for (const { line, column, message } of nilOrderingWarnings(await readFile(file, 'utf8'))) {
      output.err(`${displayPath(file)}:${line}:${column}: warning: ${message}`);
    }
  }
  const files = policy.files.map(displayPath);
  output.out(
    `OK: ${files.length} policy file${files.length === 1 ? '' : 's'} loaded, classes: ${policy.classes.join(', ')}`,
  );
  for (const file of files) output.out(`  ${file}`);
  if (policy.stubs.length) {
    output.out(
      `note: without --classes, ${policy.stubs.join(', ')} ${policy.stubs.length === 1 ? 'is an empty stand-in' : 'are empty stand-ins'}: ` +
        'the syntax and rules are checked, not the names of your classes',
    );
  }
  return 0;
}
