import type { Client } from 'graphql-ws';
import { LogCollector } from '../fixtures/log-collector.js';
import { DRIVERS, type Driver } from './support/graphql-apps.js';
import {
  approvedEvent,
  approvedTopic,
  startSubscriptionsApp,
  subscribe,
  subscriptionClient,
  waitFor,
  type Subscriber,
  type SubscriptionError,
  type SubscriptionsApp,
} from './support/graphql-subscriptions-app.js';

/** What no error may carry: policy text, engine details, stack traces. */
const LEAKS = /secret policy text|noSuchAttribute|\.polar|at line|allow\(|has_permission|stacktrace|\bat \w+ \(/;

const UNAUTHENTICATED = { message: 'Unauthorized', code: 'UNAUTHENTICATED', status: 401 };
const NOT_FOUND = { message: 'Not Found', code: 'NOT_FOUND', status: 404 };

const APPROVED = 'subscription($orgId: Int!) { expenseApproved(orgId: $orgId) { expenseId orgId description } }';
const ANNOUNCED = 'subscription { expenseAnnounced { expenseId } }';
const FORGOTTEN = 'subscription { expenseForgotten(orgId: 1) { expenseId } }';

/** The one error a subscription ended with, as the client read it; asserts that it shows nothing else. */
function failure(subscriber: Subscriber, field: string) {
  expect(JSON.stringify(subscriber.errors)).not.toMatch(LEAKS);
  expect(subscriber.errors).toHaveLength(1);
  const [error] = subscriber.errors as [SubscriptionError];
  expect(error.path).toEqual([field]);
  return { message: error.message, code: error.extensions?.code, status: error.extensions?.status };
}

describe.each(DRIVERS)('GraphQL subscriptions on %s, over graphql-ws', (driver: Driver) => {
  let started: SubscriptionsApp;
  let logs: LogCollector;
  const clients: Client[] = [];

  beforeEach(async () => {
    logs = new LogCollector();
    started = await startSubscriptionsApp(driver, { oso: { requireAuthorization: true }, logger: logs });
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.dispose()));
    await started.app.close();
  });

  /** A graphql-ws client connected as `user` (in its connectionParams), closed after the test. */
  const connect = (user?: string) => {
    const client = subscriptionClient(started, user);
    clients.push(client);
    return client;
  };

  const approved = (client: Client, orgId: number) => subscribe(client, APPROVED, { orgId });

  /**
   * Proves the socket still serves this client, and that everything published before reached it: a public
   * subscription on the same socket receives an event published after the others (a socket delivers in order).
   */
  async function roundTrip(client: Client): Promise<void> {
    const announced = subscribe(client, ANNOUNCED);
    await waitFor(() => started.events.subscribers('announced') === 1, 'the announcement subscriber');
    started.events.publish('announced', approvedEvent(1));
    await waitFor(() => announced.events.length === 1, 'the announcement');
    expect(announced.events).toEqual([{ expenseAnnounced: { expenseId: 1 } }]);
    announced.unsubscribe();
  }

  /** Subscribes as `user` and waits until the server ends the subscription: a refusal, in these tests. */
  async function refused(user: string | undefined, query: string, variables?: Record<string, unknown>) {
    const client = connect(user);
    const subscriber = subscribe(client, query, variables);
    await subscriber.ended();
    return { client, subscriber };
  }

  /** Publishes on `topic`, then shows by a round trip on the same socket that the refused subscriber got nothing. */
  async function expectNoEvent(refusal: { client: Client; subscriber: Subscriber }, topic: string): Promise<void> {
    started.events.publish(topic, approvedEvent(1));
    await roundTrip(refusal.client);
    expect(refusal.subscriber.events).toEqual([]);
  }

  it('an allowed subscriber receives the events published after it subscribed, and only its organization’s', async () => {
    // Published before anyone subscribed: nobody receives it.
    started.events.publish(approvedTopic(1), approvedEvent(1));
    const bob = approved(connect('bob'), 1);
    const alice = approved(connect('alice'), 1);
    const carol = approved(connect('carol'), 2);
    await waitFor(() => started.events.subscribers(approvedTopic(1)) === 2, 'bob and alice to subscribe');
    await waitFor(() => started.events.subscribers(approvedTopic(2)) === 1, 'carol to subscribe');

    started.events.publish(approvedTopic(1), approvedEvent(3));
    started.events.publish(approvedTopic(2), approvedEvent(2));
    started.events.publish(approvedTopic(1), approvedEvent(1));
    await waitFor(() => bob.events.length === 2 && alice.events.length === 2 && carol.events.length === 1, 'events');

    const acme = [{ expenseApproved: approvedEvent(3) }, { expenseApproved: approvedEvent(1) }];
    expect([bob.events, bob.errors]).toEqual([acme, []]);
    expect([alice.events, alice.errors]).toEqual([acme, []]);
    expect([carol.events, carol.errors]).toEqual([[{ expenseApproved: approvedEvent(2) }], []]);
    expect(approvedEvent(3)).toEqual({ expenseId: 3, orgId: 1, description: 'laptop' });

    // Unsubscribing ends the resolver's iterator: the server stops listening for it.
    bob.unsubscribe();
    await waitFor(() => started.events.subscribers(approvedTopic(1)) === 1, 'bob’s subscription to end');
    expect(logs.errors()).toEqual([]);
  });

  it.each([
    ['no actor', undefined, 1, UNAUTHENTICATED],
    ['an actor who may not read the organization', 'carol', 1, NOT_FOUND],
    ['an organization that does not exist', 'bob', 99, NOT_FOUND],
  ])('a denied subscriber (%s) gets its code at subscribe and never an event', async (_case, user, orgId, expected) => {
    const denied = await refused(user, APPROVED, { orgId });
    expect(failure(denied.subscriber, 'expenseApproved')).toEqual(expected);
    // The resolver never ran: nothing listens for the organization's events.
    expect(started.events.subscribers(approvedTopic(orgId))).toBe(0);
    await expectNoEvent(denied, approvedTopic(orgId));
    expect(logs.errors()).toEqual([]);
  });

  it('@SkipAuthorization() on a subscription delivers its events without an actor', async () => {
    await roundTrip(connect());
  });

  it('requireAuthorization: a subscription that neither authorizes nor skips fails at subscribe, and the log names it', async () => {
    const forgotten = await refused('bob', FORGOTTEN);
    expect(failure(forgotten.subscriber, 'expenseForgotten')).toEqual({
      message: 'Internal Server Error',
      code: 'INTERNAL_SERVER_ERROR',
      status: 500,
    });
    expect(logs.errors()).toEqual([
      expect.stringContaining('ExpenseEventsResolver.expenseForgotten completed without authorizing'),
    ]);
    await expectNoEvent(forgotten, approvedTopic(1));
  });

  // The interceptor checks after the resolver ran, so a forgotten resolver has already returned its iterator (here
  // listening at once, as Mercurius' pubsub.subscribe() does): the refusal must end it, or listeners pile up.
  it('a subscription refused after its resolver ran ends the iterator the resolver returned', async () => {
    const forgotten = await refused('bob', FORGOTTEN);
    expect(forgotten.subscriber.errors).toHaveLength(1);
    await waitFor(() => started.events.subscribers(approvedTopic(1)) === 0, 'the iterator to end', 1000);
  });

  it('an engine failure at subscribe is an internal error without policy text; the details are only in the log', async () => {
    const exploded = await refused('alice', 'subscription { expenseExploded(id: 3) { expenseId } }');
    expect(failure(exploded.subscriber, 'expenseExploded')).toEqual({
      message: 'Authorization could not be evaluated',
      code: 'INTERNAL_SERVER_ERROR',
      status: 500,
    });
    expect(started.events.subscribers('exploded:3')).toBe(0);
    expect(logs.errors()).toEqual([expect.stringContaining('isAllowed failed in the policy engine')]);
    expect(logs.errors()[0]).toContain('noSuchAttribute');
    await expectNoEvent(exploded, 'exploded:3');
  });
});
