/**
 * One app of the GraphQL benchmark, in a process of its own: `node graphql-server.js <apollo|mercurius>` serves
 * Apollo on Express or Mercurius on Fastify, with OsoModule, and four root fields over the same in-memory expenses:
 * - `expense(id)`: `@Authorize('read', { resource })` and `@AuthorizedResource()`; `expenseOpen(id)`, its baseline,
 *   the same lookup under `@SkipAuthorization()` (same app, same guard and interceptor, no decision);
 * - `expenses`: 100 expenses whose `amount` has `authorizeField()` (`allow_field`); `expensesOpen`, its baseline,
 *   the same list of a type without the middleware. Both root fields skip, so the field rules alone differ.
 * Prints the port on stdout, then serves until stdin closes. Each line read is answered with one line: `cpu`, the
 * CPU time used so far (µs, user + system); `decisions`, `OsoService.compiledDecisions()` as JSON.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import { Args, Field, GraphQLModule, Int, ObjectType, Query, Resolver } from '@nestjs/graphql';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Authorize, AuthorizedResource, authorizeField, OsoModule, OsoService, SkipAuthorization } from 'nestjs-oso';
import { CLASSES, Expense, EXPENSE, findExpense, MEMBER, POLICY_DIR } from './domain.js';
import { serveBenchApp } from './bench-server.js';

/** An expense as GraphQL shows it, without field rules. */
@ObjectType('Expense')
class ExpenseObject {
  @Field(() => Int)
  id!: number;
  @Field(() => Int)
  amount!: number;
}

/** The same expense with its amount decided by `allow_field` (null when denied). */
@ObjectType('GuardedExpense')
class GuardedExpenseObject {
  @Field(() => Int)
  id!: number;
  @Field(() => Int, { nullable: true, middleware: [authorizeField()] })
  amount!: number;
}

/** 100 expenses of Acme, each its own object (the field rules are asked once per object and request). */
const EXPENSES = Array.from({ length: 100 }, (_, i) => new Expense(i + 1, EXPENSE.organization, 100 + i));

@Resolver()
class ExpensesResolver {
  @Query(() => ExpenseObject, { nullable: true })
  @Authorize('read', { resource: (args: { id: number }) => findExpense(String(args.id)) })
  expense(@Args('id', { type: () => Int }) _id: number, @AuthorizedResource() expense: Expense): Expense {
    return expense;
  }

  @Query(() => ExpenseObject, { nullable: true })
  @SkipAuthorization('the baseline of expense(id)')
  expenseOpen(@Args('id', { type: () => Int }) id: number): Promise<Expense | undefined> {
    return findExpense(String(id));
  }

  @Query(() => [GuardedExpenseObject])
  @SkipAuthorization('only the field rules are measured')
  expenses(): Expense[] {
    return EXPENSES;
  }

  @Query(() => [ExpenseObject])
  @SkipAuthorization('the baseline of expenses')
  expensesOpen(): Expense[] {
    return EXPENSES;
  }
}

const [driver = 'apollo'] = process.argv.slice(2);
const graphql =
  driver === 'mercurius'
    ? GraphQLModule.forRoot<MercuriusDriverConfig>({ driver: MercuriusDriver, autoSchemaFile: true })
    : GraphQLModule.forRoot<ApolloDriverConfig>({ driver: ApolloDriver, autoSchemaFile: true });

@Module({
  imports: [graphql, OsoModule.forRoot({ policyDir: POLICY_DIR, classes: CLASSES, getActor: () => MEMBER })],
  providers: [ExpensesResolver],
})
class GraphQLBenchModule {}

const app =
  driver === 'mercurius'
    ? await NestFactory.create(GraphQLBenchModule, new FastifyAdapter(), { logger: false })
    : await NestFactory.create(GraphQLBenchModule, { logger: false });
const oso = app.get(OsoService);
await serveBenchApp(app, (line) => (line === 'decisions' ? JSON.stringify(oso.compiledDecisions()) : undefined));
