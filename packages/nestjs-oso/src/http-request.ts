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
  constructor(
    /** The HTTP method in upper case (`"GET"`). */
    readonly method: string,
    /** The path without the query string (`"/expenses/42"`). */
    readonly path: string,
    /** The matched route pattern (`"/expenses/:id"`), or `null` when no route matched. */
    readonly route: string | null,
    /** Route parameters (`{ id: "42" }`). */
    readonly params: Record<string, unknown>,
    /** Parsed query string parameters. */
    readonly query: Record<string, unknown>,
    /** Request headers, with lower-case names. */
    readonly headers: Record<string, unknown>,
  ) {}

  /**
   * Builds the Polar view of an Express or Fastify request.
   *
   * @example
   * const req = HttpRequest.from(context.switchToHttp().getRequest());
   */
  static from(request: object): HttpRequest {
    const raw = request as PlatformRequest;
    const url = raw.originalUrl ?? raw.url ?? '/';
    const queryStart = url.indexOf('?');
    const route = raw.route?.path ?? raw.routeOptions?.url;
    return new HttpRequest(
      (raw.method ?? 'GET').toUpperCase(),
      queryStart === -1 ? url : url.slice(0, queryStart),
      typeof route === 'string' ? route : null,
      plainCopy(raw.params),
      plainCopy(raw.query),
      plainCopy(raw.headers),
    );
  }
}

/** Polar treats plain objects as dictionaries; platform objects may have null or other prototypes. */
function plainCopy(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' ? { ...value } : {};
}
