import {
  Catch,
  Controller,
  ForbiddenException,
  Get,
  Injectable,
  Scope,
  UseGuards,
  UseInterceptors,
  type ArgumentsHost,
  type CallHandler,
  type CanActivate,
  type ExceptionFilter,
  type ExecutionContext,
  type INestApplication,
  type NestInterceptor,
} from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { catchError, of, type Observable } from 'rxjs';
import request from 'supertest';
import { Authorize, OsoGuard, OsoModule, OsoService } from '../src/index.js';
import { createTestApp, PLATFORMS, POLICY_DIR, testOsoOptions, type Platform } from './app/create-app.js';
import { HeaderAuthGuard } from './app/header-auth.guard.js';
import { EXPENSES, POLAR_CLASSES, USERS } from './fixtures/domain.js';
import { LogCollector } from './fixtures/log-collector.js';

/**
 * `requireAuthorization` on an app with HTTP routes only: no global interceptor, but enhancers on the routes whose
 * handler must authorize itself (an interceptor, innermost, and a last guard that watches the response). These are the
 * paths around that interceptor: the app's own interceptors outside it, guards before it, other apps that share the
 * controllers, and a route check an `OsoGuard` of the route may leave undone.
 */
const SECRET = 'top-secret-payload';

/** A cache, as a controller's interceptor: answers without calling the handler. */
@Injectable()
class CachedAnswerInterceptor implements NestInterceptor {
  intercept(): Observable<unknown> {
    return of({ cached: SECRET });
  }
}

/** An interceptor of the controller that answers any error with a fallback value. */
@Injectable()
class FallbackInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(catchError(() => of({ fallback: SECRET })));
  }
}

/** Denies every request: what an authentication guard does to a guest. */
@Injectable()
class DenyGuard implements CanActivate {
  canActivate(): boolean {
    throw new ForbiddenException('sign in first');
  }
}

/** The app's filter for its guard's denial: a redirect to the sign-in page, as server-rendered apps do. */
@Catch(ForbiddenException)
class SignInRedirectFilter implements ExceptionFilter {
  catch(_error: ForbiddenException, host: ArgumentsHost) {
    const response = host.switchToHttp().getResponse();
    if (typeof response.redirect === 'function' && typeof response.json === 'function')
      response.redirect(302, '/sign-in');
    else response.status(302).header('location', '/sign-in').send();
  }
}

@Controller('cached')
@UseInterceptors(CachedAnswerInterceptor)
class CachedController {
  /** Would authorize, but the cache answers first. */
  @Get('forgotten')
  forgotten() {
    return { fresh: true };
  }

  /** Authorized by its route check before the cache answers. */
  @Get('checked/:id')
  @Authorize('read', { resource: (req: { params: { id: string } }) => EXPENSES.get(Number(req.params.id)) })
  checked() {
    return { fresh: true };
  }
}

/** The same, request-scoped: Nest reads its enhancers again for every request, once the app is up. */
@Controller({ path: 'scoped-cache', scope: Scope.REQUEST })
@UseInterceptors(CachedAnswerInterceptor)
class ScopedCachedController {
  @Get('forgotten')
  forgotten() {
    return { fresh: true };
  }
}

@Controller('fallback')
@UseInterceptors(FallbackInterceptor)
class FallbackController {
  /** Never authorizes: the refusal must not turn into the fallback. */
  @Get('forgotten')
  forgotten() {
    return { secret: SECRET };
  }
}

@Controller('guarded')
@UseGuards(DenyGuard)
class GuardedController {
  @Get('forgotten')
  forgotten() {
    return { secret: SECRET };
  }
}

@Controller('shared')
class SharedController {
  constructor(private readonly oso: OsoService) {}

  @Get('forgotten')
  forgotten() {
    return { open: true };
  }

  @Get('via-service')
  async viaService() {
    await new Promise((resolve) => setTimeout(resolve, 1));
    await this.oso.authorize(USERS.bob, 'read', EXPENSES.get(1));
    return { authorized: true };
  }
}

/** An `OsoGuard` that lets everything through without checking (a subclass may do anything). */
@Injectable()
class LaxOsoGuard extends OsoGuard {
  override canActivate(): boolean {
    return true;
  }
}

