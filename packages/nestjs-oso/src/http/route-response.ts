import type { ServerResponse } from 'node:http';
import type { Type } from '@nestjs/common';
import { RESPONSE_PASSTHROUGH_METADATA, ROUTE_ARGS_METADATA, SSE_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';

/**
 * How a route's response leaves, as far as `requireAuthorization` is concerned:
 * - `'value'`: Nest sends what the handler returns or throws, so the interceptor sees it first;
 * - `'stream'`: an `@Sse()` route, whose status line goes out on a timer once the stream is subscribed, before
 *   any event (and before a check inside the handler may have finished);
 * - `'handler'`: the handler writes the response itself (`@Res()` or `@Next()` without `passthrough`).
 */
export type RouteResponseKind = 'value' | 'stream' | 'handler';

/** A route's handler as Nest gives it (`ExecutionContext.getHandler()`): a method, known here by its name. */
type RouteHandler = { readonly name: string };

/** Decorators are applied once, when classes are defined: each handler's kind is read once, then remembered. */
const kindsByHandler = new WeakMap<object, RouteResponseKind>();

/** How the response of `controller.handler` leaves (see `RouteResponseKind`). */
export function routeResponseKind(controller: Type, handler: RouteHandler): RouteResponseKind {
  let kind = kindsByHandler.get(handler);
  if (kind === undefined) {
    kind = readKind(controller, handler);
    kindsByHandler.set(handler, kind);
  }
  return kind;
}

function readKind(controller: Type, handler: RouteHandler): RouteResponseKind {
  if (Reflect.getMetadata(SSE_METADATA, handler)) return 'stream';
  const params = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, handler.name) ?? {}) as Record<string, unknown>;
  // Nest keys a route's parameter decorators "<RouteParamtypes>:<index>".
  const takesResponse = Object.keys(params).some((key) => {
    const type = Number(key.split(':')[0]);
    return type === RouteParamtypes.RESPONSE || type === RouteParamtypes.NEXT;
  });
  const passthrough = Reflect.getMetadata(RESPONSE_PASSTHROUGH_METADATA, controller, handler.name) === true;
  return takesResponse && !passthrough ? 'handler' : 'value';
}

/** The body of a response refused by `refuseUnauthorizedResponse`: what Nest sends for any 500. */
const REFUSED_BODY = JSON.stringify({ statusCode: 500, message: 'Internal server error' });

/**
 * Makes a raw Node response (Express's response, or Fastify's `reply.raw`) answer 500 instead of any status below 400
 * that is written while `allowed()` is false, and drops the body the handler wrote. For routes whose handler writes
 * the response itself, where no interceptor sees the response before it leaves. `onRefused` is called once.
 */
export function refuseUnauthorizedResponse(raw: ServerResponse, allowed: () => boolean, onRefused: () => void): void {
  const { writeHead, write, end } = raw;
  let refused = false;
  const refuse = (): void => {
    refused = true;
    onRefused();
    for (const name of raw.getHeaderNames()) raw.removeHeader(name);
    writeHead.call(raw, 500, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(REFUSED_BODY)),
    });
  };
  const refusesNow = (status: number): boolean => refused || (!raw.headersSent && status < 400 && !allowed());
  raw.writeHead = function (this: ServerResponse, status: number, ...rest: unknown[]) {
    if (!refusesNow(status)) return (writeHead as (...args: unknown[]) => ServerResponse).call(raw, status, ...rest);
    if (!refused) refuse();
    return raw;
  } as ServerResponse['writeHead'];
  raw.write = function (this: ServerResponse, ...args: unknown[]) {
    if (!refusesNow(raw.statusCode)) return (write as (...args: unknown[]) => boolean).apply(raw, args);
    if (!refused) refuse();
    return true;
  } as ServerResponse['write'];
  raw.end = function (this: ServerResponse, ...args: unknown[]) {
    if (!refusesNow(raw.statusCode)) return (end as (...args: unknown[]) => ServerResponse).apply(raw, args);
    if (!refused) refuse();
    // Ended once with the refusal's body; later calls (an exception filter's) have nothing left to send.
    if (raw.writableEnded) return raw;
    const callback = args.find((arg) => typeof arg === 'function') as (() => void) | undefined;
    return (end as (...args: unknown[]) => ServerResponse).call(raw, REFUSED_BODY, ...(callback ? [callback] : []));
  } as ServerResponse['end'];
}
