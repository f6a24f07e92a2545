/** One sample of the warm-up benchmark: starts the module (with or without warm-up), times its first 50 checks. */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { OsoModule, OsoService } from 'nestjs-oso';
import { CLASSES, EXPENSE, MEMBER, Membership, Organization, POLICY_DIR, User, Expense } from './domain.js';

const warmUp = process.argv[2] === 'on';

@Module({ imports: [OsoModule.forRoot({ policyDir: POLICY_DIR, classes: CLASSES, warmUp })] })
class AppModule {}

const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
await app.init();
const oso = app.get(OsoService);
const times: number[] = [];
for (let i = 0; i < 50; i++) {
  // Fresh objects each time, as requests bring.
  const user = new User(10 + i, [new Membership(1, i % 2 ? 'member' : 'admin')]);
  const expense = new Expense(i, new Organization(EXPENSE.organization.id), 1);
  const start = performance.now();
  await oso.isAllowed(i % 5 ? user : MEMBER, i % 3 ? 'read' : 'approve', expense);
  times.push(performance.now() - start);
}
await app.close();
process.stdout.write(JSON.stringify({ first: times[0], first50: times.reduce((a, b) => a + b, 0) }));
