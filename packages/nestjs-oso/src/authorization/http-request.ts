import { parse as parseQuery } from 'node:querystring';
import { canonicalPath, canonicalPathEnd, EXPRESS_DEFAULT_MATCHING, type PathMatching } from './request-target.js';

/** The fields of Express and Fastify requests that `HttpRequest.from` reads. */
interface PlatformRequest {
  method?: string;
  url?: string;
  originalUrl?: string;
  /** Express: the matched route. */
  route?: { path?: unknown; methods?: Record<string, boolean | undefined> };
  /** Express: the application, whose router holds the case and trailing-slash settings. */
  app?: { router?: { caseSensitive?: boolean; strict?: boolean } };
  /** Fastify: the matched route (a getter that builds the object, so read once). */
  routeOptions?: { url?: unknown; method?: unknown };
  /** Fastify: the instance, whose initial configuration holds the router options. */
  server?: { initialConfig?: FastifyRouterConfig };
  params?: object;
  query?: unknown;
  headers?: object;
}

type FastifyRouterOptions = Partial<
  Record<'caseSensitive' | 'ignoreTrailingSlash' | 'ignoreDuplicateSlashes' | 'useSemicolonDelimiter', boolean>
>;
type FastifyRouterConfig = FastifyRouterOptions & { routerOptions?: FastifyRouterOptions };

/**
 * The request as route policies see it, built the same way from Express and Fastify. Registered in Polar as
 * `HttpRequest`. `path` is canonical: every spelling of a target that the router dispatches to a handler (case,
 * escapes, trailing slash, fragment, absolute form) reads the same, so deny-lists on `path` hold. `HEAD` served by a
 * GET route reads `"GET"`.
 *
 * @example
 * // policy.polar
 * allow(_, "GET", req: HttpRequest) if req.path = "/";
 * allow(user: User, "GET", _: HttpRequest{route: "/expenses/:id"}) if user.active;
 * @publicApi
 */
export class HttpRequest {
  /** The platform request whose params, query and headers are copied on first use, or undefined. */
  #source: PlatformRequest | undefined;
  #params: Record<string, unknown> | undefined;
  #query: Record<string, unknown> | undefined;
  #headers: Record<string, unknown> | undefined;
  /** The raw query of a target with a fragment, which Fastify would read into the query; undefined otherwise. */
  #queryBeforeFragment: string | undefined;

  constructor(
    /** The HTTP method in upper case (`"GET"`); `HEAD` on a route declared for GET only reads `"GET"`. */
    readonly method: string,
    /**
     * The canonical path, as the router matched it (`"/expenses/42"`): origin-form, no query or fragment,
     * percent-decoded but for `%2F`, `%25`, `%3F`, `%23`, and without the case or trailing slash the router ignores.
     */
    readonly path: string,
    /** The matched route pattern (`"/expenses/:id"`), or `null` when no route matched. */
    readonly route: string | null,
    params?: Record<string, unknown>,
    query?: Record<string, unknown>,
    headers?: Record<string, unknown>,
  ) {
    this.#params = params;
    this.#query = query;
    this.#headers = headers;
  }

