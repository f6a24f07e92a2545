/**
 * The servers of the HTTP benchmark, run in a child process so that the load generator does not share its core:
 * one app without nestjs-oso (the baseline and a no-op guard) and one with it (the three ways to authorize), with
 * compiled decisions (the default) and without (`compile: false`, the app `oso-engine`).
 * Prints `{ "plain": port, "oso": port, "oso-engine": port }` on stdout, then serves until stdin closes.
 */
import 'reflect-metadata';
import {
  Controller,
  Get,
  Injectable,
  Module,
  Param,
  UseGuards,
  type CanActivate,
  type INestApplication,
  type Type,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Authorize, AuthorizedResource, OsoModule, OsoService, SkipAuthorization } from 'nestjs-oso';
import { CLASSES, EXPENSE, MEMBER, POLICY_DIR, type Expense } from './domain.js';

const body = (expense: Expense) => ({ id: expense.id, amount: expense.amount });
const findExpense = async (id: string) => (Number(id) === EXPENSE.id ? EXPENSE : undefined);

@Injectable()
class NoopGuard implements CanActivate {
  canActivate() {
    return true;
  }
}

@Controller('plain')
class PlainController {
  @Get('none/:id')
  async none(@Param('id') id: string) {
    return body((await findExpense(id))!);
  }

  @Get('noop-guard/:id')
  @UseGuards(NoopGuard)
  async noopGuard(@Param('id') id: string) {
    return body((await findExpense(id))!);
  }
}

@Controller('oso')
class OsoController {
  constructor(private readonly oso: OsoService) {}

  @Get('skipped/:id')
  @SkipAuthorization('measures what the module costs around a route')
  async skipped(@Param('id') id: string) {
    return body((await findExpense(id))!);
  }

  @Get('route')
  @Authorize()
  async route() {
    return body(EXPENSE);
  }

  @Get('decorator/:id')
  @Authorize('read', { resource: (request: { params: { id: string } }) => findExpense(request.params.id) })
  decorator(@AuthorizedResource() expense: Expense) {
    return body(expense);
  }

  @Get('service/:id')
  async service(@Param('id') id: string) {
    const expense = await findExpense(id);
    await this.oso.authorize(MEMBER, 'read', expense);
    return body(expense!);
  }
}

@Module({ controllers: [PlainController], providers: [NoopGuard] })
class PlainModule {}

@Module({
  imports: [OsoModule.forRoot({ policyDir: POLICY_DIR, classes: CLASSES, getActor: () => MEMBER, requireAuthorization: true })],
  controllers: [OsoController],
})
class OsoAppModule {}

@Module({
  imports: [OsoModule.forRoot({ policyDir: POLICY_DIR, classes: CLASSES, getActor: () => MEMBER, requireAuthorization: true, compile: false })],
  controllers: [OsoController],
})
class OsoEngineAppModule {}

async function start(module: Type, platform: string): Promise<INestApplication> {
  const app =
    platform === 'fastify'
      ? await NestFactory.create(module, new FastifyAdapter(), { logger: false })
      : await NestFactory.create(module, { logger: false });
  await app.listen(0, '127.0.0.1');
  return app;
}

const platform = process.argv[2] ?? 'express';
const apps = [await start(PlainModule, platform), await start(OsoAppModule, platform), await start(OsoEngineAppModule, platform)];
const port = (app: INestApplication) => (app.getHttpServer().address() as { port: number }).port;
process.stdout.write(`${JSON.stringify({ plain: port(apps[0]!), oso: port(apps[1]!), 'oso-engine': port(apps[2]!) })}\n`);
process.stdin.resume();
process.stdin.on('end', () => void Promise.all(apps.map((app) => app.close())).then(() => process.exit(0)));
