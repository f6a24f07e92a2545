/**
 * One server of the HTTP benchmark, in a process of its own, so that the load generator does not share its core and
 * no app pays for what another one in the process set up (AsyncLocalStorage, for one, slows every promise of the
 * process once used). `node http-server.js <express|fastify> <app>`, where app is one of:
 * - `plain`: no nestjs-oso and no oso in the process (the baseline, and a route with a no-op guard);
 * - `plain-oso-loaded`: the same app in a process that has loaded nestjs-oso, and so oso, without using them;
 * - `interceptor`: no nestjs-oso, a no-op global interceptor (what Nest's interceptor pipeline costs alone);
 * - `plain-als`: no nestjs-oso, each request in an AsyncLocalStorage store (what that costs alone);
 * - `casl`: no nestjs-oso, the NestJS docs' CASL recipe on a route with a resource (`casl-app.ts`);
 * - the nestjs-oso apps of `oso-apps.ts`, loaded only when asked for.
 * Prints the port on stdout, then serves until stdin closes, answering each line it reads with its CPU time so far.
 */
import 'reflect-metadata';
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  Controller,
  createParamDecorator,
  Get,
  Injectable,
  Module,
  Param,
  UseGuards,
  type CallHandler,
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
  type NestInterceptor,
  type Type,
} from '@nestjs/common';
import { APP_INTERCEPTOR, NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { body, findExpense, type Expense } from './domain.js';
import { serveBenchApp } from './bench-server.js';

@Injectable()
class NoopGuard implements CanActivate {
  canActivate() {
    return true;
  }
}

/** Where `LoadingGuard` leaves the loaded expense for `@LoadedExpense()`. */
const LOADED = Symbol('loaded expense');

/** The least a guard that loads a resource does: awaits the lookup, keeps the result on the request, allows. */
@Injectable()
class LoadingGuard implements CanActivate {
  canActivate(context: ExecutionContext) {
    const request = context.getArgByIndex(0);
    return findExpense(request.params.id).then((expense) => {
      request[LOADED] = expense;
      return true;
    });
  }
}

const LoadedExpense = createParamDecorator(
  (_data: unknown, context: ExecutionContext) => context.getArgByIndex(0)[LOADED],
);

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

  @Get('loading-guard/:id')
  @UseGuards(LoadingGuard)
  loadingGuard(@LoadedExpense() expense: Expense) {
    return body(expense);
  }

  @Get('noop-guard/:id')
  @UseGuards(NoopGuard)
  async noopGuard(@Param('id') id: string) {
    return body((await findExpense(id))!);
  }
}

@Module({ controllers: [PlainController], providers: [NoopGuard, LoadingGuard] })
class PlainModule {}

@Module({
  controllers: [PlainController],
  providers: [NoopGuard, LoadingGuard, { provide: APP_INTERCEPTOR, useClass: NoopInterceptor }],
})
class InterceptorModule {}

const PLAIN_APPS: Record<string, Type> = {
  plain: PlainModule,
  'plain-oso-loaded': PlainModule,
  'plain-als': PlainModule,
  interceptor: InterceptorModule,
};

/** The app's root module; the nestjs-oso apps (and with them oso) are imported only by the processes that serve them. */
async function appModule(name: string): Promise<Type | undefined> {
  // Loaded the usual way, oso would bring Node's `repl` and `domain`; nestjs-oso leaves them out (oso-library.ts).
  if (name === 'plain-oso-loaded') await import('nestjs-oso');
  if (name === 'casl') return (await import('./casl-app.js')).CASL_APPS[name];
  return PLAIN_APPS[name] ?? (await import('./oso-apps.js')).OSO_APPS[name];
}

const [platform = 'express', name = 'plain'] = process.argv.slice(2);
const module = await appModule(name);
if (!module) throw new Error(`unknown app "${name}"`);
const app =
  platform === 'fastify'
    ? await NestFactory.create(module, new FastifyAdapter(), { logger: false })
    : await NestFactory.create(module, { logger: false });
if (name === 'plain-als') enterStoragePerRequest(platform, app);
await serveBenchApp(app);
// Once any request has entered AsyncLocalStorage, every promise of the process pays for it (Node 20): one request to
// a route that authorizes in its handler (which the route's interceptor runs in the request's context), before the
// bench's warm-up.
if (name === 'oso-require-als') {
  const { port } = app.getHttpServer().address() as { port: number };
  const response = await fetch(`http://127.0.0.1:${port}/oso/service/1`);
  if (!response.ok) throw new Error(`/oso/service/1 answered ${response.status}`);
}

/**
 * What an AsyncLocalStorage costs an app on its own: each request runs in a store of its own, entered before
 * routing (a Fastify onRequest hook, an Express middleware), the cheapest place to enter it.
 */
function enterStoragePerRequest(platform: string, app: INestApplication): void {
  const storage = new AsyncLocalStorage<object>();
  if (platform === 'fastify') {
    const fastify = app.getHttpAdapter().getInstance() as {
      addHook(name: 'onRequest', hook: (request: unknown, reply: unknown, done: () => void) => void): void;
    };
    fastify.addHook('onRequest', (_request, _reply, done) => storage.run({}, done));
  } else {
    app.use((_request: unknown, _response: unknown, next: () => void) => storage.run({}, next));
  }
}
