import { Controller, Get, ImATeapotException, Inject, Injectable, Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { Authorize, AuthorizedResource, OsoModule, OsoService, type OsoModuleOptions } from '../src/index.js';
import { createTestApp, PLATFORMS, testOsoOptions } from './app/create-app.js';
import { EXPENSES, type Expense } from './fixtures/domain.js';
import { policyFixture } from './fixtures/policies.js';

const ROUTES_ONLY_DIR = policyFixture('routes-only');
const expenseById = (req: { params: { id: string } }) => EXPENSES.get(Number(req.params.id));

@Controller()
class RoutesController {
  @Get()
  @Authorize()
  root() {
    return { root: true };
  }

  @Get('signed-in')
  @Authorize()
  signedIn() {
    return { signedIn: true };
  }
}

@Controller('expenses')
class ExpenseController {
  @Get(':id')
  @Authorize('read', { resource: expenseById })
  read(@AuthorizedResource() expense: Expense) {
    return { id: expense.id };
  }

  @Get(':id/approve')
  @Authorize('approve', { resource: expenseById })
  approve(@AuthorizedResource() expense: Expense) {
    return { approved: expense.id };
  }
}

/** Where async options come from: a provider of another module, as ConfigService would be. */
const SETTINGS = 'SETTINGS';
@Module({ providers: [{ provide: SETTINGS, useValue: { policyDir: ROUTES_ONLY_DIR } }], exports: [SETTINGS] })
class SettingsModule {}

@Injectable()
class OsoOptionsFromClass {
  createOsoOptions(): OsoModuleOptions {
    return { policyDir: ROUTES_ONLY_DIR };
  }
}
@Module({ providers: [OsoOptionsFromClass], exports: [OsoOptionsFromClass] })
class OptionsFactoryModule {}

describe.each(PLATFORMS)('OsoModule configuration on %s', (platform) => {
  const apps: INestApplication[] = [];
  const start = async (...args: Parameters<typeof createTestApp>) => {
    const app = await createTestApp(...args);
    apps.push(app);
    return app;
  };
  afterAll(() => Promise.all(apps.map((app) => app.close())));

  describe.each([
    ['forRoot(policyDir)', () => OsoModule.forRoot(ROUTES_ONLY_DIR)],
    [
      'forRootAsync({ imports, useFactory, inject })',
      () =>
        OsoModule.forRootAsync({
          imports: [SettingsModule],
          inject: [SETTINGS],
          useFactory: (settings: { policyDir: string }) => ({ policyDir: settings.policyDir }),
        }),
    ],
    ['forRootAsync({ useClass })', () => OsoModule.forRootAsync({ useClass: OsoOptionsFromClass })],
    [
      'forRootAsync({ useExisting })',
      () => OsoModule.forRootAsync({ imports: [OptionsFactoryModule], useExisting: OsoOptionsFromClass }),
    ],
  ])('%s', (_name, oso) => {
    it('loads the policy and authorizes decorated routes', async () => {
      const app = await start(platform, { oso: oso(), controllers: [RoutesController], providers: [] });
      await request(app.getHttpServer()).get('/').expect(200, { root: true });
      await request(app.getHttpServer()).get('/signed-in').expect(401);
    });
  });

  it('onUnauthorized replaces the exception of a denial', async () => {
    const app = await start(platform, {
      oso: OsoModule.forRoot(
        testOsoOptions({
          onUnauthorized: (failure) =>
            failure.reason === 'forbidden' ? new ImATeapotException('no approvals') : undefined,
        }),
      ),
      controllers: [ExpenseController],
      providers: [],
    });
    const res = await request(app.getHttpServer()).get('/expenses/1/approve').set('x-user', 'bob').expect(418);
    expect(res.body.message).toBe('no approvals');
    // Returning nothing keeps the default.
    await request(app.getHttpServer()).get('/expenses/2/approve').set('x-user', 'bob').expect(404);
  });

  it('an onUnauthorized that throws still denies', async () => {
    const app = await start(platform, {
      oso: OsoModule.forRoot(
        testOsoOptions({
          onUnauthorized: () => {
            throw new Error('handler bug');
          },
        }),
      ),
      controllers: [ExpenseController],
      providers: [],
    });
    await request(app.getHttpServer()).get('/expenses/1/approve').set('x-user', 'bob').expect(500);
  });

  it('checkRead: false at module level always answers 403', async () => {
    const app = await start(platform, {
      oso: OsoModule.forRoot(testOsoOptions({ checkRead: false })),
      controllers: [ExpenseController],
      providers: [],
    });
    await request(app.getHttpServer()).get('/expenses/2').set('x-user', 'bob').expect(403);
    await request(app.getHttpServer()).get('/expenses/2/approve').set('x-user', 'bob').expect(403);
  });

  it('readAction names the action whose denial gives 404', async () => {
    const app = await start(platform, {
      oso: OsoModule.forRoot(testOsoOptions({ readAction: 'approve' })),
      controllers: [ExpenseController],
      providers: [],
    });
    // bob may read expense 1 but not approve it: with "approve" as the read action, that is a 404.
    await request(app.getHttpServer()).get('/expenses/1/approve').set('x-user', 'bob').expect(404);
  });
});

describe('OsoModule scope', () => {
  @Injectable()
  class NeedsOso {
    constructor(@Inject(OsoService) readonly oso: OsoService) {}
  }
  @Module({ providers: [NeedsOso] })
  class FeatureModule {}

  it('is global by default: any module can inject OsoService', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [OsoModule.forRoot(ROUTES_ONLY_DIR), FeatureModule],
    }).compile();
    expect(moduleRef.get(NeedsOso).oso).toBeInstanceOf(OsoService);
    await moduleRef.close();
  });

  it('with isGlobal: false, a module that does not import it cannot inject OsoService', async () => {
    await expect(
      Test.createTestingModule({
        imports: [OsoModule.forRoot({ policyDir: ROUTES_ONLY_DIR, isGlobal: false }), FeatureModule],
      }).compile(),
    ).rejects.toThrow(/OsoService/);
  });
});
