import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { AppModule } from '../src/app.module.js';
import { configureApp } from '../src/configure-app.js';
import { ENTITIES } from '../src/database/database.options.js';
import { seedDemoData } from '../src/database/seed.js';

/** The sample app on a fresh, seeded in-memory SQLite database, ready for supertest. */
export async function createSampleApp(): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      AppModule.forRoot({ database: { type: 'better-sqlite3', database: ':memory:', entities: ENTITIES, synchronize: true } }),
    ],
  }).compile();
  const app = configureApp(moduleRef.createNestApplication({ logger: false }));
  await app.init();
  await seedDemoData(app.get(DataSource));
  return app;
}

export const TOKENS = { alice: 'alice-token', bob: 'bob-token', carol: 'carol-token', dave: 'dave-token' } as const;
export type DemoUser = keyof typeof TOKENS;
