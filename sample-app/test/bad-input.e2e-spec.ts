import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { createSampleApp, TOKENS, type DemoUser } from './create-sample-app.js';
import { snapshotTables } from './support/table-snapshot.js';

/**
 * Bad input answers 400 with a message and changes nothing; an id that names no expense answers 404, whoever asks.
 * Seed: Acme (1) has alice (owner), bob (member) and carol (admin); Globex (2) has carol (member) and dave (admin).
 * Expenses 1-2 are bob's at Acme, 3 carol's at Acme, 4 carol's at Globex, 5 dave's at Globex.
 */
describe('the sample app on bad input', () => {
  let app: INestApplication;
  const as = (user: DemoUser, method: 'get' | 'post' | 'patch', path: string) =>
    request(app.getHttpServer())[method](path).set('Authorization', `Bearer ${TOKENS[user]}`);

  /** Runs `send`, expects a 400 whose message contains `mentions`. */
  const answers400 = async (send: () => request.Test, mentions: string | RegExp) => {
    const res = await send();
    expect({ status: res.status, body: res.body }).toEqual({
      status: 400,
      body: expect.objectContaining({ statusCode: 400 }),
    });
    expect(JSON.stringify(res.body.message)).toMatch(mentions);
  };
  /** The same, and no table changed. */
  const rejects = async (send: () => request.Test, mentions: string | RegExp) => {
    const before = await snapshotTables(app);
    await answers400(send, mentions);
    expect(await snapshotTables(app)).toEqual(before);
  };

  beforeAll(async () => {
    app = await createSampleApp();
  });
  afterAll(() => app.close());

  describe('PATCH /expenses/:id bodies', () => {
    it('answers 400 to an empty body: there is nothing to update', async () => {
      await rejects(() => as('bob', 'patch', '/expenses/2').send({}), /nothing to update/);
    });

    it.each([
      ['{"__proto__": {"amount": 1}}', '__proto__'],
      ['{"__proto__": {"status": "approved"}, "description": "x"}', '__proto__'],
      ['{"constructor": {"prototype": {"polluted": true}}}', 'constructor'],
      ['{"amount": null}', 'amount'],
      ['{"description": null}', 'description'],
      ['{"amount": 1e400}', 'amount'],
      ['{"status": "approved"}', 'status'],
      ['{"submittedById": 3}', 'submittedById'],
      ['{"organizationId": 2, "amount": 5}', 'organizationId'],
      ['[{"amount": 5}]', 'property 0 should not exist'],
      ['"amount"', /.+/],
      ['{"description": "nul \\u0000 inside"}', 'description'],
    ])('answers 400 to %s, changes nothing and pollutes no prototype', async (raw, mentions) => {
      await rejects(
        () => as('bob', 'patch', '/expenses/2').set('content-type', 'application/json').send(raw),
        mentions,
      );
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.getPrototypeOf({})).toBe(Object.prototype);
    });

    it('counts the length of a description in characters, as the database does', async () => {
      // 150 characters of 2 UTF-16 units each: 300 units, within 200 characters.
      await as('bob', 'patch', '/expenses/2')
        .send({ description: '😀'.repeat(150) })
        .expect(200);
      // Variation selectors are characters to the database (varchar(200)), whatever a validator may think.
      await rejects(
        () => as('bob', 'patch', '/expenses/2').send({ description: 'a\uFE0F'.repeat(101) }),
        'description',
      );
    });
  });

  describe('query strings', () => {
    it.each(['1e20', '1e308', '-1', '0', 'abc', '1.5', '', '0x10', ' 2', '２', '1000001'])(
      'answers 400 to ?page=%j, naming page',
      async (page) => {
        await rejects(() => as('bob', 'get', `/organizations/1/expenses?page=${encodeURIComponent(page)}`), 'page');
      },
    );

    it.each(['0', '101', '1e2', 'ten', '20&pageSize=30'])(
      'answers 400 to ?pageSize=%s, naming pageSize',
      async (size) => {
        await rejects(() => as('bob', 'get', `/organizations/1/expenses?pageSize=${size}`), 'pageSize');
      },
    );

    it('answers 400 to an unknown query parameter, and to a repeated one', async () => {
      await rejects(() => as('bob', 'get', '/organizations/1/expenses?__proto__=1'), '__proto__');
      await rejects(() => as('bob', 'get', '/organizations/1/expenses?page=1&page=2'), 'page');
    });

    it('serves the last page there can be', async () => {
      const res = await as('bob', 'get', '/organizations/1/expenses?page=1000000&pageSize=100').expect(200);
      expect(res.body).toMatchObject({ items: [], page: 1000000, hasMore: false });
    });
  });

  describe('ids in the path', () => {
    const spellings = [
      '2.0',
      '0x2',
      '02',
      '+2',
      '2e0',
      ' 2',
      '2 ',
      '２',
      '-2',
      '0',
      '2147483648',
      '99999999999999999999',
      'NaN',
      'Infinity',
    ];

    it.each(spellings)(
      'answers 400 to the id %j on every expense endpoint, whoever asks, and changes nothing',
      async (id) => {
        const before = await snapshotTables(app);
        const path = `/expenses/${encodeURIComponent(id)}`;
        for (const user of Object.keys(TOKENS) as DemoUser[]) {
          await answers400(() => as(user, 'get', path), 'id must be');
          await answers400(() => as(user, 'patch', path).send({ description: 'x' }), 'id must be');
          await answers400(() => as(user, 'post', `${path}/approve`), 'id must be');
          await answers400(() => as(user, 'post', `${path}/reject`), 'id must be');
        }
        expect(await snapshotTables(app)).toEqual(before);
      },
    );

    it.each(spellings)(
      'answers 400 to the organization id %j, to list and to create, and changes nothing',
      async (id) => {
        const before = await snapshotTables(app);
        const path = `/organizations/${encodeURIComponent(id)}/expenses`;
        await answers400(() => as('bob', 'get', path), 'orgId must be');
        await answers400(() => as('bob', 'post', path).send({ amount: 5, description: 'x' }), 'orgId must be');
        expect(await snapshotTables(app)).toEqual(before);
      },
    );

    it('answers 404 to the largest id there can be, as to any id that names nothing', async () => {
      await as('bob', 'get', '/expenses/2147483647').expect(404);
      await as('bob', 'get', '/organizations/2147483647/expenses').expect(404);
      await as('bob', 'post', '/organizations/2147483647/expenses').send({ amount: 5, description: 'x' }).expect(404);
    });
  });

  describe('IDOR probes', () => {
    // Which expenses each user may read; every other id answers 404 (never 403, which would confirm it exists).
    const readable: Record<DemoUser, number[]> = {
      alice: [1, 2, 3],
      bob: [1, 2, 3],
      carol: [1, 2, 3, 4, 5],
      dave: [4, 5],
    };

    it.each(Object.keys(TOKENS) as DemoUser[])(
      '%s reads exactly the expenses the policy allows, and 404 for the rest',
      async (user) => {
        for (const id of [1, 2, 3, 4, 5, 6, 999]) {
          const res = await as(user, 'get', `/expenses/${id}`);
          expect({ id, status: res.status }).toEqual({ id, status: readable[user].includes(id) ? 200 : 404 });
        }
      },
    );

    it.each(Object.keys(TOKENS) as DemoUser[])(
      '%s cannot write to an expense they may not read: 404, nothing changed',
      async (user) => {
        for (const id of [1, 2, 3, 4, 5].filter((id) => !readable[user].includes(id))) {
          const before = await snapshotTables(app);
          await as(user, 'patch', `/expenses/${id}`).send({ description: 'x' }).expect(404);
          await as(user, 'post', `/expenses/${id}/approve`).expect(404);
          await as(user, 'post', `/expenses/${id}/reject`).expect(404);
          expect(await snapshotTables(app)).toEqual(before);
        }
      },
    );
  });
});
