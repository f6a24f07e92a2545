import type { AddressInfo } from 'node:net';
import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import { GraphQLModule } from '@nestjs/graphql';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { LogCollector } from '../../fixtures/log-collector.js';

/** The GraphQL drivers every GraphQL suite runs on: Apollo on Express, Mercurius on Fastify. */
export const DRIVERS = ['apollo', 'mercurius'] as const;
export type Driver = (typeof DRIVERS)[number];

/** How a suite's GraphQL module differs from the code-first default. */
export interface GraphQLModuleSpec {
  fieldResolverEnhancers?: Array<'guards' | 'interceptors' | 'filters'>;
  /**
   * Subscriptions over graphql-ws. On Mercurius, `onConnect` gives what is merged into every subscription's context
   * from the client's connection params (Apollo hands the params to `getActor` in its own context).
   */
  subscriptions?: boolean | { onConnect: (params: Record<string, unknown>) => Record<string, unknown> };
}

/** The code-first GraphQL module of the driver. */
export function graphQLModule(driver: Driver, spec: GraphQLModuleSpec = {}): DynamicModule {
  const common = {
    autoSchemaFile: true,
    ...(spec.fieldResolverEnhancers && { fieldResolverEnhancers: spec.fieldResolverEnhancers }),
  } as const;
  if (driver === 'apollo') {
    return GraphQLModule.forRoot<ApolloDriverConfig>({
      driver: ApolloDriver,
      ...common,
      ...(spec.subscriptions && { subscriptions: { 'graphql-ws': true } }),
    });
  }
  const subscriptions = spec.subscriptions;
  return GraphQLModule.forRoot<MercuriusDriverConfig>({
    driver: MercuriusDriver,
    ...common,
    ...(subscriptions && {
      subscription:
        typeof subscriptions === 'object'
          ? { onConnect: ({ payload }) => subscriptions.onConnect((payload ?? {}) as Record<string, unknown>) }
          : true,
    }),
  });
}

/** A GraphQL app listening on a free port of 127.0.0.1, and its `http://` GraphQL endpoint. */
export interface ListeningGraphQLApp {
  app: INestApplication;
  url: string;
}

/**
 * Starts `module` on the driver's platform (Express for Apollo, Fastify for Mercurius) on a free port, logging to
 * `logger`; `beforeListen` adds what the suite needs (an authentication stand-in).
 */
export async function listenGraphQLApp(
  driver: Driver,
  module: Type,
  logger: LogCollector = new LogCollector(),
  beforeListen?: (app: INestApplication) => void,
): Promise<ListeningGraphQLApp> {
  const moduleRef = await Test.createTestingModule({ imports: [module] }).compile();
  const app =
    driver === 'mercurius'
      ? moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter())
      : moduleRef.createNestApplication();
  app.useLogger(logger);
  beforeListen?.(app);
  try {
    await app.listen(0, '127.0.0.1');
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}/graphql` };
}
