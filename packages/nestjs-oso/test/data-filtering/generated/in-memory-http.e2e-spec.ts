import { Controller, Get, Param, Query, type INestApplication } from '@nestjs/common';
import request from 'supertest';
import { OsoModule, OsoService } from '../../../src/index.js';
import { InMemoryAdapter } from '../../../src/data-filtering/index.js';
import { createTestApp, PLATFORMS, type Platform } from '../../app/create-app.js';
import { LogCollector } from '../../fixtures/log-collector.js';
import { policyFixture } from '../../fixtures/policies.js';

/** An item as a JSON body or a cache gives it: any property may be absent, or hold a value of another type. */
class Item {
  constructor(fields: Record<string, unknown>) {
    Object.assign(this, fields);
  }
}

class User {
  constructor(readonly id: number) {}
}

/** The lists of issue 15: each has one item the engine raises on (or decides against the old filter), named by `?set=`. */
const SETS: Record<string, Item[]> = {
  clean: [new Item({ id: 1, deletedAt: null, level: 1, ownerId: 1, isPublic: false, colour: 'red' })],
  undefined: [new Item({ id: 1, deletedAt: null }), new Item({ id: 2, deletedAt: undefined })],
  absent: [new Item({ id: 1, deletedAt: null }), new Item({ id: 2 })],
  'string-level': [new Item({ id: 1, level: 2 }), new Item({ id: 2, level: '2' })],
  'list-level': [new Item({ id: 1, level: 2 }), new Item({ id: 2, level: [1] })],
  'null-level': [new Item({ id: 1, level: 2 }), new Item({ id: 2, level: null }), new Item({ id: 3, level: 4 })],
  'public-without-owner': [new Item({ id: 1, ownerId: 1, isPublic: false }), new Item({ id: 2, isPublic: true })],
  'no-colour': [new Item({ id: 1 })],
};

@Controller('items')
class ItemsController {
  constructor(private readonly oso: OsoService) {}

  @Get(':action')
  async list(@Param('action') action: string, @Query('set') set: string) {
    const items = await this.oso.authorizedResources(new User(1), action, Item, SETS[set]!);
    return { ids: items.map((item) => (item as { id: number }).id) };
  }
}

describe.each(PLATFORMS)('in-memory lists answer as isAllowed, errors included, on %s', (platform: Platform) => {
  let app: INestApplication;
  let logs: LogCollector;

  beforeAll(async () => {
    logs = new LogCollector();
    app = await createTestApp(platform, {
      oso: OsoModule.forRoot({
        policyDir: policyFixture('generated-items'),
        classes: [Item, User],
        dataFiltering: new InMemoryAdapter(),
      }),
      controllers: [ItemsController],
      providers: [],
      logger: logs,
    });
  });
  afterAll(async () => {
    await app.close();
  });

  const list = (action: string, set: string) => request(app.getHttpServer()).get(`/items/${action}?set=${set}`);

  it('a clean list is filtered (200)', async () => {
    for (const action of ['live', 'low', 'mine', 'typo']) {
      const response = await list(action, 'clean');
      expect([response.status, response.body]).toEqual([200, { ids: [1] }]);
    }
  });

  it('an item whose deletedAt is undefined is not nil: not kept (200)', async () => {
    const response = await list('live', 'undefined');
    expect([response.status, response.body]).toEqual([200, { ids: [1] }]);
  });

  it('nil is less than 3 for the engine: kept (200)', async () => {
    const response = await list('low', 'null-level');
    expect([response.status, response.body]).toEqual([200, { ids: [1, 2] }]);
  });

  it.each([
    ['live', 'absent', 'an item without deletedAt'],
    ['low', 'string-level', 'a level "2" compared with 3'],
    ['low', 'list-level', 'a level [1] compared with 3'],
    ['mine', 'public-without-owner', 'a public item without ownerId'],
    ['typo', 'no-colour', 'a rule reading an attribute no item has'],
  ])('where the engine raises (%s on %s: %s), the list answers 500, not a shorter list', async (action, set) => {
    const before = logs.errors().length;
    const response = await list(action, set);
    expect(response.status).toBe(500);
    expect(response.body.ids).toBeUndefined();
    expect(logs.errors().slice(before)).toEqual([
      expect.stringContaining('authorizedResources failed in the policy engine'),
    ]);
  });
});
