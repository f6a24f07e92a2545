import { Injectable, Module, type ExecutionContext, type INestApplication } from '@nestjs/common';
import {
  Args,
  Field,
  GqlExecutionContext,
  Int,
  ObjectType,
  Query,
  Resolver,
  Subscription,
  type GqlContextType,
} from '@nestjs/graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { Authorize, OsoModule, SkipAuthorization, type OsoModuleOptions } from '../../../src/index.js';
import { EXPENSES, POLAR_CLASSES, userFromHeader } from '../../fixtures/domain.js';
import { LogCollector } from '../../fixtures/log-collector.js';
import { policyFixture } from '../../fixtures/policies.js';
import { graphQLModule, listenGraphQLApp, type Driver } from './graphql-drivers.js';

/** The organizations of the expenses fixture, by id: Acme (1) and Globex (2). */
const ORGANIZATIONS = new Map([...EXPENSES.values()].map((expense) => [expense.organization.id, expense.organization]));

/** What a subscriber receives when an expense is approved. */
@ObjectType()
export class ExpenseEvent {
  @Field(() => Int)
  expenseId!: number;
  @Field(() => Int)
  orgId!: number;
  @Field(() => String)
  description!: string;
}

/** The event of an approved expense of the fixture. */
export function approvedEvent(expenseId: number): ExpenseEvent {
  const expense = EXPENSES.get(expenseId)!;
  return { expenseId, orgId: expense.organization.id, description: expense.description };
}

/**
 * An in-memory PubSub shaped like graphql-subscriptions' (not installed here): `subscribe()` listens at once and
 * returns the async iterator a subscription resolver hands to GraphQL; ending the iterator stops listening.
 */
@Injectable()
export class ExpenseEvents {
  private readonly listeners = new Map<string, Set<(event: ExpenseEvent) => void>>();

  publish(topic: string, event: ExpenseEvent): void {
    for (const listener of this.listeners.get(topic) ?? []) listener(event);
  }

  /** How many iterators listen on the topic: a subscriber is live once its resolver ran, until it ends. */
  subscribers(topic: string): number {
    return this.listeners.get(topic)?.size ?? 0;
  }

  subscribe(topic: string): AsyncIterableIterator<ExpenseEvent> {
    const queued: ExpenseEvent[] = [];
    const waiting: Array<(result: IteratorResult<ExpenseEvent>) => void> = [];
    const listener = (event: ExpenseEvent) => {
      const next = waiting.shift();
      if (next) next({ value: event, done: false });
      else queued.push(event);
    };
    const listeners = this.listeners.get(topic) ?? new Set();
    this.listeners.set(topic, listeners.add(listener));
    const end = (): Promise<IteratorResult<ExpenseEvent>> => {
      listeners.delete(listener);
      for (const next of waiting.splice(0)) next({ value: undefined, done: true });
      return Promise.resolve({ value: undefined, done: true });
    };
    return {
      next: () =>
        queued.length > 0
          ? Promise.resolve({ value: queued.shift()!, done: false })
          : new Promise((resolve) => waiting.push(resolve)),
      return: end,
      throw: end,
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }
}

/** The topic of an organization's approved expenses. */
export const approvedTopic = (orgId: number) => `approved:${orgId}`;

/** Subscriptions checked on their resource, skipped, or forgotten; a query because a schema needs one. */
@Resolver()
export class ExpenseEventsResolver {
  constructor(private readonly events: ExpenseEvents) {}

  @Query(() => String)
  @SkipAuthorization('a public health check')
  health(): string {
    return 'ok';
  }

  /** Checked once, at subscribe: the subscriber must be allowed to read the organization. */
  @Subscription(() => ExpenseEvent, { resolve: (event: ExpenseEvent) => event })
  @Authorize('read', { resource: (args: { orgId: number }) => ORGANIZATIONS.get(args.orgId) })
  expenseApproved(@Args('orgId', { type: () => Int }) orgId: number): AsyncIterableIterator<ExpenseEvent> {
    return this.events.subscribe(approvedTopic(orgId));
  }

  /** The expenses policy's "explode" rule raises inside the engine on expense 3. */
  @Subscription(() => ExpenseEvent, { resolve: (event: ExpenseEvent) => event })
  @Authorize('explode', { resource: (args: { id: number }) => EXPENSES.get(args.id) })
  expenseExploded(@Args('id', { type: () => Int }) id: number): AsyncIterableIterator<ExpenseEvent> {
    return this.events.subscribe(`exploded:${id}`);
  }

  @Subscription(() => ExpenseEvent, { resolve: (event: ExpenseEvent) => event })
  @SkipAuthorization('public announcements')
  expenseAnnounced(): AsyncIterableIterator<ExpenseEvent> {
    return this.events.subscribe('announced');
  }

