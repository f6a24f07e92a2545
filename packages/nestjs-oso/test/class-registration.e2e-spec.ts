import { Controller, Get, Module, Param, type INestApplication } from '@nestjs/common';
import request from 'supertest';
import { Authorize, OsoModule, OsoService, PolarClass } from '../src/index.js';
import { createTestApp, PLATFORMS } from './app/create-app.js';
import { policyFixture } from './fixtures/policies.js';

const WIDGETS_DIR = policyFixture('widgets');

/** Two unrelated classes that both call themselves Widget in Polar; each app registers one of them. */
@PolarClass('Widget')
class AcmeWidget {
  readonly visible = true;
}

@PolarClass('Widget')
class GlobexWidget {
  readonly visible = true;
}

/** The actor class, the same in every app. */
class Member {}

const WIDGETS: Record<string, () => object> = { acme: () => new AcmeWidget(), globex: () => new GlobexWidget() };

@Controller('widgets')
class WidgetsController {
  @Get(':maker')
  @Authorize('read', { resource: (req: { params: { maker: string } }) => WIDGETS[req.params.maker]?.() })
  read(@Param('maker') maker: string) {
    return { maker };
  }
}

@Module({ imports: [OsoModule.forFeature([AcmeWidget])] })
class AcmeWidgetsModule {}

@Module({ imports: [OsoModule.forFeature([GlobexWidget])] })
class GlobexWidgetsModule {}

const oso = (classes: Array<new () => object> = []) =>
  OsoModule.forRoot({ policyDir: WIDGETS_DIR, classes: [Member, ...classes], getActor: () => new Member() });

describe.each(PLATFORMS)('Polar classes of two apps in one process on %s', (platform) => {
  const apps: INestApplication[] = [];
  const start = async (imports: Array<new () => object>, root = oso()) => {
    const app = await createTestApp(platform, {
      oso: root,
      imports: imports.map((module) => ({ module })),
      controllers: [WidgetsController],
      providers: [],
    });
    apps.push(app);
    return app;
  };
  let acme: INestApplication;
  let globex: INestApplication;

  beforeAll(async () => {
    acme = await start([AcmeWidgetsModule]);
    globex = await start([GlobexWidgetsModule]);
  });
  afterAll(() => Promise.all(apps.map((app) => app.close())));

  it("each app registers the Widget class of its own forFeature() module, and never the other app's", async () => {
    await request(acme.getHttpServer()).get('/widgets/acme').expect(200, { maker: 'acme' });
    await request(globex.getHttpServer()).get('/widgets/globex').expect(200, { maker: 'globex' });
    // To each app, the other app's class is not a Widget at all: the allow rule does not match.
    await request(acme.getHttpServer()).get('/widgets/globex').expect(404);
    await request(globex.getHttpServer()).get('/widgets/acme').expect(404);
    expect(await acme.get(OsoService).isAllowed(new Member(), 'read', new AcmeWidget())).toBe(true);
    expect(await globex.get(OsoService).isAllowed(new Member(), 'read', new AcmeWidget())).toBe(false);
  });

  it("an app that lists neither class does not see the others' classes: the policy does not load", async () => {
    await expect(start([])).rejects.toThrow(/Unregistered class: Widget/);
  });

  it('a decorated class listed in the "classes" option gets its Polar name', async () => {
    const app = await start([], oso([GlobexWidget]));
    await request(app.getHttpServer()).get('/widgets/globex').expect(200);
  });

  it('a class in both the "classes" option and a forFeature() module is registered once', async () => {
    const app = await start([AcmeWidgetsModule], oso([AcmeWidget]));
    await request(app.getHttpServer()).get('/widgets/acme').expect(200);
  });

  it('two classes under one Polar name in one app stop it, naming both classes and the modules they came from', async () => {
    await expect(start([AcmeWidgetsModule, GlobexWidgetsModule])).rejects.toThrow(
      'duplicate Polar class name "Widget": class AcmeWidget and class GlobexWidget ' +
        '(from OsoModule.forFeature() in AcmeWidgetsModule and OsoModule.forFeature() in GlobexWidgetsModule)',
    );
    await expect(start([GlobexWidgetsModule], oso([AcmeWidget]))).rejects.toThrow(
      'class AcmeWidget and class GlobexWidget (from the "classes" option and OsoModule.forFeature() in GlobexWidgetsModule)',
    );
  });
});
