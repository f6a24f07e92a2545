import type { ExecutionContext, Type } from '@nestjs/common';
import { APP_GUARD, type ModulesContainer } from '@nestjs/core';
import { OsoGuard } from './oso.guard.js';
import type { OsoModuleOptions } from '../module/oso-module-options.interface.js';
import { controllerMethods, isRouteHandler, routeGuards, routeRuleOf } from './route-rules.js';
import { fieldResolverEnhancersOf, nonHttpHandlerOf } from './non-http-handlers.js';
import { enforceOnRoute } from './route-enforcement.js';
import { countRequireAuthorizationInterceptor } from '../authorization/authorization-state.js';

/** How Nest names the provider of each `APP_GUARD` it registers (`APP_GUARD (UUID: ...)`). */
const GLOBAL_GUARD_KEY_PREFIX = `${APP_GUARD} (UUID:`;

/**
 * What the app's request pipeline needs from OsoModule, decided once at startup from the options and the app's
 * guards and routes.
 *
 * Any global interceptor puts every route of the app through Nest's rxjs interceptor pipeline, which costs about
 * a third of Fastify's throughput on its own (see the "no-op interceptor" row of the HTTP benchmark). So OsoModule
 * installs its interceptor only when something needs it:
 * - a route whose check may have to wait for a guard that runs after OsoModule's global guard (an authentication
 *   guard on the controller, or a global guard registered after OsoModule's), with no `OsoGuard` of its own after
 *   that guard to check there;
 * - a GraphQL resolver, WebSocket gateway or microservice handler: outside HTTP the interceptor carries each call's
 *   state to `OsoService` (whose errors then take the transport's form) and to `@AuthorizedResource()`.
 *
 * When the interceptor is installed, it also enforces `requireAuthorization`. Otherwise (HTTP routes only, none
 * waiting) the routes whose handler must authorize itself get enhancers of their own for it (`enforceOnRoute`), and
 * the others nothing: a route checked by a guard, or skipped, cannot reach its handler unauthorized.
 */
export class OsoRequestPipeline {
  private readonly waitsByHandler = new WeakMap<object, boolean>();

  private constructor(
    /** Whether OsoModule's global interceptor is installed. */
    readonly interceptorInstalled: boolean,
    /** Why it is or is not installed, for the startup log. */
    readonly reason: string,
    /** Global guards Nest runs after OsoModule's, by name. */
    private readonly laterGlobalGuards: readonly string[],
    /** The app's modules, where the GraphQL module's options are read once the app runs. */
    private readonly modules: ModulesContainer,
    /** Under `requireAuthorization` without the interceptor: the routes that enforce it themselves, by handler. */
    private readonly enforcedRoutes?: WeakMap<object, Type[]>,
  ) {}

  /** Whether Nest runs interceptors on GraphQL field resolvers (`fieldResolverEnhancers`), once known. */
  private fieldResolverInterceptors: boolean | undefined;