  /** Neither authorizes nor skips: under requireAuthorization it must fail at subscribe. */
  @Subscription(() => ExpenseEvent, { resolve: (event: ExpenseEvent) => event })
  expenseForgotten(@Args('orgId', { type: () => Int }) orgId: number): AsyncIterableIterator<ExpenseEvent> {
    return this.events.subscribe(approvedTopic(orgId));
  }
}

/** The parts of a GraphQL context this app reads, on either driver, over HTTP or a subscription's socket. */
interface ActorContext {
  /** Apollo: the HTTP request, or over graphql-ws the socket's context (`extra`, `connectionParams`). */
  req?: { user?: unknown; extra?: unknown; connectionParams?: Record<string, unknown> };
  /** Mercurius over a socket: what `onConnect` returned is merged into the context. */
  user?: unknown;
}

/**
 * The documented recipe: a subscriber names itself in the connection's `connectionParams` (here the `x-user` the
 * HTTP suites send as a header, standing in for a token), since a subscription's context has no `req.user`.
 */
export function getActor(context: ExecutionContext): unknown {
  if (context.getType<GqlContextType>() !== 'graphql')
    return context.switchToHttp().getRequest<{ user?: unknown }>().user;
  const { req, user } = GqlExecutionContext.create(context).getContext<ActorContext>();
  // Apollo over graphql-ws: `req` is the socket's graphql-ws context, holding what the client sent.
  if (req?.extra) return userFromHeader(req.connectionParams ?? {});
  // Mercurius over a socket: the subscriber onConnect found; over HTTP: the request's user.
  return user ?? req?.user;
}

/** A GraphQL app with subscriptions over graphql-ws on a free port of 127.0.0.1. */
export interface SubscriptionsApp {
  app: INestApplication;
  events: ExpenseEvents;
  /** The `ws://` address of the GraphQL endpoint. */
  url: string;
}

/** Starts the app on the driver: OsoModule with the expenses policy and `getActor` above. */
export async function startSubscriptionsApp(
  driver: Driver,
  spec: { oso?: Partial<OsoModuleOptions>; logger?: LogCollector } = {},
): Promise<SubscriptionsApp> {
  @Module({
    imports: [
      // Mercurius merges what onConnect returns into every subscription's context.
      graphQLModule(driver, { subscriptions: { onConnect: (params) => ({ user: userFromHeader(params) }) } }),
      OsoModule.forRoot({
        policyDir: policyFixture('expenses'),
        classes: POLAR_CLASSES,
        getActor,
        ...spec.oso,
      }),
    ],
    providers: [ExpenseEvents, ExpenseEventsResolver],
  })
  class SubscriptionsTestModule {}

  const { app, url } = await listenGraphQLApp(driver, SubscriptionsTestModule, spec.logger);
  return { app, events: app.get(ExpenseEvents), url: url.replace(/^http/, 'ws') };
}

/** A GraphQL error as a subscriber receives it. */
export interface SubscriptionError {
  message: string;
  path?: readonly (string | number)[];
  extensions?: Record<string, unknown>;
}

/** One subscription as the client sees it: the events' data, the errors, and whether it ended. */
export interface Subscriber {
  events: unknown[];
  errors: SubscriptionError[];
  /** Resolves when the server ends the subscription (an error, or completion); fails after `timeoutMs`. */
  ended(timeoutMs?: number): Promise<void>;
  unsubscribe(): void;
}

/**
 * A graphql-ws client (the `graphql-transport-ws` protocol both drivers speak) connected as `user`, sent in
 * `connectionParams`; no retries, so that a refused socket fails the test instead of reconnecting.
 */
export function subscriptionClient(started: SubscriptionsApp, user?: string): Client {
  return createClient({
    url: started.url,
    webSocketImpl: WebSocket,
    connectionParams: user ? { 'x-user': user } : {},
    retryAttempts: 0,
  });
}

/**
 * Subscribes, collecting what arrives. Apollo reports an error at subscribe as a `next` carrying `errors` and then
 * completes; Mercurius calls the `error` sink with the errors: both end up in `errors`.
 */
export function subscribe(client: Client, query: string, variables?: Record<string, unknown>): Subscriber {
  const events: unknown[] = [];
  const errors: SubscriptionError[] = [];
  let unsubscribe = () => {};
  const ended = new Promise<void>((resolve) => {
    unsubscribe = client.subscribe(
      { query, variables },
      {
        next: (result) => {
          if (result.errors) errors.push(...result.errors);
          if (result.data) events.push(result.data);
        },
        error: (error) => {
          if (Array.isArray(error)) errors.push(...(error as SubscriptionError[]));
          else errors.push({ message: error instanceof Error ? error.message : JSON.stringify(error) });
          resolve();
        },
        complete: resolve,
      },
    );
  });
  return {
    events,
    errors,
    ended: async (timeoutMs = 5000) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error('the subscription did not end')), timeoutMs);
      });
      await Promise.race([ended, timeout]).finally(() => clearTimeout(timer));
    },
    unsubscribe: () => unsubscribe(),
  };
}

/** Waits until `condition` holds, polling; fails after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
