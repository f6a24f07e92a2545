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
 * fails prints its error and the session goes on. Returns 0 at the end of the input.
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
  const lines = createInterface({ input, ...(interactive && { output: process.stdout, prompt: 'query> ' }), terminal: interactive });
  if (interactive) lines.prompt();
  for await (const line of lines) {
    const query = line.trim().replace(/;+$/, '');
    if (query) await answer(policy.engine, query, output);
    if (interactive) lines.prompt();
  }
  return 0;
}

async function answer(engine: Oso, query: string, output: CliOutput): Promise<void> {
  try {
    let count = 0;
    for await (const bindings of engine.query(query)) {
      if (++count > MAX_RESULTS) {
        output.out(`... (stopped after ${MAX_RESULTS} results)`);
        return;
      }
      output.out(bindings.size ? [...bindings].map(([name, value]) => `${name} = ${show(value)}`).join(', ') : 'true');
    }
    if (count === 0) output.out('false');
  } catch (error) {
    output.err(`error: ${(error as Error).message.trimEnd()}`);
  }
}

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : inspect(value, { depth: 2, breakLength: Infinity });
}