  /**
   * Reads the app's module graph (available once Nest has scanned it, before any instance exists): its global
   * guards in the order Nest runs them, and each controller route's guards and decorators.
   */
  static analyze(options: OsoModuleOptions, modules: ModulesContainer, globalGuard: Type): OsoRequestPipeline {
    const laterGlobalGuards = globalGuardsAfter(globalGuard, modules);
    const nonHttp = nonHttpHandlerIn(modules);
    if (nonHttp) {
      const reason =
        options.requireAuthorization === true ? 'requireAuthorization is on and the app has' : 'the app has';
      return new OsoRequestPipeline(true, `${reason} ${nonHttp}`, laterGlobalGuards, modules);
    }
    const probe = new OsoRequestPipeline(false, '', laterGlobalGuards, modules);
    const waiting: string[] = [];
    const routes = [...controllerMethods([...modules.values()].flatMap((module) => [...module.controllers.values()]))];
    for (const { controller, name, handler } of routes) {
      if (!isRouteHandler(handler)) continue;
      if (probe.mustWaitForInterceptor(options, controller, handler)) waiting.push(`${controller.name}.${name}`);
    }
    if (waiting.length > 0) {
      const after = laterGlobalGuards.length
        ? `global guards after OsoModule's: ${laterGlobalGuards.join(', ')}`
        : 'guards on the controller';
      return new OsoRequestPipeline(
        true,
        `the checks of ${listed(waiting)} wait for later guards (${after})`,
        laterGlobalGuards,
        modules,
      );
    }
    if (options.requireAuthorization !== true) {
      return new OsoRequestPipeline(false, 'no route needs it', laterGlobalGuards, modules);
    }
    // requireAuthorization on HTTP routes alone: a route checked by a guard cannot reach its handler unauthorized, so
    // only the routes whose handler must authorize itself get enhancers of their own (see route-enforcement.ts).
    // Without compiled decisions every check asks the engine, which a request remembers only where its context
    // reaches the handler: there the checked routes carry it too, their checks keeping their state on the request.
    const engineOnly = options.compile === false;
    if (engineOnly) countRequireAuthorizationInterceptor();
    const enforced: string[] = [];
    const enforcedRoutes = new WeakMap<object, Type[]>();
    for (const { controller, name, handler } of routes) {
      if (!isRouteHandler(handler)) continue;
      const before = probe.beforeHandler(options, controller, handler);
      if (before === 'skipped' || (before === 'authorized' && !engineOnly)) continue;
      enforceOnRoute(handler, before === undefined);
      enforcedRoutes.set(handler, [...(enforcedRoutes.get(handler) ?? []), controller]);
      if (before === undefined) enforced.push(`${controller.name}.${name}`);
    }
    const reason =
      'requireAuthorization is on; ' +
      (enforced.length
        ? `enforced by the routes of ${listed(enforced)}, which authorize in their handler`
        : 'every route authorizes or skips before its handler') +
      (engineOnly ? "; checked routes carry the request's context into their handler (compile: false)" : '');
    return new OsoRequestPipeline(false, reason, laterGlobalGuards, modules, enforcedRoutes);
  }

  /**
   * Whether the global guard marks this request for the enhancers of its route that enforce `requireAuthorization`
   * (see `analyze`).
   */
  enforcesOnRoute(context: ExecutionContext): boolean {
    return (
      this.enforcedRoutes !== undefined &&
      this.enforcedRoutes.get(context.getHandler())?.includes(context.getClass()) === true
    );
  }

  /**
   * What has happened by the time a route's handler runs: `'skipped'` (`@SkipAuthorization()`), `'authorized'` (a
   * check by the global guard, `@Authorize()` or `routeAuthorization`, which passes only by authorizing), or nothing
   * known (undefined): the handler must authorize, or the check may be left to an `OsoGuard` of the route, which a
   * subclass may have changed.
   */
  private beforeHandler(
    options: OsoModuleOptions,
    controller: Type,
    handler: object,
  ): 'skipped' | 'authorized' | undefined {
    const rule = routeRuleOf(controller, handler);
    if (rule?.kind === 'skip') return 'skipped';
    const checked = rule?.kind === 'authorize' || (rule === undefined && options.routeAuthorization === true);
    if (!checked) return undefined;
    const guards = routeGuards(controller, handler);
    return this.mayGetActorLater(guards) && guards.some(isOsoGuard) ? undefined : 'authorized';
  }

  /**
   * Whether the global guard, finding no actor on this route, should leave the check to a later point where someone
   * finishes it: OsoModule's interceptor where it runs on the handler (see `interceptorFinishes`), an `OsoGuard` placed
   * on the route, or, outside HTTP, the guard `@Authorize()` attaches (it runs after the class's guards). Without
   * any of them it checks at once (fail closed).
   */
  waitsForLaterGuards(controller: Type, handler: object): boolean {
    let waits = this.waitsByHandler.get(handler);
    if (waits === undefined) {
      const guards = routeGuards(controller, handler);
      const attachedGuardChecks =
        nonHttpHandlerOf(handler) !== undefined && routeRuleOf(controller, handler)?.kind === 'authorize';
      waits =
        this.mayGetActorLater(guards) &&
        (this.interceptorFinishes(handler) || guards.some(isOsoGuard) || attachedGuardChecks);
      this.waitsByHandler.set(handler, waits);
    }
    return waits;
  }

