import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Module, type INestApplication, type Type } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { WsAdapter } from '@nestjs/platform-ws';
import { Test } from '@nestjs/testing';
import {
  ConnectedSocket,
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
  type OnGatewayConnection,
} from '@nestjs/websockets';
import { io } from 'socket.io-client';
import WebSocket from 'ws';
import {
  Authorize,
  AuthorizedResource,
  OsoModule,
  OsoService,
  SkipAuthorization,
  type OsoModuleOptions,
} from '../../../src/index.js';
import { EXPENSES, POLAR_CLASSES, USERS, userFromHeader, type Expense } from '../../fixtures/domain.js';
import { LogCollector } from '../../fixtures/log-collector.js';
import { policyFixture } from '../../fixtures/policies.js';

/** The WebSocket platforms every gateway suite runs on. */
export const WS_ADAPTERS = ['socket.io', 'ws'] as const;
export type WsPlatform = (typeof WS_ADAPTERS)[number];

/** What no denied or failed call may ever send to the client. */
export const SECRET = 'gateway-secret';

/** The expense a message names (`{ id }`), as the resource resolvers of the gateways load it. */
const expenseOf = (data: { id?: number } | undefined) => EXPENSES.get(Number(data?.id));

/** `expenseOf` after `data.delay` ms, as a database would answer: calls on one socket overlap. */
const slowExpenseOf = async (data: { id?: number; delay?: number } | undefined) => {
  await sleep(data?.delay ?? 0);
  return expenseOf(data);
};

/** What a socket.io socket and a `ws` client have in common here: the per-socket data the actor lives in. */
interface GatewayClient {
  data?: { user?: unknown };
  handshake?: { auth: { user?: string } };
}

/**
 * Puts the actor where nestjs-oso looks by default (`client.data.user`): on socket.io, from the handshake's `auth`;
 * on `ws`, from the upgrade request's `x-user` header (the documented recipe: `ws` has no `data` of its own).
 */
abstract class ActorGateway implements OnGatewayConnection {
  handleConnection(client: GatewayClient, request?: IncomingMessage) {
    if (client.handshake) {
      client.data!.user = USERS[client.handshake.auth.user ?? ''];
    } else {
      client.data = { user: userFromHeader(request?.headers ?? {}) };
    }
  }
}

/** `@Authorize()` with a resource loaded from the message, which the handler receives. */
@WebSocketGateway()
export class ExpensesGateway extends ActorGateway {
  @SubscribeMessage('expense')
  @Authorize('read', { resource: expenseOf })
  expense(@AuthorizedResource() expense: Expense) {
    return { event: 'expense', data: expense };
  }

  /** Answers with the value itself: socket.io's acknowledgement, a plain message on `ws`. */
  @SubscribeMessage('expense-answer')
  @Authorize('read', { resource: slowExpenseOf })
  expenseAnswer(@AuthorizedResource() expense: Expense) {
    return expense;
  }

  @SubscribeMessage('approve')
  @Authorize('approve', { resource: expenseOf })
  approve(@AuthorizedResource() expense: Expense) {
    return { event: 'approved', data: { id: expense.id, secret: SECRET } };
  }

  @SubscribeMessage('explode')
  @Authorize('explode', { resource: expenseOf })
  explode() {
    return { event: 'exploded', data: { secret: SECRET } };
  }
}

/** `@Authorize()` without a resource: the policy sees the message itself (`InboundMessage`). */
@WebSocketGateway()
export class MessagesGateway extends ActorGateway {
  @SubscribeMessage('ping')
  @Authorize()
  ping() {
    return { event: 'pong', data: { secret: SECRET } };
  }

  @SubscribeMessage('report')
  @Authorize()
  report(@MessageBody() data: { year: number }) {
    return { event: 'report', data: { year: data.year, secret: SECRET } };
  }

  @SubscribeMessage('rpc-only')
  @Authorize()
  rpcOnly() {
    return { event: 'rpc-only', data: { secret: SECRET } };
  }
}

/** Handlers without any nestjs-oso decorator: what `requireAuthorization` and `routeAuthorization` act on. */
@WebSocketGateway()
export class UndecoratedGateway extends ActorGateway {
  @SubscribeMessage('ping')
  ping() {
    return { event: 'pong', data: { secret: SECRET } };
  }

  @SubscribeMessage('unlisted')
  unlisted() {
    return { event: 'unlisted', data: { secret: SECRET } };
  }
}

/** `@Authorize()` on the gateway class: every handler of it is checked on its `InboundMessage`. */
@WebSocketGateway()
@Authorize()
export class AuthorizedClassGateway extends UndecoratedGateway {}

/** Handlers that skip, or authorize through `OsoService` with the socket's actor. */
@WebSocketGateway()
export class ServiceGateway extends ActorGateway {
  constructor(private readonly oso: OsoService) {
    super();
  }

  @SubscribeMessage('public')
  @SkipAuthorization('a public lookup')
  public() {
    return { event: 'public', data: { public: true } };
  }

