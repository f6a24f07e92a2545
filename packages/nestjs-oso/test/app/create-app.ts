import { Module, type DynamicModule, type INestApplication, type Provider, type Type } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { OsoModule, type OsoModuleOptions } from '../../src/index.js';
import { LogCollector } from '../fixtures/log-collector.js';
import { POLAR_CLASSES, userFromHeader } from '../fixtures/domain.js';
import {
  ExpenseResolver,
  ExpensesController,
  ExpensesService,
  ReportsController,
  RootController,
} from './expenses.controllers.js';
import { policyFixture } from '../fixtures/policies.js';

export const POLICY_DIR = policyFixture('expenses');

/** The platforms every e2e suite runs on. */
export const PLATFORMS = ['express', 'fastify'] as const;
export type Platform = (typeof PLATFORMS)[number];

/** Options of the main e2e app: actor from the `x-user` header, `requireAuthorization` on. */
export function testOsoOptions(overrides: Partial<OsoModuleOptions> = {}): OsoModuleOptions {
  return {
    policyDir: POLICY_DIR,
    classes: POLAR_CLASSES,
    getActor: (context) => userFromHeader(context.switchToHttp().getRequest().headers),
    requireAuthorization: true,
    ...overrides,
  };
}

export interface AppSpec {
  /** The OsoModule import (forRoot or forRootAsync); defaults to `OsoModule.forRoot(testOsoOptions())`. */
  oso?: DynamicModule;
  controllers?: Type[];
  providers?: Provider[];
  imports?: DynamicModule[];
  /** Receives what the app logs (nothing is printed). */
  logger?: LogCollector;
}

/** Builds, initialises and returns a small Nest app on the given platform, ready for supertest. */
export async function createTestApp(platform: Platform, spec: AppSpec = {}): Promise<INestApplication> {
  @Module({
    imports: [spec.oso ?? OsoModule.forRoot(testOsoOptions()), ...(spec.imports ?? [])],
    controllers: spec.controllers ?? [ExpensesController, ReportsController, RootController],
    providers: spec.providers ?? [ExpensesService, ExpenseResolver],
  })
  class TestAppModule {}

  const moduleRef = await Test.createTestingModule({ imports: [TestAppModule] }).compile();
  const app =
    platform === 'fastify'
      ? moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter())
      : moduleRef.createNestApplication();
  app.useLogger(spec.logger ?? new LogCollector());
  await app.init();
  if (platform === 'fastify') await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
  return app;
}
