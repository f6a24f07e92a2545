import { OsoError } from './oso.error.js';

/**
 * An app that nestjs-oso cannot protect as configured, found at startup or on the first call that shows it: an
 * option out of range, a handler whose rule cannot be enforced in its execution context, a resource resolver that is
 * not a provider, `@AuthorizedResource()` on a handler that loads no resource. The message names the option, the
 * route or the handler, and the fix. Thrown during a request, it answers 500.
 *
 * @example
 * try {
 *   await app.init();
 * } catch (error) {
 *   if (error instanceof OsoConfigurationError) console.error(error.message); // names the route and the fix
 * }
 * @publicApi
 */
export class OsoConfigurationError extends OsoError {
  override readonly name: string = 'OsoConfigurationError';
}
