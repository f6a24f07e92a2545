import {
  Catch,
  Controller,
  Get,
  HttpException,
  NotFoundException,
  Query,
  Res,
  Sse,
  type ArgumentsHost,
  type ExceptionFilter,
  type INestApplication,
} from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import * as fc from 'fast-check';
import { map, of, timer } from 'rxjs';
import request from 'supertest';
import {
  Authorize,
  AuthorizedResource,
  OsoModule,
  OsoService,
  SkipAuthorization,
  type OsoModuleOptions,
} from '../src/index.js';
import { createTestApp, PLATFORMS, testOsoOptions, type Platform } from './app/create-app.js';
import { EXPENSES, USERS, type Expense } from './fixtures/domain.js';
import { LogCollector } from './fixtures/log-collector.js';

const expenseById = (req: { params: { id: string } }) => EXPENSES.get(Number(req.params.id));
const SECRET = 'top-secret-payload';

/** An application error that the app's own exception filter answers with 200 and the error's payload. */
class PayloadError extends Error {
  constructor(readonly payload: unknown) {
    super('payload');
  }
}

@Catch(PayloadError)
class PayloadFilter implements ExceptionFilter {
  catch(error: PayloadError, host: ArgumentsHost) {
    const response = host.switchToHttp().getResponse();
    // Express and Fastify both take status(...) then send(...)/json(...).
    if (typeof response.json === 'function') response.status(200).json(error.payload);
    else response.status(200).send(error.payload);
  }
}

@Controller('holes')
class HolesController {
  constructor(private readonly oso: OsoService) {}

  /** Never authorizes, and throws an exception whose status is not an error. */
  @Get('throws')
  throws(): never {
    throw new HttpException({ secret: SECRET }, 200);
  }

  /** Never authorizes; throws with the status the query asks for. */
  @Get('throws-status')
  throwsStatus(@Query('status') status: string): never {
    throw new HttpException({ secret: SECRET }, Number(status));
  }

  /** Never authorizes; an app filter turns its error into a 200 with the payload. */
  @Get('filtered')
  filtered(): never {
    throw new PayloadError({ secret: SECRET });
  }

  /** Never authorizes; a 404 is already an error and passes unchanged. */
  @Get('not-found')
  notFound(): never {
    throw new NotFoundException('no such thing');
  }

  /** Authorizes, then throws a 2xx exception: the app's own choice once the request is authorized. */
  @Get('authorized-throws/:id')
  async authorizedThrows(): Promise<never> {
    await this.oso.authorize(USERS.bob, 'read', EXPENSES.get(1));
    throw new HttpException({ fine: true }, 200);
  }

  /** Never authorizes and writes the response itself. */
  @Get('raw')
  raw(@Res() res: { status(code: number): { send(body: unknown): void } }) {
    res.status(200).send({ secret: SECRET });
  }

  /** Authorizes, then writes the response itself. */
  @Get('raw-authorized')
  async rawAuthorized(@Res() res: { status(code: number): { send(body: unknown): void } }) {
    await this.oso.authorize(USERS.bob, 'read', EXPENSES.get(1));
    res.status(200).send({ ok: true });
  }

  /** A server-sent-events stream that never authorizes. */
  @Sse('events')
  events() {
    // Emits after the headers would be out: the check cannot wait for the first event.
    return timer(30).pipe(map(() => ({ data: { secret: SECRET } })));
  }

  /** A server-sent-events stream that authorizes inside its handler: too late, the status line may already be out. */
  @Sse('events-late')
  async eventsLate() {
    await this.oso.authorize(USERS.bob, 'read', EXPENSES.get(1));
    return of({ data: { late: true } });
  }

  /** A server-sent-events stream authorized by its route check, before the handler. */
  @Sse('events/:id')
  @Authorize('read', { resource: expenseById })
  authorizedEvents(@AuthorizedResource() expense: Expense) {
    return of({ data: { id: expense.id } });
  }

  /** A skipped server-sent-events stream. */
  @Sse('public-events')
  @SkipAuthorization('public feed')
  publicEvents() {
    return of({ data: { public: true } });
  }
}

@Controller('denials')
class DenialsController {
  @Get(':id')
  @Authorize('approve', { resource: expenseById })
  approve(@AuthorizedResource() expense: Expense) {
    return { approved: expense.id, secret: SECRET };
  }
}