  /** Route parameters (`{ id: "42" }`). */
  get params(): Record<string, unknown> {
    return (this.#params ??= plainCopy(this.#source?.params));
  }

  /** Parsed query string parameters. */
  get query(): Record<string, unknown> {
    if (this.#queryBeforeFragment !== undefined)
      return (this.#query ??= plainCopy(parseQuery(this.#queryBeforeFragment)));
    return (this.#query ??= plainCopy(this.#source?.query));
  }

  /** Request headers, with lower-case names. */
  get headers(): Record<string, unknown> {
    return (this.#headers ??= plainCopy(this.#source?.headers));
  }

  /** All six fields, for `JSON.stringify` and logs (the last three are getters). */
  toJSON(): Record<string, unknown> {
    const { method, path, route, params, query, headers } = this;
    return { method, path, route, params, query, headers };
  }

  /**
   * Builds the Polar view of an Express or Fastify request. Params, query and headers are copied when a policy
   * first reads them: most route rules look only at the method and the route.
   *
   * @example
   * const req = HttpRequest.from(context.switchToHttp().getRequest());
   * @throws BadRequestException when the request target has no single canonical path (see `path`): a `.` or `..`
   *   segment, a malformed escape, a backslash, or neither a path nor an http(s) URL.
   */
  static from(request: object): HttpRequest {
    const raw = request as PlatformRequest;
    const url = raw.originalUrl ?? raw.url ?? '/';
    // Express sets `route`; on Fastify `routeOptions` is a getter that builds an object, so it is read only there.
    const routeOptions = raw.route === undefined ? raw.routeOptions : undefined;
    const pattern = raw.route?.path ?? routeOptions?.url;
    const route = typeof pattern === 'string' ? pattern : null;
    const end = canonicalPathEnd(url);
    const path =
      end === -1 ? canonicalPath(url, pathMatchingOf(raw), route) : end === url.length ? url : url.slice(0, end);
    const method = (raw.method ?? 'GET').toUpperCase();
    const httpRequest = new HttpRequest(
      method === 'HEAD' && servedByGetRoute(raw, routeOptions) ? 'GET' : method,
      path,
      route,
    );
    httpRequest.#source = raw;
    if (routeOptions !== undefined) httpRequest.#queryBeforeFragment = queryBeforeFragment(url);
    return httpRequest;
  }
}

const pathMatchingByApp = new WeakMap<object, PathMatching>();

/** How the request's router matches paths: Express app settings or Fastify router options, read once per app. */
function pathMatchingOf(raw: PlatformRequest): PathMatching {
  const app: object | undefined = raw.server ?? raw.app;
  if (app === undefined) return EXPRESS_DEFAULT_MATCHING;
  let matching = pathMatchingByApp.get(app);
  if (matching === undefined) {
    matching = raw.server ? fastifyMatching(raw.server.initialConfig ?? {}) : expressMatching(raw.app?.router);
    pathMatchingByApp.set(app, matching);
  }
  return matching;
}

/** Read as @nestjs/platform-express reads them: the router keeps the settings in effect when it was created. */
function expressMatching(router: { caseSensitive?: boolean; strict?: boolean } | undefined): PathMatching {
  if (!router) return EXPRESS_DEFAULT_MATCHING;
  return {
    ...EXPRESS_DEFAULT_MATCHING,
    caseSensitive: router.caseSensitive === true,
    ignoreTrailingSlash: router.strict !== true,
  };
}

/** Read as @nestjs/platform-fastify reads them: `routerOptions` or the deprecated top-level options. */
function fastifyMatching(config: FastifyRouterConfig): PathMatching {
  const options = config.routerOptions ?? {};
  return {
    caseSensitive: options.caseSensitive !== false && config.caseSensitive !== false,
    ignoreTrailingSlash: Boolean(options.ignoreTrailingSlash || config.ignoreTrailingSlash),
    ignoreDuplicateSlashes: Boolean(options.ignoreDuplicateSlashes || config.ignoreDuplicateSlashes),
    semicolonDelimiter: Boolean(options.useSemicolonDelimiter || config.useSemicolonDelimiter),
  };
}

/**
 * Whether a HEAD request runs the handler of a GET route, as Express does for any GET route and Fastify for the
 * HEAD routes it adds itself (`exposeHeadRoutes`). A route that declares HEAD keeps it; so does anything unknown.
 */
function servedByGetRoute(raw: PlatformRequest, routeOptions: PlatformRequest['routeOptions']): boolean {
  const methods = raw.route?.methods;
  if (methods) return methods.get === true && methods.head !== true;
  return routeOptions?.method === 'HEAD' && isRouteAddedByFastify(raw);
}

/** Fastify's symbols for the route context and its "added by Fastify" flag, once found. */
let fastifySymbols: { context: symbol; byFastify: symbol } | undefined;

/**
 * Fastify marks the HEAD routes it adds for GET routes on the route context, under symbols it does not export: they
 * are found by description on first use. Should a Fastify version rename them, HEAD stays HEAD (denied unless
 * allowed); the HEAD tests of the e2e suites would say so.
 */
function isRouteAddedByFastify(raw: PlatformRequest): boolean {
  fastifySymbols ??= findFastifySymbols(raw);
  if (fastifySymbols === undefined) return false;
  const routeContext = (raw as Record<symbol, Record<symbol, unknown> | undefined>)[fastifySymbols.context];
  return routeContext?.[fastifySymbols.byFastify] === true;
}

function findFastifySymbols(raw: object): { context: symbol; byFastify: symbol } | undefined {
  const context = Object.getOwnPropertySymbols(raw).find((symbol) => symbol.description === 'fastify.context');
  const routeContext = context && (raw as Record<symbol, unknown>)[context];
  if (!context || routeContext === null || typeof routeContext !== 'object') return undefined;
  const byFastify = Object.getOwnPropertySymbols(routeContext).find(
    (symbol) => symbol.description === 'fastify.routeByFastify',
  );
  return byFastify && { context, byFastify };
}

/**
 * The raw query of a target with a fragment (`/a?x=1#f` gives `x=1`), or undefined without one. Fastify reads the
 * fragment into the query (`/a#f` gives `{ f: "" }`); Express leaves it out, and so does `HttpRequest`.
 */
function queryBeforeFragment(url: string): string | undefined {
  const hash = url.indexOf('#');
  if (hash === -1) return undefined;
  const question = url.indexOf('?');
  return question === -1 || question > hash ? '' : url.slice(question + 1, hash);
}

/** Polar treats plain objects as dictionaries; platform objects may have null or other prototypes. */
function plainCopy(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' ? { ...value } : {};
}
