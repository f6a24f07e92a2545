/** The fields of Express and Fastify requests that `HttpRequest.from` reads. */
interface PlatformRequest {
  method?: string;
  url?: string;
  originalUrl?: string;
  route?: { path?: unknown };
  routeOptions?: { url?: unknown };
  params?: object;
  query?: unknown;
  headers?: object;
}

/**
 * The request as route policies see it, built the same way from Express and Fastify. Registered in Polar as
 * `HttpRequest`.
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

  constructor(
    /** The HTTP method in upper case (`"GET"`). */
    readonly method: string,
    /** The path without the query string (`"/expenses/42"`). */
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
   */
  static from(request: object): HttpRequest {
    const raw = request as PlatformRequest;
    const url = raw.originalUrl ?? raw.url ?? '/';
    const queryStart = url.indexOf('?');
    const route = raw.route?.path ?? raw.routeOptions?.url;
    const httpRequest = new HttpRequest(
      (raw.method ?? 'GET').toUpperCase(),
      queryStart === -1 ? url : url.slice(0, queryStart),
      typeof route === 'string' ? route : null,
    );
    httpRequest.#source = raw;
    return httpRequest;
  }
}

/** Polar treats plain objects as dictionaries; platform objects may have null or other prototypes. */
function plainCopy(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' ? { ...value } : {};
}
