import { join } from 'node:path';
import { Module, type ExecutionContext, type INestApplication } from '@nestjs/common';
import { Args, Field, Int, ObjectType, Query, Resolver, Subscription } from '@nestjs/graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { OsoModule, SkipAuthorization, authorizeField } from '../../../src/index.js';
import { LogCollector } from '../../fixtures/log-collector.js';
import { graphQLModule, listenGraphQLApp, type Driver } from './graphql-drivers.js';

export { DRIVERS, type Driver } from './graphql-drivers.js';

/** Who reads the reports; the `x-user` header names one of `READERS`. */
export class Reader {
  constructor(
    readonly id: number,
    readonly role: 'approver' | 'clerk' | 'admin' | 'broken',
  ) {}
}

/** ann approves, cid is a clerk who wrote reports 1 and 3, ada administers, and bo's role breaks the policy. */
export const READERS: Record<string, Reader> = {
  ann: new Reader(10, 'approver'),
  cid: new Reader(1, 'clerk'),
  ada: new Reader(11, 'admin'),
  bo: new Reader(12, 'broken'),
};

/** A report, both the GraphQL object type and the Polar class the `allow_field` rules see. */
@ObjectType()
export class Report {
  @Field(() => Int)
  id: number;
  @Field(() => String)
  title: string;
  @Field(() => Int)
  ownerId: number;
  /** Denied: null. */
  @Field(() => String, { nullable: true, middleware: [authorizeField()] })
  approverNotes: string;
  /** Denied: FORBIDDEN (UNAUTHENTICATED without an actor) on this field alone. */
  @Field(() => String, { nullable: true, middleware: [authorizeField({ whenDenied: 'error' })] })
  auditTrail: string;
  /** Asked with another action: `allow_field(reader, "audit", report, "score")`. */
  @Field(() => Int, { nullable: true, middleware: [authorizeField({ action: 'audit' })] })
  score: number;

  constructor(id: number, ownerId: number) {
    this.id = id;
    this.title = `report ${id}`;
    this.ownerId = ownerId;
    this.approverNotes = `notes-secret-${id}`;
    this.auditTrail = `trail-secret-${id}`;
    this.score = 1000 + id;
  }
}

/** Reports 1 and 3 are cid's. */
export const REPORTS = [new Report(1, 1), new Report(2, 2), new Report(3, 1), new Report(4, 3)];

/** The root fields skip authorization: only the field rules decide what a reader sees. */
@Resolver(() => Report)
@SkipAuthorization('the fields of a report are checked one by one')
export class ReportsResolver {
  @Query(() => Report, { nullable: true })
  report(@Args('id', { type: () => Int }) id: number): Report | undefined {
    return REPORTS.find((report) => report.id === id);
  }

  @Query(() => [Report])
  reports(): Report[] {
    return REPORTS;
  }

  /** Two events carrying the same report, handed over from cid to someone else in between. */
  @Subscription(() => Report)
  reportHandedOver(): AsyncIterator<{ reportHandedOver: Report }> {
    const report = new Report(5, READERS.cid!.id);
    return (async function* () {
      yield { reportHandedOver: report };
      report.ownerId = 2;
      yield { reportHandedOver: report };
    })();
  }
}

type Headers = { headers: Record<string, unknown> };

/**
 * The actor by the module's `getActor`: the reader the `x-user` header names, read from the request in the GraphQL
 * context; for a subscription, from the WebSocket upgrade request (graphql-ws's context on Apollo, `request` on
 * Mercurius).
 */
function readerOf(context: ExecutionContext): Reader | undefined {
  const gqlContext = context.getArgByIndex(2) as {
    req?: Partial<Headers> & { extra?: { request: Headers } };
    request?: Headers;
  };
  const headers = gqlContext.req?.headers ?? gqlContext.req?.extra?.request.headers ?? gqlContext.request?.headers;
  return READERS[String(headers?.['x-user'])];
}

export interface FieldsApp {
  app: INestApplication;
  url: string;
  logs: LogCollector;
}

/**
 * The reports app on the driver (Apollo on Express, Mercurius on Fastify), listening on a free port of 127.0.0.1;
 * with `oso: false`, without OsoModule.
 */
export async function startFieldsApp(driver: Driver, options: { oso?: boolean } = {}): Promise<FieldsApp> {
  const graphql = graphQLModule(driver, { subscriptions: true });
  const oso = OsoModule.forRoot({
    policyDir: join(import.meta.dirname, '../../fixtures/policies/graphql-fields'),
    classes: [Reader, Report],
    getActor: readerOf,
  });
  @Module({ imports: options.oso === false ? [graphql] : [graphql, oso], providers: [ReportsResolver] })
  class FieldsAppModule {}

  const logs = new LogCollector();
  return { ...(await listenGraphQLApp(driver, FieldsAppModule, logs)), logs };
}

/** A GraphQL error as the client receives it. */
export interface FieldError {
  message: string;
  path?: Array<string | number>;
  extensions?: Record<string, unknown>;
}

/** POSTs a query over the app's socket, as the reader `user` names (the `x-user` header) if given. */
export async function queryFields(
  started: FieldsApp,
  query: string,
  user?: string,
): Promise<{ text: string; data?: Record<string, unknown> | null; errors?: FieldError[] }> {
  const response = await fetch(started.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(user ? { 'x-user': user } : {}) },
    body: JSON.stringify({ query }),
  });
  const text = await response.text();
  return { text, ...(JSON.parse(text) as { data?: Record<string, unknown> | null; errors?: FieldError[] }) };
}

/** The events of a subscription over graphql-ws (the `graphql-transport-ws` protocol), as the reader `user`. */
export async function subscribeFields(started: FieldsApp, query: string, user: string): Promise<unknown[]> {
  const client = createClient({
    url: started.url.replace(/^http/, 'ws'),
    lazy: false,
    retryAttempts: 0,
    // The reader's header on the upgrade request, where a browser would send its cookie.
    webSocketImpl: class extends WebSocket {
      constructor(url: string, protocols: string | string[]) {
        super(url, protocols, { headers: { 'x-user': user } });
      }
    },
  });
  try {
    const events: unknown[] = [];
    for await (const event of client.iterate({ query })) events.push(event);
    return events;
  } finally {
    await client.dispose();
  }
}
