/**
 * The base class of every error nestjs-oso throws on its own account: a policy that does not load, a data filtering
 * request it cannot answer exactly, a configuration it refuses. Catch it to tell the library's errors from the app's;
 * the specific classes below it say which. An error that comes from somewhere else (the engine, the file system, a
 * resolver) is kept as `cause`.
 *
 * @example
 * try {
 *   await createOsoEngine({ policyDir: 'policy' });
 * } catch (error) {
 *   if (error instanceof OsoError) logger.error(error.message, { cause: error.cause });
 * }
 * @publicApi
 */
export class OsoError extends Error {
  override readonly name: string = 'OsoError';
}
