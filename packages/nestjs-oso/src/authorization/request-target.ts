import { BadRequestException } from '@nestjs/common';

/**
 * How a router compares paths, as far as the canonical path of a request depends on it.
 *
 * @example
 * const fastifyDefaults: PathMatching = { caseSensitive: true, ignoreTrailingSlash: false, ignoreDuplicateSlashes: false, semicolonDelimiter: false };
 */
export interface PathMatching {
  /** `/Admin` and `/admin` are different routes (Fastify's default; Express's `case sensitive routing`). */
  caseSensitive: boolean;
  /** `/admin/` reaches `/admin` (Express without `strict routing`; Fastify's `ignoreTrailingSlash`). */
  ignoreTrailingSlash: boolean;
  /** `//admin` reaches `/admin` (Fastify's `ignoreDuplicateSlashes`). */
  ignoreDuplicateSlashes: boolean;
  /** `;` ends the path like `?` (Fastify's `useSemicolonDelimiter`). */
  semicolonDelimiter: boolean;
}

/**
 * Express's defaults (routes ignore case and a trailing slash), also used for a request of an unknown platform.
 *
 * @example
 * canonicalPath('/ADMIN/', EXPRESS_DEFAULT_MATCHING, '/admin'); // '/admin'
 */
export const EXPRESS_DEFAULT_MATCHING: PathMatching = Object.freeze({
  caseSensitive: false,
  ignoreTrailingSlash: true,
  ignoreDuplicateSlashes: false,
  semicolonDelimiter: false,
});

/** What `canonicalPathEnd` makes of each ASCII character. */
const PLAIN = 0;
const SLASH = 1;
const DOT = 2;
const QUERY = 3;
const SLOW = 4;
const FAST_KINDS = new Uint8Array(128).map((_, code) => {
  if (code === 47) return SLASH;
  if (code === 46) return DOT;
  if (code === 63) return QUERY;
  // What decoding, case folding or refusing could change, and what clients never send raw.
  const slow =
    code <= 32 ||
    code === 127 ||
    code === 37 ||
    code === 35 ||
    code === 59 ||
    code === 92 ||
    (code >= 65 && code <= 90);
  return slow ? SLOW : PLAIN;
});

/**
 * The length of the path of `target` when the target is already canonical for any router: an origin-form path of
 * printable ASCII without `%`, `#`, `;`, `\`, upper-case letters, empty, `.` or `..` segments or a trailing slash.
 * Returns -1 otherwise, and `canonicalPath` must then read it. Most requests take this path: one scan, no copy.
 *
 * @example
 * canonicalPathEnd('/expenses/42?page=2'); // 12
 * canonicalPathEnd('/Expenses/42'); // -1
 */
export function canonicalPathEnd(target: string): number {
  const length = target.length;
  if (length === 0 || target.charCodeAt(0) !== 47) return -1;
  let afterSlash = true;
  for (let index = 1; index < length; index++) {
    const code = target.charCodeAt(index);
    const kind = code < 128 ? FAST_KINDS[code] : SLOW;
    if (kind === PLAIN) afterSlash = false;
    else if (kind === SLASH) {
      if (afterSlash) return -1;
      afterSlash = true;
    } else if (kind === DOT) {
      if (afterSlash) return -1;
    } else if (kind === QUERY) return afterSlash && index > 1 ? -1 : index;
    else return -1;
  }
  return afterSlash && length > 1 ? -1 : length;
}

/**
 * The canonical path of a request target, as the router matched it: origin-form (`http://host/a` reads `/a`),
 * without query or fragment, percent-decoded except `%2F`, `%25`, `%3F` and `%23` (kept, in upper case, because
 * decoding them would change the segments or the query), with the trailing slash, repeated slashes and letter case
 * that the router ignores removed. On a router that ignores case, the literal segments of `pattern` (the matched
 * route) read in lower case and parameters as sent; without a pattern, the whole path reads in lower case.
 *
 * @example
 * canonicalPath('http://127.0.0.1/%61dmin/?x=1', { ...EXPRESS_DEFAULT_MATCHING, caseSensitive: true }, '/admin'); // '/admin'
 * @throws BadRequestException for a target that is neither a path nor an http(s) URL, a malformed escape, a `\` or
 *   a control character, or a `.` or `..` segment: the routers take those literally while clients and proxies
 *   resolve them, so no single decision would fit.
 */
export function canonicalPath(target: string, matching: PathMatching, pattern: string | null): string {
  let path = originForm(target);
  let end = path.length;
  for (let index = 1; index < end; index++) {
    const code = path.charCodeAt(index);
    if (code === 63 || code === 35 || (code === 59 && matching.semicolonDelimiter)) end = index;
    else if (code <= 32 || code >= 127 || code === 92)
      throw malformed('has a control character, a space or a backslash');
  }
  path = path.slice(0, end);
  if (path.includes('%')) path = decodePath(path);
  if (path.includes('/.') && /\/\.\.?(?:\/|$)/.test(path)) throw malformed('has a "." or ".." segment');
  if (matching.ignoreDuplicateSlashes && path.includes('//')) path = path.replace(/\/{2,}/g, '/');
  if (matching.ignoreTrailingSlash && path.length > 1 && path.endsWith('/') && !hasTrailingSlash(pattern))
    path = path.slice(0, -1);
  return matching.caseSensitive ? path : foldCase(path, pattern);
}

/** Whether a route pattern ends with a slash of its own (`/docs/`, not the root `/`), which the path then keeps. */
function hasTrailingSlash(pattern: string | null): boolean {
  return pattern !== null && pattern.length > 1 && pattern.endsWith('/');
}

