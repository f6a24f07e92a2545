import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { AppModule } from './app.module.js';
import { configureApp } from './configure-app.js';
import { databaseOptions } from './database/database.options.js';
import { DEMO_USERS, seedDemoData } from './database/seed.js';

const logger = new Logger('ExpensesApp');
const database = databaseOptions();
const app = configureApp(
  await NestFactory.create(AppModule.forRoot({ database, reloadPolicy: process.env.OSO_RELOAD === '1' })),
);

const where =
  database.type !== 'sqljs'
    ? 'PostgreSQL (DATABASE_URL)'
    : database.location
      ? `SQLite file ${database.location}`
      : 'in-memory SQLite';
if (await seedDemoData(app.get(DataSource))) logger.log(`Created and seeded the database: ${where}`);
else logger.log(`Using the database: ${where}`);

await app.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1');
const url = (await app.getUrl()).replace('[::1]', 'localhost').replace('127.0.0.1', 'localhost');

console.log(`
The expenses sample app is running at ${url}

Tokens (send them as "Authorization: Bearer <token>"; no header means a guest):
${DEMO_USERS.map((u) => `  ${u.name.padEnd(6)} ${u.token.padEnd(12)} ${u.roles.map(([org, role]) => `${role} of ${org}`).join(', ')}`).join('\n')}

Try:
  curl ${url}/organizations/1/expenses -H "Authorization: Bearer bob-token"
  curl ${url}/expenses/4 -H "Authorization: Bearer bob-token"          # 404: bob may not read it
  curl -X POST ${url}/expenses/1/approve -H "Authorization: Bearer carol-token"
  curl ${url}/graphql -H "Authorization: Bearer bob-token" -H "Content-Type: application/json" \\
    -d '{"query":"{ expense(id: 1) { id description approverNotes actions } }"}'
`);
