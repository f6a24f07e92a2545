import type { ExecutionContext } from '@nestjs/common';

/** The metadata keys under which @nestjs/microservices and @nestjs/websockets keep a handler's pattern. */
const PATTERN_KEYS = { rpc: 'microservices:pattern', ws: 'message' } as const;

/**
 * A WebSocket or microservice message as route policies see it, the counterpart of `HttpRequest`: checked by
 * `@Authorize()` without a resource on a gateway or message handler, and by `routeAuthorization`. Registered in
 * Polar as `InboundMessage` (not `Message`, which apps often name an entity). The default action is `"message"`.
 *
 * @example
 * // policy.polar
 * allow(user: User, "message", msg: InboundMessage{transport: "rpc", pattern: "expenses.count"}) if user.role = "admin";
 * allow(_: User, "message", msg: InboundMessage{transport: "ws", pattern: "ping"});
 * @publicApi
 */
export class InboundMessage {
  constructor(
    /** `"ws"` for a gateway's `@SubscribeMessage()`, `"rpc"` for a `@MessagePattern()` or `@EventPattern()`. */
    readonly transport: 'ws' | 'rpc',
    /** The handler's pattern: the event name, or the pattern (a string, or an object for object patterns). */
    readonly pattern: unknown,
    /** The message's data (the payload). */
    readonly data: unknown,
  ) {}

  /**
   * The message of a gateway or microservice handler call.
   *
   * @example
   * const message = InboundMessage.from(context); // { transport: 'rpc', pattern: 'expenses.count', data: { ... } }
   */
  static from(context: ExecutionContext): InboundMessage {
    const transport = context.getType() === 'ws' ? 'ws' : 'rpc';
    const declared = Reflect.getMetadata(PATTERN_KEYS[transport], context.getHandler()) as unknown;
    // A microservice handler may answer several patterns; it declares them as an array.
    const pattern = Array.isArray(declared) && declared.length === 1 ? declared[0] : declared;
    const data = context.getArgByIndex(transport === 'ws' ? 1 : 0);
    return new InboundMessage(transport, pattern === undefined ? null : pattern, plain(data));
  }
}

/** Polar reads plain objects as dictionaries; a payload with another prototype is copied into one. */
function plain(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value ?? null;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype ? value : { ...value };
}