/** Authentication, then an `OsoGuard` of the controller, which the global check leaves a guest's check to. */
@Controller('lax')
@UseGuards(HeaderAuthGuard, LaxOsoGuard)
class LaxController {
  @Get(':id')
  @Authorize()
  read() {
    return { secret: SECRET };
  }
}

describe.each(PLATFORMS)('requireAuthorization enforced by the routes themselves, on %s', (platform: Platform) => {
  const apps: INestApplication[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  async function start(spec: Parameters<typeof createTestApp>[1]) {
    const logs = new LogCollector();
    const app = await createTestApp(platform, { logger: logs, providers: [], ...spec });
    apps.push(app);
    return { logs, server: app.getHttpServer() };
  }

  it('installs no global interceptor, and names the routes that enforce it', async () => {
    const { logs } = await start({ controllers: [SharedController, CachedController] });
    const line = logs.lines.find((entry) => entry.startsWith('debug Global interceptor:'));
    expect(line).toBe(
      'debug Global interceptor: not installed (requireAuthorization is on; enforced by the routes of ' +
        'SharedController.forgotten, SharedController.viaService, CachedController.forgotten, which authorize in ' +
        'their handler)',
    );
  });

  it('an interceptor of the app that answers without calling the handler answers 500, logged', async () => {
    const { logs, server } = await start({ controllers: [CachedController] });
    const res = await request(server).get('/cached/forgotten').set('x-user', 'bob').expect(500);
    expect(res.text).not.toContain(SECRET);
    expect(logs.errors().join('\n')).toContain('CachedController.forgotten answered without authorizing');
  });

  it('so does a request-scoped controller, whose enhancers Nest reads for each request', async () => {
    const { server } = await start({ controllers: [ScopedCachedController] });
    for (let i = 0; i < 2; i++) {
      const res = await request(server).get('/scoped-cache/forgotten').set('x-user', 'bob').expect(500);
      expect(res.text).not.toContain(SECRET);
    }
  });

  it('the same interceptor on a route checked before it answers as it likes', async () => {
    const { server } = await start({ controllers: [CachedController] });
    await request(server).get('/cached/checked/1').set('x-user', 'bob').expect(200, { cached: SECRET });
    await request(server).get('/cached/checked/2').set('x-user', 'bob').expect(404);
    await request(server).get('/cached/checked/1').expect(401);
  });

  it('an interceptor of the app that turns the refusal into a success answers 500', async () => {
    const { server } = await start({ controllers: [FallbackController] });
    const res = await request(server).get('/fallback/forgotten').set('x-user', 'bob').expect(500);
    expect(res.text).not.toContain(SECRET);
  });

  it("a guard's denial is not the handler's answer: the app's filter may redirect it", async () => {
    const { server } = await start({
      controllers: [GuardedController],
      providers: [{ provide: APP_FILTER, useClass: SignInRedirectFilter }],
    });
    const res = await request(server).get('/guarded/forgotten').set('x-user', 'bob').expect(302);
    expect(res.headers.location).toBe('/sign-in');
    expect(res.text).not.toContain(SECRET);
  });

  it('a route check an OsoGuard of the route leaves undone is enforced after the handler', async () => {
    const { server } = await start({
      oso: OsoModule.forRoot({ policyDir: POLICY_DIR, classes: POLAR_CLASSES, requireAuthorization: true }),
      controllers: [LaxController],
      providers: [LaxOsoGuard],
    });
    const res = await request(server).get('/lax/1').expect(500);
    expect(res.text).not.toContain(SECRET);
  });

  it('apps that share a controller each keep their own options, in either order', async () => {
    const strictFirst = await start({ controllers: [SharedController] });
    const lax = await start({
      oso: OsoModule.forRoot(testOsoOptions({ requireAuthorization: false })),
      controllers: [SharedController],
    });
    const strictAfter = await start({ controllers: [SharedController] });
    for (const strict of [strictFirst, strictAfter]) {
      await request(strict.server).get('/shared/forgotten').set('x-user', 'bob').expect(500);
      await request(strict.server).get('/shared/via-service').set('x-user', 'bob').expect(200, { authorized: true });
    }
    await request(lax.server).get('/shared/forgotten').set('x-user', 'bob').expect(200, { open: true });
    await request(lax.server).get('/shared/via-service').set('x-user', 'bob').expect(200, { authorized: true });
    expect(lax.logs.errors()).toEqual([]);
  });
});
