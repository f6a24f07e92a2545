/**
 * Whether a value is a promise (or any thenable), so that the route check can stay synchronous when nothing it
 * calls is asynchronous: Nest awaits only the guards that return promises.
 */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}
