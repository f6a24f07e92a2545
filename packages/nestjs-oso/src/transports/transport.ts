import type { ExecutionContext } from '@nestjs/common';
import { OsoConfigurationError } from '../errors/oso-configuration.error.js';

/**
 * The kinds of call Nest runs guards and interceptors for: HTTP routes, GraphQL resolvers, WebSocket gateway
 * handlers and microservice message handlers (`ExecutionContext.getType()`).
 *
 * @example
 * const transport: CallTransport = transportOf(context); // 'graphql'
 * @publicApi
 */
export type CallTransport = 'http' | 'graphql' | 'ws' | 'rpc';

const TRANSPORTS: ReadonlySet<string> = new Set<CallTransport>(['http', 'graphql', 'ws', 'rpc']);

/**
 * The transport of a call. A context type nestjs-oso does not know (a custom transport) is refused rather than
 * guessed at: its arguments could hold anything.
 */
export function transportOf(context: ExecutionContext): CallTransport {
  const type = context.getType<string>();
  if (TRANSPORTS.has(type)) return type as CallTransport;
  throw new OsoConfigurationError(
    `${context.getClass().name}.${context.getHandler().name} runs in a "${type}" context, which nestjs-oso does not ` +
      'know: subclass OsoGuard and override its hooks to authorize it',
  );
}

/**
 * The object that stands for one call, where its guards, interceptors and parameter decorators keep its
 * authorization state: the platform request for HTTP; a GraphQL field's resolve info and a microservice message's
 * context (each created once per call); for WebSockets the arguments array, which Nest hands to every guard and
 * interceptor of a call (parameter decorators get a copy: they find the state through the async context instead).
 */
export function callOf(context: ExecutionContext): object {
  switch (context.getType<string>()) {
    case 'http':
      return context.getArgByIndex(0);
    case 'graphql':
      return objectOr(context.getArgByIndex(3), context);
    case 'rpc':
      return objectOr(context.getArgByIndex(1), context);
    default:
      return context.getArgs();
  }
}

function objectOr(value: unknown, context: ExecutionContext): object {
  return value !== null && typeof value === 'object' ? value : context.getArgs();
}

/**
 * What a resource resolver (`@Authorize(action, { resource })`) receives first: the platform request for HTTP, the
 * field's arguments for GraphQL (`{ id }`), the message data for WebSockets and microservices.
 */
export function resolverInput(context: ExecutionContext): unknown {
  switch (context.getType<string>()) {
    case 'rpc':
      return context.getArgByIndex(0);
    case 'http':
      return context.getArgByIndex(0);
    default:
      // GraphQL: (root, args, context, info); WebSockets: (client, data).
      return context.getArgByIndex(1);
  }
}

type WithUser = { user?: unknown } | undefined | null;

/**
 * The actor of a call when the app sets no `getActor`, where Nest apps usually keep the authenticated user:
 * - HTTP: `request.user`;
 * - GraphQL: the context's `req.user` (Apollo on Express, or a Mercurius context that sets `req`), else the Fastify
 *   request's (`reply.request.user`, Mercurius's default context);
 * - WebSockets: `client.data.user` (socket.io's per-socket data; on `ws`, set by the gateway's `handleConnection`),
 *   else `client.request.user` (the upgrade request, as Passport leaves it);
 * - microservices: none: a message carries no authenticated user of its own; `getActor` must say where it is.
 */
export function defaultActor(context: ExecutionContext): unknown {
  switch (context.getType<string>()) {
    case 'http':
      return (context.getArgByIndex(0) as WithUser)?.user;
    case 'graphql': {
      const gqlContext = context.getArgByIndex(2) as
        { req?: WithUser; request?: WithUser; reply?: { request?: WithUser } } | undefined;
      return gqlContext?.req?.user ?? gqlContext?.request?.user ?? gqlContext?.reply?.request?.user;
    }
    case 'ws': {
      const client = context.getArgByIndex(0) as { data?: WithUser; request?: WithUser } | undefined;
      return client?.data?.user ?? client?.request?.user;
    }
    default:
      return undefined;
  }
}
