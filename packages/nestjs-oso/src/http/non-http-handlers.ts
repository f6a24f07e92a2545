import type { Type } from '@nestjs/common';
import { INTERCEPTORS_METADATA } from '@nestjs/common/constants.js';
import { RequireAuthorizationInterceptor } from './require-authorization.interceptor.js';
import { methodsOf, routeRuleOf } from './route-rules.js';

/**
 * The metadata keys other transports' decorators put on their handler methods, with what they make of a method.
 * Read as plain strings: @nestjs/microservices, @nestjs/websockets and @nestjs/graphql are optional.
 */
const NON_HTTP_HANDLER_KEYS: ReadonlyArray<readonly [key: string, kind: string]> = [
  ['microservices:pattern', 'a microservice handler (@MessagePattern or @EventPattern)'],
  ['websockets:message_mapping', 'a WebSocket handler (@SubscribeMessage)'],
  ['graphql:resolver_type', 'a GraphQL resolver'],
  ['graphql:resolve_property', 'a GraphQL field resolver'],
];

/** What another transport makes of `handler`, or undefined for an HTTP route or a plain method. */
export function nonHttpHandlerKind(handler: object): string | undefined {
  return NON_HTTP_HANDLER_KEYS.find(([key]) => Reflect.getMetadata(key, handler) !== undefined)?.[1];
}

/**
 * What nestjs-oso cannot enforce on the non-HTTP handlers of a class, one message per handler; empty when all is
 * well. Global guards and interceptors do not reach such handlers in every setup (a hybrid app's microservice gets
 * them only with `inheritAppConfig: true`), and `@Authorize()` checks HTTP routes only, so:
 * - `@Authorize()` on such a handler (or its class) is refused;
 * - under `requireAuthorization`, such a handler needs its own `RequireAuthorizationInterceptor` (on it or its
 *   class), which enforces in any context, or `@SkipAuthorization()`.
 */
export function unenforceableHandlers(classRef: Type, requireAuthorization: boolean): string[] {
  const problems: string[] = [];
  for (const [name, handler] of methodsOf(classRef)) {
    const kind = nonHttpHandlerKind(handler);
    if (!kind) continue;
    const where = `${classRef.name}.${name}`;
    const rule = routeRuleOf(classRef, handler);
    if (rule?.kind === 'authorize') {
      problems.push(
        `@Authorize() on ${where}, ${kind}: @Authorize() checks HTTP routes only. Remove it and call ` +
          'OsoService.authorize() in the handler, with @UseInterceptors(RequireAuthorizationInterceptor) on it to make sure it does',
      );
    } else if (requireAuthorization && rule?.kind !== 'skip' && !hasOwnRequireAuthorization(classRef, handler)) {
      problems.push(
        `requireAuthorization is on, but ${where} is ${kind}, which OsoModule's global interceptor does not reach in ` +
          'every app: add @UseInterceptors(RequireAuthorizationInterceptor) to it or its class (it then fails every call ' +
          "that does not authorize through OsoService), or mark it with @SkipAuthorization('why')",
      );
    }
  }
  return problems;
}

/** Whether the handler or its class lists `RequireAuthorizationInterceptor` (or a subclass) in `@UseInterceptors()`. */
function hasOwnRequireAuthorization(classRef: Type, handler: object): boolean {
  return [classRef, handler].some((target) =>
    ((Reflect.getMetadata(INTERCEPTORS_METADATA, target) ?? []) as unknown[]).some(
      (interceptor) =>
        interceptor instanceof RequireAuthorizationInterceptor ||
        (typeof interceptor === 'function' &&
          (interceptor === RequireAuthorizationInterceptor ||
            interceptor.prototype instanceof RequireAuthorizationInterceptor)),
    ),
  );
}
