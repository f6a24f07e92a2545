import type { Type } from '@nestjs/common';
import type { ModulesContainer } from '@nestjs/core';
import { GUARDS_METADATA, INTERCEPTORS_METADATA } from '@nestjs/common/constants.js';
import { RequireAuthorizationInterceptor } from './require-authorization.interceptor.js';
import { isOsoGuard } from './request-pipeline.service.js';
import { methodsOf, routeRuleOf } from './route-rules.js';

/**
 * A handler of another transport than HTTP, as its decorators declare it. The metadata keys are read as plain
 * strings: @nestjs/microservices, @nestjs/websockets and @nestjs/graphql are optional.
 */
export interface NonHttpHandler {
  transport: 'graphql' | 'ws' | 'rpc';
  /** `QUERY`, `MUTATION`, `SUBSCRIPTION`, `FIELD` (a field resolver), `WS`, `MESSAGE` or `EVENT`. */
  kind: string;
  /** The GraphQL field, the WebSocket event, or the message pattern(s). */
  name: string;
  /** How error messages name it (`a GraphQL field resolver`). */
  description: string;
}

/** @nestjs/microservices' `PatternHandler.EVENT`: `@EventPattern()` rather than `@MessagePattern()`. */
const EVENT_HANDLER = 2;

/** What another transport makes of `handler`, or undefined for an HTTP route or a plain method. */
export function nonHttpHandlerOf(handler: object, methodName = ''): NonHttpHandler | undefined {
  const meta = (key: string) => Reflect.getMetadata(key, handler) as unknown;
  const patterns = meta('microservices:pattern');
  if (patterns !== undefined) {
    const event = meta('microservices:handler_type') === EVENT_HANDLER;
    return {
      transport: 'rpc',
      kind: event ? 'EVENT' : 'MESSAGE',
      name: [patterns].flat().map(describePattern).join(', '),
      description: 'a microservice handler (@MessagePattern or @EventPattern)',
    };
  }
  if (meta('websockets:message_mapping') !== undefined) {
    return {
      transport: 'ws',
      kind: 'WS',
      name: String(meta('message') ?? methodName),
      description: 'a WebSocket handler (@SubscribeMessage)',
    };
  }
  const name = String(meta('graphql:resolver_name') ?? methodName);
  if (meta('graphql:resolve_property') !== undefined) {
    return { transport: 'graphql', kind: 'FIELD', name, description: 'a GraphQL field resolver (@ResolveField)' };
  }
  const operation = meta('graphql:resolver_type');
  if (operation !== undefined) {
    return {
      transport: 'graphql',
      kind: String(operation).toUpperCase(),
      name,
      description: `a GraphQL ${String(operation).toLowerCase()} resolver`,
    };
  }
  return undefined;
}

function describePattern(pattern: unknown): string {
  return typeof pattern === 'string' ? pattern : JSON.stringify(pattern);
}

/**
 * The GraphQL module's `fieldResolverEnhancers`, read from the app's modules: `[]` in an app without a GraphQL module,
 * undefined while its options are not built yet (`GraphQLModule.forRootAsync()` before the app is created).
 */
export function fieldResolverEnhancersOf(modules: ModulesContainer): unknown[] | undefined {
  let found = false;
  for (const module of modules.values()) {
    const wrapper = module.providers.get(GRAPHQL_MODULE_OPTIONS);
    if (!wrapper) continue;
    found = true;
    const options = wrapper.instance as { fieldResolverEnhancers?: unknown[] } | undefined;
    if (options) return options.fieldResolverEnhancers ?? [];
  }
  return found ? undefined : [];
}

/** @nestjs/graphql's token of its module options (a string: the package is optional). */
const GRAPHQL_MODULE_OPTIONS = 'GqlModuleOptions';

/**
 * Which of the app's global enhancers (OsoModule's guard and interceptor) Nest runs for each kind of non-HTTP
 * handler, as read from the app at startup:
 * - GraphQL field resolvers get enhancers only when the GraphQL module's `fieldResolverEnhancers` lists them;
 * - a hybrid app's microservices get the app's global enhancers only with `inheritAppConfig: true`; a microservice
 *   app (`NestFactory.createMicroservice`) has them.
 */