/** An origin-form path: itself, or what follows the authority of an http(s) absolute-form target. */
function originForm(target: string): string {
  if (target.charCodeAt(0) === 47) return target;
  const authority = /^https?:\/\/[^/?#\\]+/i.exec(target);
  if (authority === null) throw malformed('is neither a path nor an http(s) URL');
  const rest = target.slice(authority[0].length);
  return rest.charCodeAt(0) === 47 ? rest : `/${rest}`;
}

/**
 * Decodes every escape but `%2F`, `%25`, `%3F` and `%23`, which it writes in upper case: decoded, they would split a
 * segment, start a query or a fragment, or make a new escape. Bytes from 0x80 up must form UTF-8.
 */
function decodePath(path: string): string {
  let decoded = '';
  // path[0, copied) is decoded, or pending in a run of escapes of bytes from 0x80 up starting at utf8Start.
  let copied = 0;
  let utf8Start = -1;
  for (let index = path.indexOf('%'); index !== -1; index = path.indexOf('%', copied)) {
    if (index !== copied) {
      if (utf8Start !== -1) decoded += decodeUtf8(path.slice(utf8Start, copied));
      utf8Start = -1;
      decoded += path.slice(copied, index);
    }
    const high = hexValue(path.charCodeAt(index + 1));
    const low = hexValue(path.charCodeAt(index + 2));
    if (high === -1 || low === -1) throw malformed('has a malformed percent escape');
    const byte = high * 16 + low;
    if (byte >= 0x80) {
      if (utf8Start === -1) utf8Start = index;
    } else {
      if (utf8Start !== -1) decoded += decodeUtf8(path.slice(utf8Start, index));
      utf8Start = -1;
      const kept = byte === 0x2f || byte === 0x25 || byte === 0x3f || byte === 0x23;
      decoded += kept ? path.slice(index, index + 3).toUpperCase() : String.fromCharCode(byte);
    }
    copied = index + 3;
  }
  if (utf8Start !== -1) decoded += decodeUtf8(path.slice(utf8Start, copied));
  return decoded + path.slice(copied);
}

function decodeUtf8(escapes: string): string {
  try {
    return decodeURIComponent(escapes);
  } catch {
    throw malformed('is not UTF-8 once decoded');
  }
}

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  const letter = code | 32;
  return letter >= 97 && letter <= 102 ? letter - 87 : -1;
}

/** The kinds of segment of a route pattern, for case folding. */
const LITERAL = 0;
const PARAMETER = 1;
const OTHER = 2;

/** The segment kinds of each route pattern seen, parsed once: an app has a fixed set of routes (bounded all the same). */
const segmentKindsByPattern = new Map<string, number[]>();

function segmentKindsOf(pattern: string): number[] {
  let kinds = segmentKindsByPattern.get(pattern);
  if (kinds === undefined) {
    kinds = pattern.split('/').map((segment) => {
      if (/^:[A-Za-z_$][\w$]*$/.test(segment)) return PARAMETER;
      // Wildcards, optional groups, regular expressions, several parameters in one segment.
      return /[:*?+(){}[\]\\]/.test(segment) ? OTHER : LITERAL;
    });
    if (segmentKindsByPattern.size < 10_000) segmentKindsByPattern.set(pattern, kinds);
  }
  return kinds;
}

/**
 * Letter case on a router that ignores it: the segments that the route spells out (`admin` in `/admin/users/:id`)
 * read in lower case, aligned from the start and from the end of the route; the others keep their case, being
 * parameter values the handler sees as sent. Without a route, the whole path reads in lower case.
 */
function foldCase(path: string, pattern: string | null): string {
  const lower = path.toLowerCase();
  if (lower === path || pattern === null) return lower;
  const kinds = segmentKindsOf(pattern);
  // Unicode case mappings may change the length (`İ`): then the segments are folded one by one.
  if (lower.length !== path.length) return foldSegments(path.split('/'), kinds);
  let segmentCount = 1;
  for (let slash = path.indexOf('/'); slash !== -1; slash = path.indexOf('/', slash + 1)) segmentCount++;
  const count = Math.min(segmentCount, kinds.length);
  // Segments [0, head) line up with the route from its start, [segmentCount - tail, segmentCount) from its end.
  let head = 0;
  while (head < count && kinds[head] !== OTHER) head++;
  let tail = 0;
  while (tail < count - head && kinds[kinds.length - 1 - tail] !== OTHER) tail++;
  let folded = '';
  let start = 0;
  for (let segment = 0; segment < segmentCount; segment++) {
    const end = segment === segmentCount - 1 ? path.length : path.indexOf('/', start);
    const fromEnd = segmentCount - segment;
    const literal =
      segment < head ? kinds[segment] === LITERAL : fromEnd <= tail && kinds[kinds.length - fromEnd] === LITERAL;
    folded += (literal ? lower : path).slice(start, end);
    if (end < path.length) folded += '/';
    start = end + 1;
  }
  return folded;
}

/** `foldCase` one segment at a time. */
function foldSegments(segments: string[], kinds: number[]): string {
  const count = Math.min(segments.length, kinds.length);
  let head = 0;
  for (; head < count && kinds[head] !== OTHER; head++) {
    if (kinds[head] === LITERAL) segments[head] = segments[head]!.toLowerCase();
  }
  for (let fromEnd = 1; fromEnd <= count - head; fromEnd++) {
    const kind = kinds[kinds.length - fromEnd];
    if (kind === OTHER) break;
    const index = segments.length - fromEnd;
    if (kind === LITERAL) segments[index] = segments[index]!.toLowerCase();
  }
  return segments.join('/');
}

function malformed(problem: string): BadRequestException {
  return new BadRequestException(`The request target ${problem}`);
}