  /**
   * Whether OsoModule's interceptor runs on the handler and so finishes a check left for later: where it is installed,
   * but on GraphQL field resolvers only when `fieldResolverEnhancers` lists 'interceptors' (read once the app runs).
   */
  interceptorFinishes(handler: object): boolean {
    if (!this.interceptorInstalled) return false;
    if (nonHttpHandlerOf(handler)?.kind !== 'FIELD') return true;
    this.fieldResolverInterceptors ??= fieldResolverEnhancersOf(this.modules)?.includes('interceptors');
    return this.fieldResolverInterceptors === true;
  }

  /** A checked route that may see its actor only after the global guard, with no `OsoGuard` of its own. */
  private mustWaitForInterceptor(options: OsoModuleOptions, controller: Type, handler: object): boolean {
    const rule = routeRuleOf(controller, handler);
    const checked = rule?.kind === 'authorize' || (rule === undefined && options.routeAuthorization === true);
    if (!checked) return false;
    const guards = routeGuards(controller, handler);
    return this.mayGetActorLater(guards) && !guards.some(isOsoGuard);
  }

  /** Whether a guard runs after OsoModule's global one on a route with these `@UseGuards()` guards. */
  private mayGetActorLater(routeGuards: unknown[]): boolean {
    return this.laterGlobalGuards.length > 0 || routeGuards.length > 0;
  }
}

/** The first five of some routes' names, and how many more. */
function listed(names: string[]): string {
  return names.slice(0, 5).join(', ') + (names.length > 5 ? `, and ${names.length - 5} more` : '');
}

/** The first GraphQL, WebSocket or microservice handler of the app's controllers and providers, described. */
function nonHttpHandlerIn(modules: ModulesContainer): string | undefined {
  const wrappers = [...modules.values()].flatMap((module) => [
    ...module.controllers.values(),
    ...module.providers.values(),
  ]);
  for (const { controller, name, handler } of controllerMethods(wrappers)) {
    const found = nonHttpHandlerOf(handler, name);
    if (found) return `${found.description} (${controller.name}.${name})`;
  }
  return undefined;
}

/**
 * The global guards Nest runs after OsoModule's: those registered as `APP_GUARD` after it (Nest runs them in the
 * order it scanned the modules) and the request-scoped ones (run after every static one). Should the module
 * graph not show OsoModule's guard where expected, every global guard counts as later, the safe side.
 */
function globalGuardsAfter(globalGuard: Type, modules: ModulesContainer): string[] {
  const later: string[] = [];
  let seenOurs = false;
  const others: string[] = [];
  for (const module of modules.values()) {
    for (const [key, wrapper] of module.providers) {
      if (!isGlobalGuardKey(key)) continue;
      if (wrapper.metatype === globalGuard) {
        seenOurs = true;
        continue;
      }
      const name = guardName(wrapper.metatype);
      others.push(name);
      if (seenOurs) later.push(name);
    }
  }
  for (const module of modules.values()) {
    for (const [key, wrapper] of module.injectables) {
      if (isGlobalGuardKey(key)) later.push(guardName(wrapper.metatype));
    }
  }
  return seenOurs ? later : [...others, ...later];
}

function isGlobalGuardKey(key: unknown): boolean {
  return typeof key === 'string' && key.startsWith(GLOBAL_GUARD_KEY_PREFIX);
}

function guardName(metatype: unknown): string {
  return typeof metatype === 'function' && metatype.name ? metatype.name : 'a guard factory';
}

/** `OsoGuard`, a subclass, or an instance of either, as `@UseGuards()` takes them. */
export function isOsoGuard(guard: unknown): boolean {
  return (
    guard instanceof OsoGuard ||
    (typeof guard === 'function' && (guard === OsoGuard || guard.prototype instanceof OsoGuard))
  );
}