export interface EnhancerReach {
  fieldResolverGuards: boolean;
  fieldResolverInterceptors: boolean;
  /** Whether every microservice of the app runs the app's global guards and interceptors. */
  microservices: boolean;
}

/**
 * What nestjs-oso cannot enforce on the non-HTTP handlers of a class, one message per handler; empty when all is
 * well. `@Authorize()` holds wherever Nest runs the handler's own guards (it attaches one); `routeAuthorization` and
 * `requireAuthorization` rely on the global guard and interceptor, so a handler they do not reach needs its own
 * `OsoGuard` / `RequireAuthorizationInterceptor`, or `@SkipAuthorization()`.
 */
export function unenforceableHandlers(
  classRef: Type,
  options: { requireAuthorization?: boolean; routeAuthorization?: boolean },
  reach: EnhancerReach,
): string[] {
  const problems: string[] = [];
  for (const [name, handler] of methodsOf(classRef)) {
    const found = nonHttpHandlerOf(handler, name);
    if (!found) continue;
    const where = `${classRef.name}.${name}`;
    const rule = routeRuleOf(classRef, handler);
    if (rule?.kind === 'skip') continue;
    const field = found.kind === 'FIELD';
    const enhancers = field ? 'fieldResolverEnhancers' : 'inheritAppConfig';
    const fixFor = (what: 'guards' | 'interceptors') =>
      field
        ? `set fieldResolverEnhancers: ['guards', 'interceptors'] in GraphQLModule.forRoot() (it lacks '${what}')`
        : 'connect the microservice with app.connectMicroservice(options, { inheritAppConfig: true })';
    // A field resolver runs no enhancer at all without fieldResolverEnhancers, not even its own.
    const ownCount = !field;
    const guarded = field
      ? reach.fieldResolverGuards
      : found.transport !== 'rpc' || reach.microservices || hasOwn(classRef, handler, GUARDS_METADATA, isOsoGuard);
    const intercepted = field
      ? reach.fieldResolverInterceptors
      : found.transport !== 'rpc' ||
        reach.microservices ||
        hasOwn(classRef, handler, INTERCEPTORS_METADATA, isRequireAuthorization);
    if (rule?.kind === 'authorize' && field && !guarded) {
      problems.push(`@Authorize() on ${where}, ${found.description}: Nest runs no guard there: ${fixFor('guards')}`);
    } else if (rule === undefined && options.routeAuthorization === true && !guarded) {
      problems.push(
        `routeAuthorization is on, but ${where} is ${found.description}, which OsoModule's global guard does not ` +
          `reach (${enhancers}): ${fixFor('guards')}` +
          (ownCount ? ', add @UseGuards(OsoGuard) to it or its class' : '') +
          ", or mark it with @SkipAuthorization('why')",
      );
    }
    // A handler with `@Authorize()` cannot run unauthorized: its own guard checks it (where guards run at all).
    if (options.requireAuthorization === true && rule?.kind !== 'authorize' && !intercepted) {
      problems.push(
        `requireAuthorization is on, but ${where} is ${found.description}, which OsoModule's global interceptor does ` +
          `not reach (${enhancers}): ${fixFor('interceptors')}` +
          (ownCount ? ', add @UseInterceptors(RequireAuthorizationInterceptor) to it or its class' : '') +
          ", or mark it with @SkipAuthorization('why')",
      );
    }
  }
  return problems;
}

/** Whether the handler or its class lists an enhancer that passes `test` under `key` (`@UseGuards`, `@UseInterceptors`). */
function hasOwn(classRef: Type, handler: object, key: string, test: (enhancer: unknown) => boolean): boolean {
  return [classRef, handler].some((target) => ((Reflect.getMetadata(key, target) ?? []) as unknown[]).some(test));
}

/** `RequireAuthorizationInterceptor`, a subclass, or an instance of either, as `@UseInterceptors()` takes them. */
function isRequireAuthorization(interceptor: unknown): boolean {
  return (
    interceptor instanceof RequireAuthorizationInterceptor ||
    (typeof interceptor === 'function' &&
      (interceptor === RequireAuthorizationInterceptor ||
        interceptor.prototype instanceof RequireAuthorizationInterceptor))
  );
}
