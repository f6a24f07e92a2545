import { randomBytes } from 'node:crypto';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { Controller, Injectable, Module, type INestMicroservice } from '@nestjs/common';
import {
  ClientProxyFactory,
  EventPattern,
  MessagePattern,
  Payload,
  Transport,
  type ClientOptions,
  type ClientProxy,
  type MicroserviceOptions,
} from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import {
  Authorize,
  AuthorizedResource,
  OsoModule,
  OsoService,
  SkipAuthorization,
  type AuthorizationFailure,
  type OsoModuleOptions,
} from '../../../src/index.js';
import { EXPENSES, POLAR_CLASSES, USERS, type Expense } from '../../fixtures/domain.js';
import { LogCollector } from '../../fixtures/log-collector.js';
import { policyFixture } from '../../fixtures/policies.js';

/**
 * The microservice transports every suite of `microservices.e2e-spec.ts` runs on: TCP always; Redis, NATS, RabbitMQ
 * and MQTT, which run on every machine of this project (`.ci/run` starts them). A broker that does not answer is
 * skipped with a message locally, and fails the suite in CI (`CI=true`), as the databases of data filtering do.
 */
export type TransportName = 'TCP' | 'Redis' | 'NATS' | 'RabbitMQ' | 'MQTT';

/** How a microservice app listens and how its client reaches it: the same options on both sides. */
export interface Connection {
  server: MicroserviceOptions;
  client: ClientOptions;
}

export interface TestTransport {
  name: TransportName;
  /** The connection of one app (a fresh TCP port, the run's own RabbitMQ queue). */
  connection: () => Promise<Connection>;
  /** Why this broker cannot be used here; undefined when it can. */
  unavailable?: string;
}

/** Whether this run is CI, where every broker must answer. */
export const IN_CI = process.env.CI === 'true' || process.env.CI === '1';

const HOST = '127.0.0.1';
const RUN = randomBytes(6).toString('hex');

/** Whether something answers on a port of the loopback interface. */
function probe(name: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: HOST, port, timeout: 2000 });
    const fail = (reason: string) => {
      socket.destroy();
      resolve(`${name} on ${HOST}:${port} does not answer (${reason})`);
    };
    socket.once('connect', () => {
      socket.end();
      resolve(undefined);
    });
    socket.once('timeout', () => fail('timeout'));
    socket.once('error', (error) => fail(error.message || error.name));
  });
}

/** A free TCP port on the loopback interface. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The same options object serves the app and its client. */
const both = <T extends MicroserviceOptions & ClientOptions>(options: T): Connection => ({
  server: options,
  client: options,
});

const [redis, nats, rabbitmq, mqtt] = await Promise.all([
  probe('Redis', 6379),
  probe('NATS', 4222),
  probe('RabbitMQ', 5672),
  probe('MQTT', 1883),
]);

export const TRANSPORTS: TestTransport[] = [
  {
    name: 'TCP',
    connection: async () => both({ transport: Transport.TCP, options: { host: HOST, port: await freePort() } }),
  },
  {
    name: 'Redis',
    connection: async () => both({ transport: Transport.REDIS, options: { host: HOST, port: 6379 } }),
    unavailable: redis,
  },
  {
    name: 'NATS',
    connection: async () => both({ transport: Transport.NATS, options: { servers: [`nats://${HOST}:4222`] } }),
    unavailable: nats,
  },
  {
    name: 'RabbitMQ',
    // The run's own queue, gone when its last consumer leaves: parallel runs never take each other's messages.
    connection: async () =>
      both({
        transport: Transport.RMQ,
        options: {
          urls: [`amqp://guest:guest@${HOST}:5672`],
          queue: `nestjs-oso-microservices-${RUN}`,
          queueOptions: { durable: false, autoDelete: true },
        },
      }),
    unavailable: rabbitmq,
  },
  {
    name: 'MQTT',
    connection: async () => both({ transport: Transport.MQTT, options: { url: `mqtt://${HOST}:1883` } }),
    unavailable: mqtt,
  },
];

/** What is said of a secret in the tests: it must never reach a client that may not see it. */
export const SECRET = 'microservice-secret';

/** A message that names its sender and, for expense handlers, an expense. */
export interface ExpenseMessage {
  user?: string;
  id?: number;
}

const expenseOf = (data: ExpenseMessage) => (data.id === undefined ? undefined : EXPENSES.get(data.id));

/** Handlers that authorize the expense their payload names, and take it from `@AuthorizedResource()`. */
@Controller()
export class ExpenseMessagesController {
  @MessagePattern('expense.get')
  @Authorize('read', { resource: expenseOf })
  get(@AuthorizedResource() expense: Expense) {
    return { id: expense.id, description: expense.description };
  }

