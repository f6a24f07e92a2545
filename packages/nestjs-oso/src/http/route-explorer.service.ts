import { Inject, Injectable, Logger, Optional, RequestMethod, type OnModuleInit, type Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { ApplicationConfig, DiscoveryService, HttpAdapterHost, ModuleRef, ModulesContainer } from '@nestjs/core';
import type { AuthorizeMetadata } from '../decorators/authorize.decorator.js';
import { OSO_MODULE_OPTIONS } from '../module/oso.module-definition.js';
import type { OsoModuleOptions } from '../module/oso-module-options.interface.js';
import { restoreHttpAuthorizeGuards, withoutHttpAuthorizeGuards } from './http-authorize-guards.js';
import {
  fieldResolverEnhancersOf,
  nonHttpHandlerOf,
  unenforceableHandlers,
  type EnhancerReach,
} from './non-http-handlers.js';
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
 * Checks every `@Authorize()` at startup, so that a resource resolver Nest cannot inject stops the app with a
 * message naming the handler, instead of failing on the first request. Non-HTTP handlers (GraphQL, WebSocket,
 * microservice) whose rule nestjs-oso cannot enforce stop it too (see `unenforceableHandlers`). It also logs (at
 * debug level) a table of every route, resolver, gateway event and message pattern with its authorization mode:
 * decorated, skipped, route-authorized, or left to the service.
 */
@Injectable()
export class OsoRouteExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly moduleRef: ModuleRef,
    private readonly modules: ModulesContainer,
    private readonly routes: OsoRouteAuthorizer,
    private readonly pipeline: OsoRequestPipeline,
    @Inject(OSO_MODULE_OPTIONS) private readonly options: OsoModuleOptions,
    @Optional() private readonly config?: ApplicationConfig,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {
    // Checked first while the app is being created: a hybrid app's microservices start answering (on
    // `startAllMicroservices()`) before the app's init hooks run. What is not known yet counts as reached here; the
    // check at init, with the whole app known, is the one that decides.
    const classes = this.handlerClasses().map(({ metatype }) => metatype);
    this.checkNonHttpHandlers(classes, true);
    // Until the router has registered this app's routes (see http-authorize-guards.ts). Only in an HTTP application
    // being created (`NestFactory.create`): a testing module gets its adapter later, and may never become an app.
    if (this.adapterHost?.httpAdapter) {
      withoutHttpAuthorizeGuards(classes);
      this.restoresGuards = true;
    }
  }

  /** Whether this app took the `@Authorize()` guards off its HTTP routes, to put back at init. */
  private restoresGuards = false;

  private readonly logger = new Logger('OsoModule');

  onModuleInit(): void {
    // The router has registered the app's routes before the modules' init hooks run.
    if (this.restoresGuards) restoreHttpAuthorizeGuards();
    this.restoresGuards = false;
    const rows: RouteRow[] = [];
    const classes = this.handlerClasses();
    for (const { metatype } of classes) this.checkTarget(metatype, metatype.name);
    for (const { controller, name, handler } of controllerMethods(classes)) {
      this.checkTarget(handler, `${controller.name}.${name}`);
      const row = this.routeRow(controller, handler, name);
      if (row) rows.push(row);
    }
    this.checkNonHttpHandlers(classes.map(({ metatype }) => metatype));
    this.logger.debug(formatRouteTable(rows));
    const installed = this.pipeline.interceptorInstalled ? 'installed' : 'not installed';
    this.logger.debug(`Global interceptor: ${installed} (${this.pipeline.reason})`);
  }

  /** The app's controllers, then its providers (resolvers and gateways are providers), each class once. */
  private handlerClasses(): Array<{ metatype: Type }> {
    const seen = new Set<Type>();
    for (const wrapper of [...this.discovery.getControllers(), ...this.discovery.getProviders()]) {
      const metatype = wrapper.metatype as Type | null | undefined;
      if (typeof metatype === 'function' && metatype.prototype && !wrapper.isAlias) seen.add(metatype);
    }
    return [...seen].map((metatype) => ({ metatype }));
  }

  /** The table row of a handler, or nothing for a method that is neither a route nor another transport's handler. */
  private routeRow(controller: Type, handler: object, method: string): RouteRow | undefined {
    const other = nonHttpHandlerOf(handler, method);
    if (other) {
      return {
        method: other.kind,
        path: other.name,
        handler: `${controller.name}.${method}`,
        mode: this.modeOf(controller, handler, other.transport),
      };
    }
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
      mode: this.modeOf(controller, handler, 'http'),
    };
  }

  private modeOf(controller: Type, handler: object, transport: 'http' | 'graphql' | 'ws' | 'rpc'): string {
    const rule = routeRuleOf(controller, handler);
    if (rule?.kind === 'authorize') return `decorated: ${describeAuthorize(rule.metadata, transport)}`;
    if (rule?.kind === 'skip') return `skipped${rule.reason ? ` (${rule.reason})` : ''}`;
    if (this.options.routeAuthorization || routeGuards(controller, handler).some(isOsoGuard))
      return `route-authorized: allow(actor, ${CALL_TARGETS[transport]})`;
    return `left to the service${this.options.requireAuthorization ? ' (500 unless it authorizes or skips)' : ''}`;
  }

  /** Stops the app, naming every non-HTTP handler whose rule could not be enforced, and the fix for each. */
  private checkNonHttpHandlers(classes: Type[], early = false): void {
    const reach = this.enhancerReach(early);
    const problems = classes.flatMap((classRef) => unenforceableHandlers(classRef, this.options, reach));
    if (problems.length > 0) throw new OsoConfigurationError(problems.join('\n'));
  }

  /**
   * Where Nest runs OsoModule's global guard and interceptor outside HTTP routes. GraphQL field resolvers: as the
   * GraphQL module's `fieldResolverEnhancers` say. Microservice handlers: in a microservice app, always; in a hybrid
   * app (an HTTP app with `connectMicroservice()`), only with `inheritAppConfig: true`, which the app's modules
   * cannot see, so it counts as not reached. `early` (while the app is created): what cannot be read yet counts as
   * reached (a testing module gets its HTTP adapter later; a `forRootAsync` GraphQL module its options).
   */
  private enhancerReach(early: boolean): EnhancerReach {
    const enhancers = fieldResolverEnhancersOf(this.modules) ?? (early ? undefined : []);
    return {
      fieldResolverGuards: enhancers?.includes('guards') ?? true,
      fieldResolverInterceptors: enhancers?.includes('interceptors') ?? true,
      // A microservice app has none: `undefined` in a testing module, `null` from NestFactory.createMicroservice().
      microservices: this.adapterHost?.httpAdapter == null,
    };
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

/** What a route check without a resource authorizes, per transport, for the route table. */
const CALL_TARGETS = {
  http: 'method, request: HttpRequest',
  graphql: 'operation type, op: GraphQLOperation',
  ws: '"message", msg: InboundMessage',
  rpc: '"message", msg: InboundMessage',
} as const;

function describeAuthorize({ action, resource }: AuthorizeMetadata, transport: keyof typeof CALL_TARGETS): string {
  // An inline `{ resource: (request) => ... }` is named after its property: "resource" says nothing.
  const named = resource && resource.name !== '' && resource.name !== 'resource';
  const what = !resource
    ? `its ${CALL_TARGETS[transport].split(': ')[1]}`
    : named
      ? `resource from ${resource.name}`
      : 'resource from an inline function';
  const defaultAction = { http: 'HTTP method', graphql: 'operation type', ws: '"message"', rpc: '"message"' }[
    transport
  ];
  return `@Authorize(${action === undefined ? defaultAction : JSON.stringify(action)}) on ${what}`;
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
