import { Controller, Get, Injectable, Module, UseGuards, type INestApplication } from '@nestjs/common';
import { EventPattern, MessagePattern } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { SubscribeMessage } from '@nestjs/websockets';
import { Authorize, OsoConfigurationError, OsoGuard, OsoModule, SkipAuthorization } from '../src/index.js';
import { createTestApp, testOsoOptions, type AppSpec } from './app/create-app.js';
import {
  ExpenseResolver,
  ExpensesController,
  ExpensesService,
  ReportsController,
  RootController,
} from './app/expenses.controllers.js';
import { LogCollector } from './fixtures/log-collector.js';

@Controller('guarded')
@UseGuards(OsoGuard)
class GuardedController {
  @Get()
  list() {
    return [];
  }
}

/** Message handlers: Nest maps none of them in an HTTP-only app, but the route table lists them all. */
@Controller()
class MessagesController {
  @MessagePattern({ cmd: 'expenses.count' })
  @Authorize('count')
  count() {
    return 0;
  }

  @EventPattern<string>('expense.created')
  @SkipAuthorization('an audit trail')
  created() {}
}

/** A gateway's handler (the route table reads its metadata; no WebSocket server is started here). */
@Injectable()
class EventsHandlers {
  @SubscribeMessage('ping')
  ping() {
    return 'pong';
  }
}

/** The route table is one debug message; these are its lines. */
const routeTable = (logs: LogCollector) =>
  logs.lines.find((line) => line.startsWith('debug Routes and their authorization:'))?.split('\n') ?? [];

describe('startup diagnostics', () => {
  const apps: INestApplication[] = [];
  afterAll(() => Promise.all(apps.map((app) => app.close())));
  /** Starts an app and returns what it logged. */
  const startupLogs = async (spec: AppSpec = {}) => {
    const logs = new LogCollector();
    apps.push(await createTestApp('express', { ...spec, logger: logs }));
    return logs;
  };

  it('logs the policy files loaded and the classes registered', async () => {
    const logs = await startupLogs();
    expect(logs.lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^log Loaded 2 policy files: \S*test\/fixtures\/policies\/expenses\/authorization\.polar, \S*test\/fixtures\/policies\/expenses\/routes\/http\.polar$/,
        ),
        'log Registered Polar classes: HttpRequest, GraphQLOperation, InboundMessage, User, Organization, Expense, Membership',
      ]),
    );
    expect(logs.lines.filter((line) => line.includes('Reloading the policy'))).toEqual([]);
  });

  it('says when and how the policy reloads, with how long a change must stay the same before it is taken', async () => {
    const logs = await startupLogs({ oso: OsoModule.forRoot(testOsoOptions({ reload: 'poll' })) });
    expect(logs.lines).toContain(
      'log Reloading the policy when its files change (checked on each request; a change is taken once the files stay the same for 1000 ms)',
    );
    const watching = await startupLogs({
      oso: OsoModule.forRoot(testOsoOptions({ reload: 'watch', reloadSettleMs: 250 })),
    });
    expect(watching.lines).toContain(
      'log Reloading the policy when its files change (watching the policy folders; a change is taken once the files stay the same for 250 ms)',
    );
  });

  it.each([-1, Number.NaN, '100'])(
    'stops at startup on a reloadSettleMs of %p, naming the option',
    async (reloadSettleMs) => {
      const started = startupLogs({
        oso: OsoModule.forRoot(testOsoOptions({ reload: 'watch', reloadSettleMs: reloadSettleMs as number })),
      });
      await expect(started).rejects.toThrow(
        `"reloadSettleMs" must be a number of milliseconds (0 or more), got ${String(reloadSettleMs)}`,
      );
      await expect(started).rejects.toBeInstanceOf(OsoConfigurationError);
    },
  );

  it('logs at debug level a table of every route with its authorization mode', async () => {
    const logs = await startupLogs({
      controllers: [ExpensesController, ReportsController, RootController, GuardedController],
    });
    const table = routeTable(logs);
    const row = (method: string, path: string, handler: string, mode: string) =>
      new RegExp(
        `^  ${method} +${path.replace(/[/:]/g, '\\$&')} +${handler.replace('.', '\\.')} +${mode.replace(/[()]/g, '\\$&')}$`,
      );
    for (const expected of [
      row(
        'GET',
        '/expenses/summary',
        'ExpensesController.summary',
        'left to the service (500 unless it authorizes or skips)',
      ),
      row(
        'GET',
        '/expenses/:id',
        'ExpensesController.findOne',
        'decorated: @Authorize("read") on resource from ExpenseResolver',
      ),
      row(
        'PUT',
        '/expenses/:id',
        'ExpensesController.update',
        'decorated: @Authorize(HTTP method) on resource from expenseById',
      ),
      row(
        'GET',
        '/expenses/:id/resolver-fails',
        'ExpensesController.resolverFails',
        'decorated: @Authorize("read") on resource from an inline function',
      ),
      row('GET', '/reports', 'ReportsController.all', 'decorated: @Authorize("audit") on its HttpRequest'),
      row('GET', '/reports/public/summary', 'ReportsController.published', 'skipped (published figures)'),
      row('GET', '/health', 'RootController.health', 'skipped (load balancer probe)'),
      row('GET', '/guarded', 'GuardedController.list', 'route-authorized: allow(actor, method, request: HttpRequest)'),
    ]) {
      expect(table).toEqual(expect.arrayContaining([expect.stringMatching(expected)]));
    }
    // One row for each route Nest mapped (and logged as "Mapped {/path, GET} route").
    expect(table).toHaveLength(1 + logs.lines.filter((line) => /^log Mapped \{.*\} route$/.test(line)).length);
  });

  it('lists message patterns, events and gateway events with how each is authorized', async () => {
    const table = routeTable(
      await startupLogs({
        controllers: [MessagesController],
        providers: [ExpensesService, ExpenseResolver, EventsHandlers],
      }),
    );
    expect(table).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^ {2}MESSAGE +\{"cmd":"expenses\.count"\} +MessagesController\.count +decorated: @Authorize\("count"\) on its InboundMessage$/,
        ),
        expect.stringMatching(/^ {2}EVENT +expense\.created +MessagesController\.created +skipped \(an audit trail\)$/),
        expect.stringMatching(/^ {2}WS +ping +EventsHandlers\.ping +left to the service/),
      ]),
    );
  });

  it('with routeAuthorization, undecorated routes are route-authorized', async () => {
    const logs = await startupLogs({ oso: OsoModule.forRoot(testOsoOptions({ routeAuthorization: true })) });
    expect(routeTable(logs)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^ {2}GET +\/private +RootController\.private +route-authorized/)]),
    );
  });

  it('shows paths with the global prefix', async () => {
    @Module({
      imports: [OsoModule.forRoot(testOsoOptions())],
      controllers: [RootController],
      providers: [ExpensesService, ExpenseResolver],
    })
    class PrefixedModule {}
    const logs = new LogCollector();
    const app = (await Test.createTestingModule({ imports: [PrefixedModule] }).compile()).createNestApplication();
    apps.push(app);
    app.useLogger(logs);
    app.setGlobalPrefix('api/v1');
    await app.init();
    expect(routeTable(logs)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^ {2}GET +\/api\/v1\/health +RootController\.health +skipped/)]),
    );
  });
});
