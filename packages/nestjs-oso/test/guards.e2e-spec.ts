import { Controller, Get, Req, UseGuards, UseInterceptors, type INestApplication } from '@nestjs/common';
import request from 'supertest';
import {
  Authorize,
  AuthorizedResource,
  OsoGuard,
  OsoModule,
  OsoService,
  RequireAuthorizationInterceptor,
  SkipAuthorization,
} from '../src/index.js';
import { createTestApp, PLATFORMS, POLICY_DIR } from './app/create-app.js';
import { EXPENSES, POLAR_CLASSES, type Expense } from './fixtures/domain.js';
import { HeaderAuthGuard } from './app/header-auth.guard.js';

const expenseById = (req: { params: { id: string } }) => EXPENSES.get(Number(req.params.id));

/** Counts resource loads, to show the route check runs once when OsoGuard is both global and per controller. */
const loads = { count: 0 };
const countingExpenseById = (req: { params: { id: string } }) => {
  loads.count += 1;
  return expenseById(req);
};

/** Authentication by a controller-level guard, which Nest runs after the global guards. */
@Controller('late-auth')
@UseGuards(HeaderAuthGuard)
class LateAuthController {
  @Get(':id')
  @Authorize('read', { resource: expenseById })
  read(@AuthorizedResource() expense: Expense) {
    return { id: expense.id };
  }
}

/** Route authorization for one controller only, placed after authentication. */
@Controller()
@UseGuards(HeaderAuthGuard, OsoGuard)
class GuardedController {
  @Get()
  root() {
    return { root: true };
  }

  @Get('private')
  private() {
    return { secret: true };
  }

  @Get('health')
  @SkipAuthorization()
  health() {
    return { status: 'ok' };
  }

  @Get('expenses/:id')
  @Authorize('read', { resource: countingExpenseById })
  read(@AuthorizedResource() expense: Expense) {
    return { id: expense.id };
  }
}

/** No decorators, no OsoGuard: with default options nothing is checked here. */
@Controller('open')
class OpenController {
  @Get()
  open() {
    return { open: true };
  }
}

/** requireAuthorization for one controller only. */
@Controller('strict')
@UseGuards(HeaderAuthGuard)
@UseInterceptors(RequireAuthorizationInterceptor)
class StrictController {
  constructor(private readonly oso: OsoService) {}

  @Get('forgotten')
  forgotten() {
    return { leaked: true };
  }

  @Get('checked/:id')
  async checked(@Req() req: { user?: unknown; params: { id: string } }) {
    await this.oso.authorize(req.user, 'read', expenseById(req));
    return { checked: true };
  }

  @Get('skipped')
  @SkipAuthorization()
  skipped() {
    return { skipped: true };
  }
}

describe.each(PLATFORMS)('OsoGuard and the default actor on %s', (platform) => {
  let app: INestApplication;
  const get = (path: string, user?: string) => {
    const req = request(app.getHttpServer()).get(path);
    return user ? req.set('x-user', user) : req;
  };

  beforeAll(async () => {
    app = await createTestApp(platform, {
      // Only a policy folder and classes: the actor is request.user, no global route authorization.
      oso: OsoModule.forRoot({ policyDir: POLICY_DIR, classes: POLAR_CLASSES }),
      controllers: [LateAuthController, GuardedController, OpenController, StrictController],
      providers: [],
    });
  });
  afterAll(() => app.close());

  it('@Authorize sees request.user set by a controller-level authentication guard', async () => {
    await get('/late-auth/1', 'bob').expect(200, { id: 1 });
    await get('/late-auth/2', 'bob').expect(404);
    await get('/late-auth/1').expect(401);
  });

  it('@UseGuards(OsoGuard) route-authorizes every undecorated route of its controller', async () => {
    await get('/').expect(200, { root: true });
    await get('/private', 'alice').expect(403);
    await get('/private').expect(401);
  });

  it('@UseGuards(OsoGuard) honours @SkipAuthorization and @Authorize on its routes', async () => {
    await get('/health').expect(200, { status: 'ok' });
    await get('/expenses/1', 'bob').expect(200, { id: 1 });
    await get('/expenses/2', 'bob').expect(404);
  });

  it('leaves undecorated routes of other controllers alone without routeAuthorization or requireAuthorization', async () => {
    await get('/open').expect(200, { open: true });
  });

  it('@UseInterceptors(RequireAuthorizationInterceptor) requires a check on its controller only', async () => {
    const res = await get('/strict/forgotten', 'alice').expect(500);
    expect(res.body).not.toHaveProperty('leaked');
    await get('/strict/checked/1', 'bob').expect(200, { checked: true });
    await get('/strict/checked/2', 'bob').expect(404);
    await get('/strict/skipped').expect(200, { skipped: true });
  });

  it('checks a route once although OsoGuard runs globally and on the controller', async () => {
    const before = loads.count;
    await get('/expenses/1', 'bob').expect(200, { id: 1 });
    expect(loads.count).toBe(before + 1);
  });
});