  @MessagePattern('expense.approve')
  @Authorize('approve', { resource: expenseOf })
  approve(@AuthorizedResource() expense: Expense) {
    return { approved: expense.id, notes: expense.approverNotes };
  }

  /** The expenses policy's "explode" rule fails inside the engine on expense 3. */
  @MessagePattern('expense.explode')
  @Authorize('explode', { resource: expenseOf })
  explode() {
    return { secret: SECRET };
  }
}

/** Handlers checked on their `InboundMessage` (policies/microservices/messages.polar). */
@Controller()
export class MessageRulesController {
  @MessagePattern('expense.count')
  @Authorize()
  count(data: { org: number }) {
    return { org: data.org, count: [...EXPENSES.values()].filter((e) => e.organization.id === data.org).length };
  }

  /** No rule names this pattern: denied to everybody. */
  @MessagePattern('expense.total')
  @Authorize()
  total() {
    return { total: [...EXPENSES.values()].reduce((sum, e) => sum + e.amount, 0) };
  }
}

/** Handlers that answer `requireAuthorization` without `@Authorize()`: or fail to. */
@Controller()
export class UncheckedMessagesController {
  constructor(private readonly oso: OsoService) {}

  @MessagePattern('expense.forgotten')
  forgotten() {
    return { secret: SECRET };
  }

  @MessagePattern('expense.public')
  @SkipAuthorization('the number of expenses is public')
  public() {
    return { count: EXPENSES.size };
  }

  @MessagePattern('expense.checked')
  async checked(data: ExpenseMessage) {
    await this.oso.authorize(USERS[data.user ?? ''], 'read', expenseOf(data));
    return { id: data.id, description: expenseOf(data)?.description };
  }
}

/** What the event handler did, so a test can tell whether it ran. */
@Injectable()
export class ExpenseViews {
  readonly viewed: Array<{ user?: string; id: number }> = [];
}

@Controller()
export class ExpenseEventsController {
  constructor(private readonly views: ExpenseViews) {}

  // <string>: Nest 12's typed-event overload would want every parameter after the payload to accept unknown.
  @EventPattern<string>('expense.viewed')
  @Authorize('read', { resource: expenseOf })
  viewed(@Payload() data: ExpenseMessage, @AuthorizedResource() expense: Expense) {
    this.views.viewed.push({ user: data.user, id: expense.id });
  }
}

/**
 * The actor of a message: the user its payload names. Microservices carry no authenticated user of their own, so
 * `getActor` must say where it is; these tests treat the transport as trusted (services on a private network that
 * vouch for their callers), the convention of many internal microservices. Over an untrusted transport, verify a
 * signed token from the payload instead.
 */
const getActor: OsoModuleOptions['getActor'] = (context) =>
  USERS[(context.switchToRpc().getData() as ExpenseMessage).user ?? ''];

export interface StartedMicroservice {
  app: INestMicroservice;
  client: ClientProxy;
  /** What the app logged. */
  logs: LogCollector;
  /** The denials the module decided, in order (its `onUnauthorized` hook, which keeps the default answers). */
  denials: AuthorizationFailure[];
  close: () => Promise<void>;
}

/** A microservice app (`createNestMicroservice`) with every controller above, listening, and a connected client. */
export async function startMicroservice(transport: TestTransport): Promise<StartedMicroservice> {
  const denials: AuthorizationFailure[] = [];
  @Module({
    imports: [
      OsoModule.forRoot({
        policyDir: policyFixture('expenses'),
        policyFiles: [join(import.meta.dirname, '../../fixtures/policies/microservices/messages.polar')],
        classes: POLAR_CLASSES,
        getActor,
        requireAuthorization: true,
        onUnauthorized: (failure) => {
          denials.push(failure);
        },
      }),
    ],
    controllers: [
      ExpenseMessagesController,
      MessageRulesController,
      UncheckedMessagesController,
      ExpenseEventsController,
    ],
    providers: [ExpenseViews],
  })
  class MicroserviceAppModule {}

  const logs = new LogCollector();
  const { server, client: clientOptions } = await transport.connection();
  const moduleRef = await Test.createTestingModule({ imports: [MicroserviceAppModule] })
    .setLogger(logs)
    .compile();
  const app = moduleRef.createNestMicroservice<MicroserviceOptions>(server);
  app.useLogger(logs);
  try {
    await app.listen();
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  const client = ClientProxyFactory.create(clientOptions);
  try {
    await client.connect();
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  return {
    app,
    client,
    logs,
    denials,
    close: async () => {
      await client.close();
      await app.close();
    },
  };
}