describe.each(PLATFORMS)('fail closed on %s', (platform: Platform) => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  describe('onUnauthorized can never turn a denial into a success', () => {
    async function startWith(onUnauthorized: OsoModuleOptions['onUnauthorized'], logger = new LogCollector()) {
      app = await createTestApp(platform, {
        oso: OsoModule.forRoot(testOsoOptions({ onUnauthorized })),
        controllers: [DenialsController],
        providers: [],
        logger,
      });
      return app;
    }

    it('a returned 200 exception answers 500, logged once naming the option', async () => {
      const logger = new LogCollector();
      const server = (await startWith(() => new HttpException({ secret: SECRET }, 200), logger)).getHttpServer();
      for (const user of ['bob', 'carol']) {
        const res = await request(server).get('/denials/1').set('x-user', user).expect(500);
        expect(JSON.stringify(res.body)).not.toContain(SECRET);
      }
      const misconfigurations = logger.errors().filter((line) => line.includes('onUnauthorized'));
      expect(misconfigurations).toHaveLength(1);
      expect(misconfigurations[0]).toContain('200');
    });

    it('a thrown 200 exception answers 500', async () => {
      const server = (
        await startWith(() => {
          throw new HttpException({ secret: SECRET }, 200);
        })
      ).getHttpServer();
      const res = await request(server).get('/denials/1').set('x-user', 'bob').expect(500);
      expect(JSON.stringify(res.body)).not.toContain(SECRET);
    });

    it('any status below 400 answers 500; 4xx and 5xx pass unchanged (generated statuses)', async () => {
      let status = 200;
      const server = (await startWith(() => new HttpException('custom', status))).getHttpServer();
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 100, max: 599 }), async (generated) => {
          status = generated;
          const res = await request(server).get('/denials/1').set('x-user', 'bob');
          expect(res.status).toBe(generated < 400 ? 500 : generated);
        }),
        { seed: 1403, numRuns: 40 },
      );
    });
  });

  describe('requireAuthorization holds whatever path the response takes', () => {
    async function startStrict() {
      app = await createTestApp(platform, {
        oso: OsoModule.forRoot(testOsoOptions({ requireAuthorization: true })),
        controllers: [HolesController],
        providers: [{ provide: APP_FILTER, useClass: PayloadFilter }],
      });
      return app.getHttpServer();
    }

    it('a handler that never authorized and throws a 200 exception answers 500 without its body', async () => {
      const res = await request(await startStrict())
        .get('/holes/throws')
        .set('x-user', 'bob')
        .expect(500);
      expect(JSON.stringify(res.body)).not.toContain(SECRET);
    });

    it('a thrown exception below 400 answers 500, at or above 400 it passes (generated statuses)', async () => {
      const server = await startStrict();
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 100, max: 599 }), async (status) => {
          const res = await request(server).get(`/holes/throws-status?status=${status}`).set('x-user', 'bob');
          expect(res.status).toBe(status < 400 ? 500 : status);
          if (status < 400) expect(res.text).not.toContain(SECRET);
        }),
        { seed: 1404, numRuns: 40 },
      );
    });

    it('an error an exception filter would answer with 200 answers 500', async () => {
      const res = await request(await startStrict())
        .get('/holes/filtered')
        .set('x-user', 'bob')
        .expect(500);
      expect(res.text).not.toContain(SECRET);
    });

    it('an error response of a handler that never authorized passes unchanged', async () => {
      await request(await startStrict())
        .get('/holes/not-found')
        .set('x-user', 'bob')
        .expect(404);
    });

    it('a handler that authorized may answer with whatever it throws', async () => {
      const res = await request(await startStrict())
        .get('/holes/authorized-throws/1')
        .set('x-user', 'bob')
        .expect(200);
      expect(res.body).toEqual({ fine: true });
    });

    it('a handler that writes its own response without authorizing answers 500 without its body', async () => {
      const res = await request(await startStrict())
        .get('/holes/raw')
        .set('x-user', 'bob')
        .expect(500);
      expect(res.text).not.toContain(SECRET);
    });

    it('a handler that authorizes, then writes its own response, answers as it wrote', async () => {
      const res = await request(await startStrict())
        .get('/holes/raw-authorized')
        .set('x-user', 'bob')
        .expect(200);
      expect(res.body).toEqual({ ok: true });
    });

    it('an @Sse() stream that never authorizes answers 500 before any status line', async () => {
      const res = await request(await startStrict())
        .get('/holes/events')
        .set('x-user', 'bob')
        .expect(500);
      expect(res.text).not.toContain(SECRET);
      expect(res.headers['content-type']).not.toContain('text/event-stream');
    });

    it('an @Sse() stream must be authorized before its handler runs: authorizing inside it answers 500', async () => {
      await request(await startStrict())
        .get('/holes/events-late')
        .set('x-user', 'bob')
        .expect(500);
    });

    it('an @Sse() stream authorized by its route check, or skipped, streams', async () => {
      const server = await startStrict();
      const authorized = await request(server).get('/holes/events/1').set('x-user', 'bob').expect(200);
      expect(authorized.headers['content-type']).toContain('text/event-stream');
      expect(authorized.text).toContain('data: {"id":1}');
      await request(server).get('/holes/events/2').set('x-user', 'bob').expect(404);
      const skipped = await request(server).get('/holes/public-events').expect(200);
      expect(skipped.text).toContain('data: {"public":true}');
    });
  });
});
