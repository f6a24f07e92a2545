import { HttpException, IntrinsicException } from '@nestjs/common';
import type { CallTransport } from './transport.js';

/** The GraphQL error codes of the statuses an authorization failure answers with (Apollo's names). */
const GRAPHQL_CODES: Readonly<Record<number, string>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  500: 'INTERNAL_SERVER_ERROR',
};

/**
 * An authorization failure as the call's transport reports it. HTTP keeps the `HttpException`. For the others, a
 * client error (4xx) becomes what that transport's clients can tell apart, with the same status semantics:
 * - GraphQL: an error with `extensions: { code, status }` (`UNAUTHENTICATED`, `FORBIDDEN`, `NOT_FOUND`, or
 *   `HTTP_<status>`), which graphql-js copies into the response's error on Apollo and Mercurius alike; its message is
 *   the status text, never policy text;
 * - WebSockets: a `WsException` whose payload is `{ status, message }` (the client's `exception` event);
 * - microservices: an `RpcException` whose payload is `{ status, message }` (the error a `ClientProxy` receives).
 * GraphQL errors of 5xx (an engine failure, a handler that never authorized) are coded too
 * (`INTERNAL_SERVER_ERROR`, with the exception's bare message), which Mercurius would not do itself. On WebSockets
 * and microservices anything else (a 5xx, a configuration error) stays as it is: each answers it with its own
 * internal error, and the details only reach the log.
 */
export async function toTransportError(error: Error, transport: CallTransport): Promise<Error> {
  if (transport === 'http' || !(error instanceof HttpException)) return error;
  if (transport === 'graphql') return toGraphQLError(error);
  const status = error.getStatus();
  if (status < 400 || status >= 500) return error;
  const message = error.message;
  switch (transport) {
    case 'ws': {
      // Loaded here only: an app without gateways need not install @nestjs/websockets.
      const { WsException } = await import('@nestjs/websockets');
      return new WsException({ status, message });
    }
    case 'rpc': {
      const { RpcException } = await import('@nestjs/microservices');
      return new RpcException({ status, message });
    }
  }
}

/** The exceptions nestjs-oso raised itself (an engine failure, a call that never authorized). */
const ownErrors = new WeakSet<Error>();

/** Marks an exception as nestjs-oso's own, so that GraphQL calls get it coded (see `ownGraphQLError`). */
export function ownError<E extends Error>(error: E): E {
  ownErrors.add(error);
  return error;
}

/**
 * In a GraphQL call, nestjs-oso's own `HttpException`s as coded errors; anything else (the app's exceptions,
 * which @nestjs/apollo codes itself, with their details) as it is.
 */
export function ownGraphQLError(error: unknown, transport: CallTransport): unknown {
  return transport === 'graphql' && error instanceof HttpException && ownErrors.has(error)
    ? toGraphQLError(error)
    : error;
}

/** An `HttpException` as a coded GraphQL error (synchronous: GraphQL needs no optional package for it). */
export function toGraphQLError(error: HttpException): Error {
  const status = error.getStatus();
  return new GraphQLAuthorizationError(error.message, GRAPHQL_CODES[status] ?? `HTTP_${status}`, status);
}

/**
 * A denied GraphQL call. Not an `HttpException`, which @nestjs/apollo would re-code (a 404 becomes
 * `INTERNAL_SERVER_ERROR`); an `IntrinsicException`, which Nest does not log as an application error.
 */
class GraphQLAuthorizationError extends IntrinsicException {
  readonly extensions: { code: string; status: number };

  constructor(message: string, code: string, status: number) {
    super(message);
    this.name = 'GraphQLAuthorizationError';
    this.extensions = { code, status };
  }
}
