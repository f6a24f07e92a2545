import { PACKAGE_CODE_DIR } from './code-location.js';

/**
 * What a failed engine call was about; by default only their classes are logged.
 *
 * @example
 * const subjects: EngineCallSubjects = { actor: user, action: 'read', resource: expense };
 */
export interface EngineCallSubjects {
  actor?: unknown;
  action?: unknown;
  resource?: unknown;
  field?: unknown;
}

/**
 * An engine failure as handed to `Logger.error`: the message, and the stack to print under it.
 *
 * @example
 * const { message, stack }: EngineErrorLog = engineErrorLog('isAllowed', error, subjects, false);
 */
export interface EngineErrorLog {
  message: string;
  stack?: string;
}

const VALUES_NOT_LOGGED = 'Field values are not logged; the logEngineErrorDetails option logs the whole message.';

/**
 * How a failed engine call is logged. oso's messages print the actor and resource whole (`Application error:
 * nickname not found on User { passwordHash: '...', token: '...' }`, and again in the trace of rule calls), and
 * application code called from a rule may throw anything. So by default the log is built only from parts that hold
 * no field value: the kind of error, the rule, file and line the engine names, where application code threw, and
 * the classes of the actor and resource. `detailed` (the `logEngineErrorDetails` option) logs the whole message and
 * stack, for development.
 *
 * @example
 * const { message, stack } = engineErrorLog('isAllowed', error, { actor, action, resource }, false);
 * logger.error(message, stack);
 */
export function engineErrorLog(
  what: string,
  error: unknown,
  subjects: EngineCallSubjects,
  detailed: boolean,
): EngineErrorLog {
  const { message, stack } = isErrorLike(error) ? error : { message: String(error), stack: undefined };
  if (detailed) return { message: `${what} failed in the policy engine: ${message}`, stack };
  const frames = stackFrames(stack);
  const parts = [errorKind(error), ...policyLocation(message)];
  const thrownAt = frames[0]?.replace(/^\s*at /, '');
  if (parts.length === 1 && thrownAt && !isLibraryFrame(thrownAt))
    parts.push(`thrown by application code at ${thrownAt}`);
  const summary = [...parts, describeSubjects(subjects)].filter(Boolean).join(' ');
  return {
    message: `${what} failed in the policy engine: ${summary}. ${VALUES_NOT_LOGGED}`,
    ...(frames.length > 0 && { stack: [errorKind(error), ...frames].join('\n') }),
  };
}

/** An `Error`, also from another realm (a VM context, a worker's message), by its shape. */
function isErrorLike(error: unknown): error is Error {
  return (
    error instanceof Error ||
    (typeof error === 'object' && error !== null && typeof (error as Error).message === 'string')
  );
}

/**
 * The kind of an error, without its message: oso's engine names its errors (`RuntimeError::Application`), its
 * other errors and application errors have a class (`UnregisteredClassError`, `TypeError`).
 *
 * @example
 * errorKind(new TypeError('x')); // 'TypeError'
 */
export function errorKind(error: unknown): string {
  if (isErrorLike(error)) {
    if (/^\w+(::\w+)+$/.test(error.name)) return error.name;
    const cls = error.constructor?.name;
    return cls && cls !== 'Error' ? cls : /^\w+$/.test(error.name) ? error.name : 'Error';
  }
  return `a thrown ${error === null ? 'null' : typeof error}`;
}

/**
 * Where in the policy the engine failed, from the parts of its message it writes itself: the innermost rule of its
 * trace (`in rule allow at line 3, ...` at the start of a line), the position that ends the message's line
 * (`... at line 3, column 53 of file /app/policy/docs.polar:`) and the policy line it quotes under it (a tab, the
 * line number, the policy text). Values in the message cannot pose as any of these: the engine prints them quoted,
 * with tabs and line breaks escaped, on lines that begin otherwise.
 */
function policyLocation(message: string): string[] {
  const rules = [...message.matchAll(/^\s+in rule (\w+) at line \d+, column \d+ of file \S+\.polar$/gm)];
  const rule = rules.at(-1)?.[1];
  const at = [...message.matchAll(/ at line (\d+), column (\d+)(?: of file (\S+\.polar))?:?$(?:\n\t\d+: (.*)$)?/gm)].at(
    -1,
  );
  const trace = rules.at(-1)?.[0].match(/at line (\d+), column (\d+) of file (\S+\.polar)$/);
  const [, line, column, file, policyText] = at ?? trace ?? [];
  return [
    ...(rule ? [`in rule ${rule}`] : []),
    ...(line ? [`at line ${line}, column ${column}${file ? ` of file ${file}` : ''}`] : []),
    ...(policyText?.trim() ? [`(policy: ${policyText.trim()})`] : []),
  ];
}

/** The frames that end a stack (`    at fn (file:line:column)`), without the message above them, which holds values. */
function stackFrames(stack: string | undefined): string[] {
  const lines = (stack ?? '').split('\n');
  const frame = /^ {4}at .*(?::\d+:\d+\)?|:0x[0-9a-f]+\)?|\((?:native|<anonymous>|index \d+)\))$/;
  let first = lines.length;
  while (first > 0 && frame.test(lines[first - 1]!)) first--;
  return lines.slice(first);
}

function isLibraryFrame(frame: string): boolean {
  return frame.includes('/node_modules/oso/') || frame.includes(PACKAGE_CODE_DIR) || frame.startsWith('wasm://');
}

/** `(actor User, action "read", resource Doc)`: classes, and the action when it reads as a name. */
function describeSubjects(subjects: EngineCallSubjects): string {
  const described: string[] = [];
  if ('actor' in subjects) described.push(`actor ${classOf(subjects.actor)}`);
  if ('action' in subjects) {
    const { action } = subjects;
    described.push(
      `action ${typeof action === 'string' && /^[\w:.\- ]{1,64}$/.test(action) ? JSON.stringify(action) : classOf(action)}`,
    );
  }
  if ('resource' in subjects) described.push(`resource ${classOf(subjects.resource)}`);
  if ('field' in subjects) described.push(`field ${classOf(subjects.field)}`);
  return described.length > 0 ? `(${described.join(', ')})` : '';
}

/** The class of a value, never the value: `User`, `String`, `nil`; a class itself (data filtering) is `class Doc`. */
function classOf(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'function') return `class ${value.name || '(anonymous)'}`;
  if (typeof value !== 'object') return typeof value === 'string' ? 'String' : typeof value;
  return (value as object).constructor?.name || 'Object';
}
