/**
 * The guard `@Authorize()` attaches (`AuthorizeGuard`) decides nothing on HTTP routes, where OsoModule's global
 * guard always runs and checks the route, yet Nest calls it on every request: about 5% of the instructions of a
 * minimal Fastify route (bench/instructions-per-request.sh). So while an HTTP application with OsoModule registers
 * its routes, its HTTP route handlers do not carry it: OsoModule takes it out of their guards metadata when
 * `NestFactory.create` builds the app and puts it back once the app has registered its routes (`onModuleInit`
 * follows the router's registration), so that another app built later from the same classes without OsoModule
 * still fails at startup. A testing module (which gets its HTTP adapter only when it becomes an app, and may never
 * become one) changes nothing: its routes keep the guard. Handlers of other transports (and classes that have any)
 * keep it too: there it is the check.
 */
import { GUARDS_METADATA, METHOD_METADATA } from '@nestjs/common/constants.js';
import type { Type } from '@nestjs/common';
import { isAuthorizeGuard } from '../decorators/authorize.guard.js';
import { nonHttpHandlerOf } from './non-http-handlers.js';

/** Guards metadata taken out, by target (a handler or a class), to put back. */
const taken = new Map<object, unknown[]>();
/** Apps created and not yet done registering their routes. */
let pending = 0;

/**
 * Takes `AuthorizeGuard` out of the HTTP route handlers of `classes` (and of those classes whose every handler is an
 * HTTP route) until `restoreHttpAuthorizeGuards()`.
 */
export function withoutHttpAuthorizeGuards(classes: Type[]): void {
  pending++;
  for (const classRef of classes) {
    let onlyHttp = true;
    for (const name of Object.getOwnPropertyNames(classRef.prototype)) {
      if (name === 'constructor') continue;
      const handler = Object.getOwnPropertyDescriptor(classRef.prototype, name)?.value as object | undefined;
      if (typeof handler !== 'function') continue;
      if (nonHttpHandlerOf(handler, name)) {
        onlyHttp = false;
        continue;
      }
      if (Reflect.getMetadata(METHOD_METADATA, handler) !== undefined) take(handler);
    }
    if (onlyHttp) take(classRef);
  }
}

/** Puts back what `withoutHttpAuthorizeGuards` took, once no app is left registering its routes. */
export function restoreHttpAuthorizeGuards(): void {
  if (pending > 0) pending--;
  if (pending > 0) return;
  for (const [target, guards] of taken) Reflect.defineMetadata(GUARDS_METADATA, guards, target);
  taken.clear();
}

function take(target: object): void {
  const guards = Reflect.getOwnMetadata(GUARDS_METADATA, target) as unknown[] | undefined;
  if (!guards?.some(isAuthorizeGuard) || taken.has(target)) return;
  taken.set(target, guards);
  Reflect.defineMetadata(
    GUARDS_METADATA,
    guards.filter((guard) => !isAuthorizeGuard(guard)),
    target,
  );
}
