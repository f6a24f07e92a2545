import { createInterface } from 'node:readline';
import { inspect } from 'node:util';
import type { Oso } from 'oso';
import { loadCliPolicy, type CliPolicyOptions } from './cli-policy.js';
import type { CliOutput } from './check.command.js';

/** A query that keeps producing results (a recursive rule) is cut off here. */
const MAX_RESULTS = 100;

/**
 * `nestjs-oso repl <dir|file>...`: loads the policy like `check`, then answers the Polar queries it reads, one a
 * line: `true` / `false` for a query without variables, one line of bindings per result otherwise. A query that
 * fails prints its error and the session goes on. Returns 0 at the end of the input, or 1 when a query read from a
 * pipe or file failed (so that scripts notice); at an interactive prompt a failed query only prints its error.
 */
export async function runRepl(
  options: CliPolicyOptions,
  output: CliOutput,
  input: NodeJS.ReadableStream & { isTTY?: boolean } = process.stdin,
): Promise<number> {
  const policy = await loadCliPolicy(options);
  for (const warning of [...policy.warnings, ...policy.errors]) output.err(warning);
  output.err(
    `Loaded ${policy.files.length} policy file${policy.files.length === 1 ? '' : 's'} (classes: ${policy.classes.join(', ')}). ` +
      'Type a query such as allow("alice", "read", "doc"); end with Ctrl-D.',
  );
  const interactive = input.isTTY === true;
  const lines = createInterface({
    input,
    ...(interactive && { output: process.stdout, prompt: 'query> ' }),
    terminal: interactive,
  });
  if (interactive) lines.prompt();
  let failed = false;
  for await (const line of lines) {
    const query = line.trim().replace(/;+$/, '');
    if (query && !(await answer(policy.engine, query, output))) failed = true;
    if (interactive) lines.prompt();
  }
  return failed && !interactive ? 1 : 0;
}

/** Prints the answers to one query; false when it failed. */
async function answer(engine: Oso, query: string, output: CliOutput): Promise<boolean> {
  try {
    let count = 0;
    for await (const bindings of engine.query(query)) {
      if (++count > MAX_RESULTS) {
        output.out(`... (stopped after ${MAX_RESULTS} results)`);
        return true;
      }
      output.out(bindings.size ? [...bindings].map(([name, value]) => `${name} = ${show(value)}`).join(', ') : 'true');
    }
    if (count === 0) output.out('false');
    return true;
  } catch (error) {
    output.err(`error: ${(error as Error).message.trimEnd()}`);
    return false;
  }
}

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : inspect(value, { depth: 2, breakLength: Infinity });
}
