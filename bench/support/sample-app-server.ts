/**
 * The sample app in a process of its own, as its e2e tests start it (sample-app/test/create-sample-app.ts): its
 * built AppModule (`npm run build` writes sample-app/dist) on a fresh in-memory SQLite database (sql.js), seeded with
 * the demo data, plus `EXTRA_EXPENSES` expenses of Acme submitted by bob, inserted through the repository before the
 * app listens, so that pages of 20 and 100 are full. `node sample-app-server.js`.
 * Prints the port on stdout, then serves until stdin closes, answering each line
 * it reads with its CPU time so far (µs, user + system), as http-server.ts does.
 */
import 'reflect-metadata';
import type { DynamicModule, INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource, type DataSourceOptions, type EntityTarget, type ObjectLiteral } from 'typeorm';
import { serveBenchApp } from './bench-server.js';

/** Expenses added to Acme (organization 1) on top of the demo's three. */
export const EXTRA_EXPENSES = 150;

// The sample app ships no declarations: these are the parts of its modules used here.
interface SampleApp {
  AppModule: { forRoot(options: { database: DataSourceOptions }): DynamicModule };
  configureApp(app: INestApplication): INestApplication;
  ENTITIES: Array<new () => ObjectLiteral>;
  Expense: EntityTarget<ObjectLiteral>;
  seedDemoData(dataSource: DataSource): Promise<boolean>;
}

/** Imports a module of the built sample app (a path from here that the bench's compilation does not follow). */
async function sampleApp(): Promise<SampleApp> {
  const dist = new URL('../../../sample-app/dist/', import.meta.url);
  const load = (path: string) => import(new URL(path, dist).href) as Promise<Record<string, unknown>>;
  const files = [
    'app.module',
    'configure-app',
    'database/database.options',
    'database/seed',
    'expenses/expense.entity',
  ];
  const modules = await Promise.all(files.map((file) => load(`${file}.js`)));
  return Object.assign({}, ...modules) as SampleApp;
}

const { AppModule, configureApp, ENTITIES, Expense, seedDemoData } = await sampleApp();
const app = configureApp(
  await NestFactory.create(AppModule.forRoot({ database: { type: 'sqljs', entities: ENTITIES, synchronize: true } }), {
    logger: false,
  }),
);
await app.init();
const dataSource = app.get(DataSource);
await seedDemoData(dataSource);
// The demo's expense 1 is bob's, in Acme. bob (user 2) submits to Acme (organization 1), whose member he is: every row is his to read, none his to approve.
const expenses = dataSource.getRepository(Expense);
await expenses.save(
  Array.from({ length: EXTRA_EXPENSES }, (_, i) =>
    expenses.create({ amount: 100 + i, description: `Expense ${i + 1}`, organizationId: 1, submittedById: 2 }),
  ),
);
await serveBenchApp(app);