  @SubscribeMessage('via-service')
  async viaService(@ConnectedSocket() client: GatewayClient, @MessageBody() data: { id: number; action?: string }) {
    await this.oso.authorize(client.data?.user, data.action ?? 'read', expenseOf(data));
    return { event: 'checked', data: { id: data.id, secret: SECRET } };
  }
}

/**
 * What the server sent: an event and its data (the `exception` event for errors, on both platforms), or a handler's
 * plain return value (`answer`: socket.io's acknowledgement, or the message itself on `ws`).
 */
export type Reply = { event: string; data: unknown } | { answer: unknown };

/** A connected client that reads what the server sends, in order. */
export interface WsTestClient {
  /** Sends `event` with `data` and does not wait. */
  send(event: string, data?: unknown): void;
  /** The next message from the server (rejects after 5 s). */
  next(): Promise<Reply>;
  /** Sends `event` with `data` and resolves with the next message from the server. */
  request(event: string, data?: unknown): Promise<Reply>;
  close(): void;
}

/** The messages a client received, handed out in order. */
class Inbox {
  private readonly received: Reply[] = [];
  private readonly waiting: Array<(reply: Reply) => void> = [];

  push(reply: Reply): void {
    const waiting = this.waiting.shift();
    if (waiting) waiting(reply);
    else this.received.push(reply);
  }

  next(): Promise<Reply> {
    const reply = this.received.shift();
    if (reply) return Promise.resolve(reply);
    return new Promise((resolve, reject) => {
      const waiting = (next: Reply) => {
        clearTimeout(timer);
        resolve(next);
      };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(waiting), 1);
        reject(new Error('the server sent nothing within 5 s'));
      }, 5000);
      this.waiting.push(waiting);
    });
  }
}

/** A client over a socket that `send` writes to and that pushes what it receives into `inbox`. */
function testClient(inbox: Inbox, send: WsTestClient['send'], close: () => void): WsTestClient {
  return {
    send,
    next: () => inbox.next(),
    request: (event, data) => {
      send(event, data);
      return inbox.next();
    },
    close,
  };
}

/** A socket.io client that names its user in the handshake's `auth`, and asks for an acknowledgement. */
async function connectSocketIo(port: number, user: string | undefined): Promise<WsTestClient> {
  const inbox = new Inbox();
  const socket = io(`http://127.0.0.1:${port}`, {
    auth: user === undefined ? {} : { user },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  socket.onAny((event: string, data: unknown) => inbox.push({ event, data }));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  return testClient(
    inbox,
    (event, data) => socket.emit(event, data, (answer: unknown) => inbox.push({ answer })),
    () => socket.disconnect(),
  );
}

/** A `ws` client that names its user in the upgrade request's `x-user` header; messages are `{ event, data }`. */
async function connectWs(port: number, user: string | undefined): Promise<WsTestClient> {
  const inbox = new Inbox();
  const socket = new WebSocket(`ws://127.0.0.1:${port}`, { headers: user === undefined ? {} : { 'x-user': user } });
  socket.on('message', (raw: WebSocket.RawData) => {
    const message = JSON.parse(raw.toString()) as { event?: unknown; data?: unknown };
    inbox.push(typeof message.event === 'string' ? { event: message.event, data: message.data } : { answer: message });
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return testClient(
    inbox,
    (event, data) => socket.send(JSON.stringify({ event, data })),
    () => socket.terminate(),
  );
}

/** A running app with gateways on the HTTP server's port, and what it logged. */
export interface WsTestApp {
  app: INestApplication;
  logs: LogCollector;
  /** A new client, acting as `user` (a name of `USERS`), or anonymous. */
  connect(user?: string): Promise<WsTestClient>;
  /** Closes the clients, then the app. */
  close(): Promise<void>;
}

/** The options of the gateway apps: the expenses policy plus the messages', actors from `client.data.user`. */
function wsOsoOptions(overrides: Partial<OsoModuleOptions>): OsoModuleOptions {
  return {
    policyDir: policyFixture('expenses'),
    policyFiles: [join(import.meta.dirname, '../../fixtures/policies/websockets/messages.polar')],
    classes: POLAR_CLASSES,
    ...overrides,
  };
}

/** Starts an app whose gateways listen on its HTTP server (port 0: a free one) through the platform's adapter. */
export async function startWsApp(
  platform: WsPlatform,
  gateways: Type[],
  options: Partial<OsoModuleOptions> = {},
): Promise<WsTestApp> {
  @Module({ imports: [OsoModule.forRoot(wsOsoOptions(options))], providers: gateways })
  class GatewayAppModule {}

  const moduleRef = await Test.createTestingModule({ imports: [GatewayAppModule] }).compile();
  const app = moduleRef.createNestApplication();
  const logs = new LogCollector();
  app.useLogger(logs);
  app.useWebSocketAdapter(platform === 'socket.io' ? new IoAdapter(app) : new WsAdapter(app));
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  const clients: WsTestClient[] = [];
  return {
    app,
    logs,
    connect: async (user) => {
      const client = await (platform === 'socket.io' ? connectSocketIo : connectWs)(port, user);
      clients.push(client);
      return client;
    },
    close: async () => {
      for (const client of clients) client.close();
      await app.close();
    },
  };
}
