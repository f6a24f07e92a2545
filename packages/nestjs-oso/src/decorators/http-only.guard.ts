import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { OsoConfigurationError } from '../errors/oso-configuration.error.js';

/**
 * The guard `@Authorize()` attaches to what it decorates, so that the decorator cannot be ignored where no global
 * enhancer reaches: `@Authorize()` checks HTTP routes only, so in any other context (a microservice handler, a
 * WebSocket handler, a GraphQL resolver) the call fails instead of running unchecked, even in an app that does not
 * import `OsoModule` (which would refuse such a handler at startup). On HTTP routes it lets OsoModule's guard decide.
 */
class HttpOnlyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    if (context.getType() === 'http') return true;
    throw new OsoConfigurationError(
      `@Authorize() on ${context.getClass().name}.${context.getHandler().name} checks HTTP routes only, ` +
        `not "${context.getType()}" calls: call OsoService.authorize() in the handler instead`,
    );
  }
}

// One object per process, under a registered symbol, so that the CommonJS and the ES module builds of nestjs-oso, if
// an app loads both, recognise each other's `@Authorize()`.
const SHARED_GUARD = Symbol.for('nestjs-oso:http-only-guard');

/** The one instance every `@Authorize()` attaches (an instance needs no provider in the controller's module). */
export const HTTP_ONLY_GUARD: CanActivate = ((globalThis as { [SHARED_GUARD]?: CanActivate })[SHARED_GUARD] ??=
  new HttpOnlyGuard());
