import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { AppModule } from '../src/app.module.js';
import { configureApp } from '../src/configure-app.js';
import { ENTITIES } from '../src/database/database.options.js';
import { seedDemoData } from '../src/database/seed.js';

/** A fresh in-memory SQLite database (sql.js, as the app's default) with the app's entities. */
export const IN_MEMORY_SQLITE: DataSourceOptions = { type: 'sqljs', entities: ENTITIES, synchronize: true };

/**
 * The sample app on a fresh, seeded database (in-memory SQLite unless given), ready for supertest. `beforeInit` may
 * add what a test needs (global interceptors are read when the app initializes).
 */
export async function createSampleApp(
  database: DataSourceOptions = IN_MEMORY_SQLITE,
  beforeInit?: (app: INestApplication) => void,
): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot({ database })] }).compile();
  const app = configureApp(moduleRef.createNestApplication({ logger: false }));
  beforeInit?.(app);
  await app.init();
  await seedDemoData(app.get(DataSource));
  return app;
}

export const TOKENS = { alice: 'alice-token', bob: 'bob-token', carol: 'carol-token', dave: 'dave-token' } as const;
export type DemoUser = keyof typeof TOKENS;
