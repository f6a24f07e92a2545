import { AssertionError } from 'node:assert';
import { inspect } from 'node:util';
import type { Oso } from 'oso';
import type { OsoModuleOptions } from '../module/oso-module-options.interface.js';
import { createOsoEngine } from '../policy/policy-loader.js';

/**
 * A policy engine for unit tests, with one-line assertions on its decisions. Its functions need no `this`, so they
 * can be destructured.
 *
 * @example
 * const { expectAllowed, expectDenied } = await createTestOso({ policyDir, classes: [User, Expense] });
 * await expectAllowed(alice, 'approve', expense);
 * await expectDenied(bob, 'approve', expense);
 * @publicApi
 */
export interface TestOso {
  /** The engine, built exactly as `OsoModule` builds it. */
  readonly engine: Oso;
  /** Whether `allow(actor, action, resource)` holds. */
  isAllowed(actor: unknown, action: unknown, resource: unknown): Promise<boolean>;
  /** Resolves when the policy allows it; otherwise rejects with an `AssertionError` that says who, what and on what. */
  expectAllowed(actor: unknown, action: unknown, resource: unknown): Promise<void>;
  /** Resolves when the policy denies it; otherwise rejects with an `AssertionError` that says who, what and on what. */
  expectDenied(actor: unknown, action: unknown, resource: unknown): Promise<void>;
  /** Resolves when the actions the actor may do on the resource are exactly `expected` (in any order). */
  expectActions(actor: unknown, resource: unknown, expected: unknown[]): Promise<void>;
}

/**
 * Builds the policy engine of some module options (`policyDir`, `policyFiles`, `classes` with their `@PolarClass()`
 * metadata, `readAction`) the way `OsoModule` does, for policy unit tests without a Nest app. A policy that does not
 * load rejects with the same `PolicyLoadError` the app would stop with. Classes declared with
 * `OsoModule.forFeature()` are not seen here: list them in `classes`.
 *
 * @example
 * const oso = await createTestOso({ policyDir: join(import.meta.dirname, '../policy'), classes: [User, Expense] });
 * await oso.expectAllowed(alice, 'read', expense);
 * @throws {PolicyLoadError} when the policy does not load.
 * @publicApi
 */
export async function createTestOso(options: OsoModuleOptions): Promise<TestOso> {
  const engine = await createOsoEngine(options);
  const isAllowed = (actor: unknown, action: unknown, resource: unknown) =>
    decide(`whether ${show(actor)} may ${show(action)} ${show(resource)}`, () =>
      engine.queryRuleOnce('allow', actor ?? null, action, resource),
    );
  const expectDecision = async (
    allowed: boolean,
    actor: unknown,
    action: unknown,
    resource: unknown,
  ): Promise<void> => {
    if ((await isAllowed(actor, action, resource)) === allowed) return;
    throw new AssertionError({
      // The stack starts at the test's own line.
      stackStartFn: expectDecision,
      message:
        `Expected the policy to ${allowed ? 'allow' : 'deny'} ${show(actor)} to ${show(action)} ${show(resource)}, ` +
        `but it ${allowed ? 'denied' : 'allowed'} it`,
      actual: !allowed,
      expected: allowed,
      operator: allowed ? 'expectAllowed' : 'expectDenied',
    });
  };
  const expectActions = async (actor: unknown, resource: unknown, expected: unknown[]): Promise<void> => {
    const actions = await decide(`the actions of ${show(actor)} on ${show(resource)}`, () =>
      engine.authorizedActions(actor ?? null, resource),
    );
    const [actual, wanted] = [[...actions].map(String).sort(), expected.map(String).sort()];
    if (actual.join('\n') === wanted.join('\n')) return;
    throw new AssertionError({
      stackStartFn: expectActions,
      message: `Expected ${show(actor)} to have the actions ${show(wanted)} on ${show(resource)}, but the policy gives ${show(actual)}`,
      actual,
      expected: wanted,
      operator: 'expectActions',
    });
  };
  return {
    engine,
    isAllowed,
    expectAllowed: (actor, action, resource) => expectDecision(true, actor, action, resource),
    expectDenied: (actor, action, resource) => expectDecision(false, actor, action, resource),
    expectActions,
  };
}

/** Runs a query; an engine failure (a rule that errors, a missing attribute) is a failed assertion, not a denial. */
async function decide<T>(what: string, query: () => Promise<T>): Promise<T> {
  try {
    return await query();
  } catch (error) {
    throw new AssertionError({ message: `The policy failed while deciding ${what}: ${(error as Error).message}` });
  }
}

function show(value: unknown): string {
  return inspect(value, { depth: 1, breakLength: Infinity, compact: true });
}
