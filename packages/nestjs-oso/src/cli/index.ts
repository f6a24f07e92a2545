#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { PolicyLoadError, policyLoadDetail } from '../errors/policy-load.error.js';
import { runCheck, type CliOutput } from './check.command.js';
import { CliUsageError, formatDiagnostic } from './cli-policy.js';
import { runRepl } from './repl.command.js';

const USAGE = `Usage: nestjs-oso <check|repl> [--classes <module>]... <policy folder or file>...

Commands:
  check   Load the policy the way OsoModule does. Prints each error as file:line:column and exits 1 when
          the policy does not load; exits 0 when it does.
  repl    Load the policy, then answer the Polar queries read from stdin, one a line; from a pipe or
          a file, exits 1 if a query failed.

Options:
  -c, --classes <module>  A JavaScript module whose exported classes (and arrays of classes or
                          { class, name } entries) the policy refers to; repeatable. Nest modules,
                          controllers, providers and filters among them are skipped, unless they carry
                          @PolarClass(). Without it, the classes the policy names are registered as
                          empty stand-ins.
  -h, --help              Show this help.

Exit codes: 0 the policy loads, 1 it does not (or a piped repl query failed), 2 the command line is wrong.`;

/** Runs the command line `args` and returns the exit code. */
async function main(args: string[], output: CliOutput): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { classes: { type: 'string', short: 'c', multiple: true }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    output.err(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const [command, ...paths] = parsed.positionals;
  if (parsed.values.help) {
    output.out(USAGE);
    return 0;
  }
  if ((command !== 'check' && command !== 'repl') || paths.length === 0) {
    output.err(
      `${command && command !== 'check' && command !== 'repl' ? `Unknown command "${command}".` : 'Missing arguments.'}\n\n${USAGE}`,
    );
    return 2;
  }
  const options = { paths, classModules: parsed.values.classes ?? [] };
  try {
    return command === 'check' ? await runCheck(options, output) : await runRepl(options, output);
  } catch (error) {
    if (error instanceof CliUsageError) {
      output.err(`error: ${error.message}`);
      return 2;
    }
    if (error instanceof PolicyLoadError) {
      output.err(formatDiagnostic('error', policyLoadDetail(error)));
      output.err('FAILED: the policy does not load');
      return 1;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});
