import { OsoError } from './oso.error.js';

/**
 * A policy that cannot be loaded: a missing folder or file, a duplicate class name, or Polar that does not parse or
 * names an unknown class. The message names the folder, file, line or option at fault, so that a misconfigured app
 * stops at startup with something a person can act on; when the engine refused the policy, its error is the `cause`.
 *
 * @example
 * try {
 *   await createOsoEngine({ policyDir: 'policy' });
 * } catch (error) {
 *   if (error instanceof PolicyLoadError) console.error(error.message);
 * }
 * @publicApi
 */
export class PolicyLoadError extends OsoError {
  override readonly name: string = 'PolicyLoadError';
}

/**
 * What to tell a person about a policy that does not load: the engine's own words when it refused the policy (they
 * name the file, line and column), else the message.
 *
 * @internal
 */
export function policyLoadDetail(error: Error): string {
  return error instanceof PolicyLoadError && error.cause instanceof Error ? error.cause.message : error.message;
}
