import type { Type } from '@nestjs/common';
import { GUARDS_METADATA, METHOD_METADATA } from '@nestjs/common/constants.js';
import type { AuthorizeMetadata } from '../decorators/authorize.decorator.js';
import { isAuthorizeGuard } from '../decorators/authorize.guard.js';
import { OSO_AUTHORIZE, OSO_SKIP_AUTHORIZATION } from '../module/oso.constants.js';

/**
 * What a route's decorators ask for: a check, a skip, or (undefined) nothing.
 *
 * @example
 * const rule: RouteRule | undefined = routes.ruleFor(context);
 * @publicApi
 */
export type RouteRule = { kind: 'authorize'; metadata: AuthorizeMetadata } | { kind: 'skip'; reason: string };

/** Decorators are applied once, when classes are defined: each target's rule is read once, then remembered. */
const rulesByTarget = new WeakMap<object, RouteRule | null>();

/**
 * The rule a class or handler declares itself: `@Authorize()` wins over `@SkipAuthorization()` on one level (a
 * contradiction resolves to the safer side).
 */
export function ruleOf(target: object): RouteRule | undefined {
  let rule = rulesByTarget.get(target);
  if (rule === undefined) {
    rule = readRule(target);
    rulesByTarget.set(target, rule);
  }
  return rule ?? undefined;
}

function readRule(target: object): RouteRule | null {
  const metadata = Reflect.getMetadata(OSO_AUTHORIZE, target) as AuthorizeMetadata | undefined;
  if (metadata) return { kind: 'authorize', metadata };
  const reason = Reflect.getMetadata(OSO_SKIP_AUTHORIZATION, target) as string | undefined;
  return reason === undefined ? null : { kind: 'skip', reason };
}

/** The rule of a route: the handler's own wins over its controller's. */
export function routeRuleOf(controller: Type, handler: object): RouteRule | undefined {
  return ruleOf(handler) ?? ruleOf(controller);
}

/**
 * Marks the guard and the interceptor OsoModule adds to a route's own enhancers for `requireAuthorization` (see
 * `route-enforcement.ts`). A registered symbol, shared by the CommonJS and ES module builds.
 */
export const ROUTE_ENFORCER = Symbol.for('nestjs-oso:route-enforcer');

/** Whether an enhancer is one OsoModule added to a route for `requireAuthorization`. */
export function isRouteEnforcer(enhancer: unknown): boolean {
  return typeof enhancer === 'object' && enhancer !== null && ROUTE_ENFORCER in enhancer;
}

/**
 * The guards a route declares with `@UseGuards()`, on its controller and then on its handler (Nest's order), less
 * the one `@Authorize()` attaches (it decides nothing on HTTP routes) and the one OsoModule adds for
 * `requireAuthorization` (it only watches the response).
 */
export function routeGuards(controller: Type, handler: object): unknown[] {
  return [controller, handler]
    .flatMap((target) => (Reflect.getMetadata(GUARDS_METADATA, target) ?? []) as unknown[])
    .filter((guard) => !isAuthorizeGuard(guard) && !isRouteEnforcer(guard));
}

/** The methods of a class, its own and inherited, each once. */
export function* methodsOf(classRef: Type): Generator<[string, object]> {
  const seen = new Set<string>();
  for (let proto = classRef.prototype; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === 'constructor' || seen.has(name)) continue;
      seen.add(name);
      const method = Object.getOwnPropertyDescriptor(proto, name)?.value as unknown;
      if (typeof method === 'function') yield [name, method];
    }
  }
}

/** A method of a controller: its class, its name and the function. */
export interface ControllerMethod {
  controller: Type;
  name: string;
  handler: object;
}

/**
 * Every method of the app's controllers, each once, in the order Nest registered them: the one walk over the app's
 * routes, shared by the route explorer (its route table and startup checks) and the request pipeline's analysis.
 */
export function* controllerMethods(controllers: Iterable<{ metatype: unknown }>): Generator<ControllerMethod> {
  for (const wrapper of controllers) {
    const controller = wrapper.metatype as Type | null | undefined;
    if (typeof controller !== 'function' || !controller.prototype) continue;
    for (const [name, handler] of methodsOf(controller)) yield { controller, name, handler };
  }
}

/** Whether a controller's method is an HTTP route: it carries an HTTP method. */
export function isRouteHandler(handler: object): boolean {
  return Reflect.getMetadata(METHOD_METADATA, handler) !== undefined;
}
