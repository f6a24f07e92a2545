import { Inject, Injectable, Logger, Optional, RequestMethod, type OnModuleInit, type Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { ApplicationConfig, DiscoveryService, ModuleRef } from '@nestjs/core';
import type { AuthorizeMetadata } from '../decorators/authorize.decorator.js';
import { OSO_MODULE_OPTIONS } from '../module/oso.module-definition.js';
import type { OsoModuleOptions } from '../module/oso-module-options.interface.js';
import { unenforceableHandlers } from './non-http-handlers.js';
import { OsoRequestPipeline, isOsoGuard } from './request-pipeline.service.js';
import { OsoRouteAuthorizer, isResolverClass } from './route-authorizer.service.js';
import { controllerMethods, routeGuards, routeRuleOf } from './route-rules.js';
import { OsoConfigurationError } from '../errors/oso-configuration.error.js';

/** One line of the route table: a route and how it is authorized. */
interface RouteRow {
  method: string;
  path: string;
  handler: string;
  mode: string;
}

/**
 * Checks every controller's `@Authorize()` at startup, so that a resource resolver Nest cannot inject stops the
 * app with a message naming the route, instead of failing on the first request. Non-HTTP handlers (microservice,
 * WebSocket, GraphQL) whose rule nestjs-oso cannot enforce stop it too (see `unenforceableHandlers`). It also logs
 * (at debug level) a table of every route with its authorization mode: decorated, skipped, route-authorized, or
 * left to the service.
 */
@Injectable()
export class OsoRouteExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly moduleRef: ModuleRef,
    private readonly routes: OsoRouteAuthorizer,
    private readonly pipeline: OsoRequestPipeline,
    @Inject(OSO_MODULE_OPTIONS) private readonly options: OsoModuleOptions,
    @Optional() private readonly config?: ApplicationConfig,
  ) {}

  private readonly logger = new Logger('OsoModule');

  onModuleInit(): void {
    const rows: RouteRow[] = [];
    const controllers = this.discovery.getControllers();
    for (const { metatype } of controllers)
      if (typeof metatype === 'function') this.checkTarget(metatype, metatype.name);
    for (const { controller, name, handler } of controllerMethods(controllers)) {
      this.checkTarget(handler, `${controller.name}.${name}`);
      const row = this.routeRow(controller, handler, name);
      if (row) rows.push(row);
    }
    this.checkNonHttpHandlers();
    this.logger.debug(formatRouteTable(rows));
    const installed = this.pipeline.interceptorInstalled ? 'installed' : 'not installed';
    this.logger.debug(`Global interceptor: ${installed} (${this.pipeline.reason})`);
  }

  /** The table row of a handler, or nothing for a method that is not a route. */
  private routeRow(controller: Type, handler: object, method: string): RouteRow | undefined {
    const requestMethod = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
    if (requestMethod === undefined) return undefined;
    const paths = (Reflect.getMetadata(PATH_METADATA, controller) ?? '/') as string | string[];
    const subPaths = (Reflect.getMetadata(PATH_METADATA, handler) ?? '/') as string | string[];
    const prefix = this.config?.getGlobalPrefix() ?? '';
    const full = [paths].flat().flatMap((path) => [subPaths].flat().map((sub) => joinPath(prefix, path, sub)));
    return {
      method: RequestMethod[requestMethod] ?? String(requestMethod),
      path: full.join(', '),
      handler: `${controller.name}.${method}`,
      mode: this.modeOf(controller, handler),
    };
  }

  private modeOf(controller: Type, handler: object): string {
    const rule = routeRuleOf(controller, handler);
    if (rule?.kind === 'authorize') return `decorated: ${describeAuthorize(rule.metadata)}`;
    if (rule?.kind === 'skip') return `skipped${rule.reason ? ` (${rule.reason})` : ''}`;
    if (this.options.routeAuthorization || routeGuards(controller, handler).some(isOsoGuard))
      return 'route-authorized: allow(actor, method, request: HttpRequest)';
    return `left to the service${this.options.requireAuthorization ? ' (500 unless it authorizes or skips)' : ''}`;
  }

  /** Stops the app, naming every non-HTTP handler whose rule could not be enforced, and the fix for each. */
  private checkNonHttpHandlers(): void {
    const classes = new Set<Type>();
    for (const wrapper of [...this.discovery.getControllers(), ...this.discovery.getProviders()]) {
      if (typeof wrapper.metatype === 'function' && wrapper.metatype.prototype) classes.add(wrapper.metatype as Type);
    }
    const problems = [...classes].flatMap((classRef) =>
      unenforceableHandlers(classRef, this.options.requireAuthorization === true),
    );
    if (problems.length > 0) throw new OsoConfigurationError(problems.join('\n'));
  }

  private checkTarget(target: object, where: string): void {
    const rule = this.routes.ruleOf(target);
    const resolver = rule?.kind === 'authorize' ? rule.metadata.resource : undefined;
    if (!resolver || !isResolverClass(resolver)) return;
    try {
      this.moduleRef.introspect(resolver);
    } catch {
      throw new OsoConfigurationError(
        `@Authorize() on ${where} uses the resource resolver ${resolver.name}, which is not a provider: ` +
          'add it to the providers of the module that declares the controller',
      );
    }
  }
}

function describeAuthorize({ action, resource }: AuthorizeMetadata): string {
  // An inline `{ resource: (request) => ... }` is named after its property: "resource" says nothing.
  const named = resource && resource.name !== '' && resource.name !== 'resource';
  const what = !resource
    ? 'its HttpRequest'
    : named
      ? `resource from ${resource.name}`
      : 'resource from an inline function';
  return `@Authorize(${action === undefined ? 'HTTP method' : JSON.stringify(action)}) on ${what}`;
}

function joinPath(...parts: string[]): string {
  return (
    '/' +
    parts
      .map((part) => part.replace(/^\/+|\/+$/g, ''))
      .filter(Boolean)
      .join('/')
  );
}

function formatRouteTable(rows: RouteRow[]): string {
  if (rows.length === 0) return 'Routes and their authorization: no routes';
  const width = (key: keyof RouteRow) => Math.max(...rows.map((row) => row[key].length));
  const [method, path, handler] = [width('method'), width('path'), width('handler')];
  const lines = rows.map(
    (row) => `  ${row.method.padEnd(method)}  ${row.path.padEnd(path)}  ${row.handler.padEnd(handler)}  ${row.mode}`,
  );
  return ['Routes and their authorization:', ...lines].join('\n');
}
