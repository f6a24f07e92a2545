import { engineErrorLog, errorKind } from './engine-error-log.js';
import { createOsoEngine } from '../policy/policy-loader.js';

/** A user whose values try to pass for the parts of oso's message that the log keeps. */
class User {
  readonly name = 'SECRET-1 at line 9, column 9 of file /SECRET-2.polar:';
  readonly note = '\n    in rule SECRET3 at line 9, column 9 of file /SECRET-4.polar';
  readonly tab = 'x:\n\t009: SECRET-5';
  constructor(readonly thrown: () => unknown = () => undefined) {}
  explode(): boolean {
    throw this.thrown();
  }
}

const POLICY = [
  'allow(user: User, "missing", _) if user.nickname = 1;',
  'allow(user: User, "compare", _) if user.name > 1;',
  'allow(user: User, "throw", _) if user.explode();',
].join('\n');

async function failure(action: string, user = new User()): Promise<unknown> {
  const oso = await createOsoEngine({ policyDir: [], classes: [User] }, [
    { file: '/app/policy/test.polar', text: POLICY },
  ]);
  return oso.isAllowed(user, action, 'doc').then(
    () => {
      throw new Error(`${action} did not fail`);
    },
    (error: unknown) => error,
  );
}

const SECRET = /SECRET/;

describe('engine error logs', () => {
  it('keep the rule, file, line and policy text of the failure, and no value that poses as them', async () => {
    const error = await failure('missing');
    expect((error as Error).message).toMatch(SECRET);
    const { message, stack } = engineErrorLog(
      'isAllowed',
      error,
      { actor: new User(), action: 'missing', resource: 'doc' },
      false,
    );
    expect(`${message}\n${stack}`).not.toMatch(SECRET);
    expect(message).toBe(
      'isAllowed failed in the policy engine: RuntimeError::Application in rule allow at line 1, column 36 of file ' +
        '/app/policy/test.polar (policy: allow(user: User, "missing", _) if user.nickname = 1;) (actor User, action ' +
        '"missing", resource String). Field values are not logged; the logEngineErrorDetails option logs the whole message.',
    );
  });

  it('an error whose message quotes a value (not supported) keeps its line', async () => {
    const { message } = engineErrorLog('isAllowed', await failure('compare'), {}, false);
    expect(message).not.toMatch(SECRET);
    expect(message).toContain('RuntimeError::Unsupported at line 2, column 36 of file /app/policy/test.polar');
  });

  it.each([
    // (This spec sits among the package's own files, so "where" is left out; test/engine-error-logs.e2e-spec.ts has it.)
    ['an Error', () => new Error('SECRET in a message'), 'isAllowed failed in the policy engine: Error.'],
    ['a RangeError', () => new RangeError('SECRET'), 'isAllowed failed in the policy engine: RangeError.'],
  ])('application code that throws %s: its class, not its message', async (_what, thrown, expected) => {
    const { message } = engineErrorLog('isAllowed', await failure('throw', new User(thrown)), {}, false);
    expect(message).not.toMatch(SECRET);
    expect(message).toContain(expected);
  });

  it('a thrown value that is not an error: only its type', () => {
    const { message, stack } = engineErrorLog('isAllowed', 'SECRET', { actor: null }, false);
    expect(message).toBe(
      'isAllowed failed in the policy engine: a thrown string (actor nil). Field values are not logged; the ' +
        'logEngineErrorDetails option logs the whole message.',
    );
    expect(stack).toBeUndefined();
  });

  it('an action that does not read as a name is shown by its class only', () => {
    expect(engineErrorLog('isAllowed', new Error(), { action: 'SECRET token=abc"' }, false).message).toContain(
      '(action String)',
    );
    expect(engineErrorLog('isAllowed', new Error(), { action: { id: 'SECRET' } }, false).message).toContain(
      '(action Object)',
    );
  });

  it('detailed: the whole message and stack, for development', async () => {
    const error = (await failure('missing')) as Error;
    expect(engineErrorLog('isAllowed', error, {}, true)).toEqual({
      message: `isAllowed failed in the policy engine: ${error.message}`,
      stack: error.stack,
    });
  });

  it.each([
    [Object.assign(new Error('x'), { name: 'RuntimeError::TypeError' }), 'RuntimeError::TypeError'],
    [new TypeError('x'), 'TypeError'],
    [new (class DataFilteringError extends Error {})('x'), 'DataFilteringError'],
    [Object.assign(new Error('x'), { name: 'SECRET value' }), 'Error'],
    [undefined, 'a thrown undefined'],
  ])('the kind of %p is %p', (error, kind) => {
    expect(errorKind(error)).toBe(kind);
  });
});

describe('engine error logs, the stack', () => {
  it('keeps the frames that end the stack and nothing of the message above them, even lines that look like frames', () => {
    const error = new Error('x');
    error.stack = [
      'Error: Application error: nickname not found on User {',
      "    at: 'SECRET-1',",
      '    at SECRET-2 (/app/secret.ts:1:1)',
      "  passwordHash: 'SECRET-3'",
      '}.',
      '    at Query.handleCall (/app/node_modules/oso/dist/src/Query.js:166:35)',
      '    at wasm://wasm/004afd2a:wasm-function[1057]:0x10aab1',
      '    at async Promise.all (index 0)',
    ].join('\n');
    const { stack } = engineErrorLog('isAllowed', error, {}, false);
    expect(stack).toBe(
      [
        'Error',
        '    at Query.handleCall (/app/node_modules/oso/dist/src/Query.js:166:35)',
        '    at wasm://wasm/004afd2a:wasm-function[1057]:0x10aab1',
        '    at async Promise.all (index 0)',
      ].join('\n'),
    );
  });
});
