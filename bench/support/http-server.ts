/**
 * One server of the HTTP benchmark, in a process of its own, so that the load generator does not share its core and
 * no app pays for what another one in the process set up (AsyncLocalStorage, for one, slows every promise of the
 * process once used). `node http-server.js <express|fastify> <app>`, where app is one of:
 * - `plain`: no nestjs-oso (the baseline, and a route with a no-op guard);
 * - `interceptor`: no nestjs-oso, a no-op global interceptor (what Nest's interceptor pipeline costs alone);
 * - `oso`: nestjs-oso with default options (the three ways to authorize, and a skipped route);
 * - `oso-engine`: the same without compiled decisions (`compile: false`);
 * - `oso-require`: the same with `requireAuthorization: true` (which installs the global interceptor).
 * Prints the port on stdout, then serves until stdin closes, answering each line it reads with its CPU time so far.
 */
import 'reflect-metadata';
import { createInterface } from 'node:readline';
import {
  Controller,
  Get,
  Injectable,
  Module,
  Param,
  UseGuards,
  type CallHandler,
  type CanActivate,
  type ExecutionContext,
  type NestInterceptor,
  type Type,
} from '@nestjs/common';
import { APP_INTERCEPTOR, NestFactory } from '@nestjs/core';
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

@Injectable()
class NoopInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler) {
    return next.handle();
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

const osoOptions = { policyDir: POLICY_DIR, classes: CLASSES, getActor: () => MEMBER };

@Module({ controllers: [PlainController], providers: [NoopGuard] })
class PlainModule {}

@Module({ controllers: [PlainController], providers: [NoopGuard, { provide: APP_INTERCEPTOR, useClass: NoopInterceptor }] })
class InterceptorModule {}

@Module({ imports: [OsoModule.forRoot(osoOptions)], controllers: [OsoController] })
class OsoAppModule {}

@Module({ imports: [OsoModule.forRoot({ ...osoOptions, compile: false })], controllers: [OsoController] })
class OsoEngineAppModule {}

@Module({ imports: [OsoModule.forRoot({ ...osoOptions, requireAuthorization: true })], controllers: [OsoController] })
class OsoRequireAppModule {}

const APPS: Record<string, Type> = {
  plain: PlainModule,
  interceptor: InterceptorModule,
  oso: OsoAppModule,
  'oso-engine': OsoEngineAppModule,
  'oso-require': OsoRequireAppModule,
};

const [platform = 'express', name = 'plain'] = process.argv.slice(2);
const module = APPS[name];
if (!module) throw new Error(`unknown app "${name}": one of ${Object.keys(APPS).join(', ')}`);
const app =
  platform === 'fastify'
    ? await NestFactory.create(module, new FastifyAdapter(), { logger: false })
    : await NestFactory.create(module, { logger: false });
await app.listen(0, '127.0.0.1');
process.stdout.write(`${(app.getHttpServer().address() as { port: number }).port}\n`);
// Each line on stdin asks for the CPU time this process has used so far (µs, user + system), for the cost per request.
createInterface({ input: process.stdin })
  .on('line', () => {
    const { user, system } = process.cpuUsage();
    process.stdout.write(`${user + system}\n`);
  })
  .on('close', () => void app.close().then(() => process.exit(0)));
