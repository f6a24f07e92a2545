import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { buildAuthorizedQuery, DataFilteringError, filterAuthorizedItems } from '../../src/data-filtering/index.js';
import { describeOnEachDatabase } from './support/databases.js';
import { osoFor } from './support/parity.js';
import { expectSqlParity } from './support/sql-exactness-check.js';
import { SX_ENTITIES, SX_NAMES, SxItem, UUID, seedSqlExactness } from './support/sql-exactness-entities.js';
import { agrees, outcome, type Outcome } from './support/sql-exactness-table.js';

/**
 * Issue 15, defects 2 and 3, case by case (the value table of sql-exactness-values checks every combination): the
 * database's coercions and its meaning of NULL in `<` never decide a row; the engine does. Rows: items 1..5 with
 * ownerId 1, 2, 3, 0, 2; codes "7", "2", "x", "", "2.0"; colors "red", "red ", "Red", " red", "RED"; isPublic on
 * items 1 and 4; rank 1, nil, 3, -1, 0; score 5, 3, nil, -2, 0.
 */
describeOnEachDatabase(
  'SQL exactness: coercions and nil',
  SX_ENTITIES,
  (dataSource) => {
    const oso = (policy: string) => osoFor(dataSource(), SX_ENTITIES, policy, SX_NAMES);
    const parity = (engine: Awaited<ReturnType<typeof oso>>, actor: unknown, action: string) =>
      expectSqlParity(engine, dataSource(), actor, action, SxItem);
    const refused = async (engine: Awaited<ReturnType<typeof oso>>, actor: unknown, action: string) => {
      const attempt = buildAuthorizedQuery<SelectQueryBuilder<ObjectLiteral>>(engine, actor, action, SxItem);
      await expect(attempt).rejects.toThrow(DataFilteringError);
    };

    it('an actor id "2" (a JWT sub) never matches the integer 2, nor do "2.0", " 2", "2abc", false or 2.5', async () => {
      const engine = await oso('allow(u, "own", i: Item) if i.ownerId = u.id;');
      expect(await parity(engine, { id: 2 }, 'own')).toEqual([2, 5]);
      for (const id of ['2', '2.0', ' 2', '2abc', false, 2.5]) expect(await parity(engine, { id }, 'own')).toEqual([]);
      // `i.ownerId = true` reaches data filtering as the condition `if i.ownerId` would, on which the engine raises.
      await refused(engine, { id: true }, 'own');
    });

    it('a number never matches a varchar holding its digits', async () => {
      const engine = await oso('allow(u, "code", i: Item) if i.code = u.code;');
      expect(await parity(engine, { code: 7 }, 'code')).toEqual([]);
      expect(await parity(engine, { code: '7' }, 'code')).toEqual([1]);
      expect(await parity(engine, { code: 2 }, 'code')).toEqual([]);
    });

    it('a boolean column is never equal to a number (SQLite and MariaDB store booleans as integers)', async () => {
      const engine = await oso(`
        allow(_, "one", i: Item) if i.isPublic = 1;
        allow(_, "zero", i: Item) if i.isPublic = 0;
        allow(_, "public", i: Item) if i.isPublic = true;
        allow(_, "listed", i: Item) if i.isPublic in [1, "true"];`);
      expect(await parity(engine, 'x', 'one')).toEqual([]);
      expect(await parity(engine, 'x', 'zero')).toEqual([]);
      expect(await parity(engine, 'x', 'public')).toEqual([1, 4]);
      expect(await parity(engine, 'x', 'listed')).toEqual([]);
    });

    it('strings are equal byte for byte: trailing spaces and case count on every database', async () => {
      const engine = await oso(
        'allow(u, "color", i: Item) if i.color = u.color; allow(u, "colors", i: Item) if i.color in u.colors;',
      );
      expect(await parity(engine, { color: 'red' }, 'color')).toEqual([1]);
      expect(await parity(engine, { color: 'red ' }, 'color')).toEqual([2]);
      expect(await parity(engine, { color: 'RED' }, 'color')).toEqual([5]);
      expect(await parity(engine, { color: ' red' }, 'color')).toEqual([4]);
      expect(await parity(engine, { colors: ['red', 'Red'] }, 'colors')).toEqual([1, 3]);
      if (dataSource().options.type === 'mariadb') {
        // The column's collation (utf8mb4_general_ci) would have matched four rows for "red".
        const [{ n }] = await dataSource().query(`SELECT COUNT(*) AS n FROM sx_item WHERE color = 'red'`);
        expect(Number(n)).toBe(4);
      }
    });

    it('refuses a comparison of an attribute with itself, which the partial evaluator drops (SQL and in memory)', async () => {
      const engine = await oso(
        'allow(_, "self", i: Item) if i.rank >= i.rank; allow(_, "same", i: Item) if i.color = i.color;',
      );
      for (const action of ['self', 'same']) {
        await refused(engine, 'x', action);
        // In memory: an item without the attribute, on which isAllowed raises, must not be listed.
        const items = [Object.assign(Object.create(SxItem.prototype) as SxItem, { id: 9 })];
        await expect(engine.isAllowed('x', action, items[0])).rejects.toThrow();
        await expect(filterAuthorizedItems(engine, 'x', action, SxItem, items)).rejects.toThrow(DataFilteringError);
      }
    });

    it('strings are ordered by code point on every database, whatever the collation', async () => {
      const engine = await oso('allow(u, "before", i: Item) if i.color < u.color;');
      // "RED" < "Red" < "red" < "red " by code point; " red" comes first.
      expect(await parity(engine, { color: 'red' }, 'before')).toEqual([3, 4, 5]);
      expect(await parity(engine, { color: 'red ' }, 'before')).toEqual([1, 3, 4, 5]);
    });

    it('nil is ordered as the engine orders it: nil < 2 is true (JavaScript compares null as 0)', async () => {
      const engine = await oso(`
        allow(_, "under", i: Item) if i.rank < 2;
        allow(_, "negative", i: Item) if i.rank < -1;
        allow(_, "atLeastZero", i: Item) if i.rank >= 0;
        allow(_, "above", i: Item) if 0 < i.rank;
        allow(_, "scoreAbove", i: Item) if i.score > i.rank;
        allow(_, "ratioUnder", i: Item) if i.ratio < 2.5;
        allow(u, "underNil", i: Item) if i.rank < u.limit;`);
      expect(await parity(engine, 'x', 'under')).toEqual([1, 2, 4, 5]);
      expect(await parity(engine, 'x', 'negative')).toEqual([]);
      expect(await parity(engine, 'x', 'atLeastZero')).toEqual([1, 2, 3, 5]);
      expect(await parity(engine, 'x', 'above')).toEqual([1, 3]);
      expect(await parity(engine, 'x', 'scoreAbove')).toEqual([1, 2]);
      expect(await parity(engine, 'x', 'ratioUnder')).toEqual([1, 2, 4, 5]);
      expect(await parity(engine, { limit: null }, 'underNil')).toEqual([4]);
    });

    it('an integer column ordered against a fraction keeps its meaning (rank < 2.5 is rank <= 2)', async () => {
      const engine = await oso(
        'allow(u, "under", i: Item) if i.rank < u.limit; allow(u, "over", i: Item) if i.rank > u.limit;',
      );
      expect(await parity(engine, { limit: 2.5 }, 'under')).toEqual([1, 2, 4, 5]);
      expect(await parity(engine, { limit: 2.5 }, 'over')).toEqual([3]);
      expect(await parity(engine, { limit: -0.5 }, 'over')).toEqual([1, 2, 3, 5]);
    });

    it('big integers, decimals and uuids compare as the strings or numbers the driver hydrates, or raise', async () => {
      const engine = await oso(`
        allow(u, "big", i: Item) if i.big = u.v;
        allow(u, "bigNot", i: Item) if i.big != u.v;
        allow(u, "bigUnder", i: Item) if i.big < u.v;
        allow(u, "price", i: Item) if i.price = u.v;
        allow(u, "uid", i: Item) if i.uid = u.v;
        allow(u, "uidIn", i: Item) if i.uid in u.v;`);
      const rows = await dataSource().getRepository(SxItem).find();
      const outcomes: Outcome[] = [];
      for (const action of ['big', 'bigNot', 'bigUnder', 'price']) {
        for (const v of [2, '2', '02', '2.0', 2.5, '2.5', '2.50', 10, '10', '9', null])
          outcomes.push(await outcome(engine, rows, action, { v }));
      }
      for (const v of [UUID, UUID.toUpperCase(), `{${UUID}}`, 'x', 1, null]) {
        outcomes.push(await outcome(engine, rows, 'uid', { v }));
        outcomes.push(await outcome(engine, rows, 'uidIn', { v: [v] }));
      }
      expect(outcomes.filter((o) => !agrees(o))).toEqual([]);
      // Where the engine answers, the query answers (or raises only for order and decimals).
      expect(await parity(engine, { v: UUID }, 'uid')).toEqual([1]);
      expect(await parity(engine, { v: UUID.toUpperCase() }, 'uid')).toEqual([]);
    });

    it('raises where a column used as a condition may hold nil or a non-boolean, on which the engine raises', async () => {
      const engine = await oso(`
        allow(_, "bare", i: Item) if i.flag;
        allow(_, "explicit", i: Item) if i.flag = true;
        allow(_, "rewritten", i: Item) if i.flag != false and i.flag != nil;
        allow(_, "lateGuard", i: Item) if i.flag and i.flag != nil;
        allow(_, "notNull", i: Item) if i.isPublic;
        allow(_, "text", i: Item) if i.code;
        allow(_, "twoRules", i: Item) if i.flag;
        allow(_, "twoRules", i: Item) if i.id = 3 and i.flag;
        allow(_, "falseOrBare", i: Item) if i.flag = false;
        allow(_, "falseOrBare", i: Item) if i.flag;`);
      const rows = await dataSource().getRepository(SxItem).find();
      const outcomes: Outcome[] = [];
      // falseOrBare: the two rules reach the adapter merged into `flag in [false, true]`, the bare one's nil check kept.
      for (const action of ['bare', 'explicit', 'lateGuard', 'text', 'twoRules', 'falseOrBare'])
        outcomes.push(await outcome(engine, rows, action, 'x'));
      // Refused, though the engine answers it: `i.flag = true` reaches data filtering as a bare `i.flag` does.
      expect(outcomes.find((o) => o.action === 'explicit')).toMatchObject({ engine: [1, 4], sql: 'raised' });
      // The engine raises on the nil flags (and on every code); `= true` cannot be told from a bare condition.
      expect(outcomes.filter((o) => typeof o.engine === 'string' && o.sql !== 'raised')).toEqual([]);
      expect(outcomes.filter((o) => !agrees(o))).toEqual([]);
      expect(await parity(engine, 'x', 'rewritten')).toEqual([1, 4]);
      expect(await parity(engine, 'x', 'notNull')).toEqual([1, 4]);
    });

    it('raises, as the engine does or where its answer depends on how the rule was written', async () => {
      const engine = await oso(`
        allow(u, "notOwner", i: Item) if i.ownerId != u.id;
        allow(_, "notOne", i: Item) if i.isPublic != 1;
        allow(_, "label", i: Item) if i.label < "b";
        allow(_, "labelNil", i: Item) if i.code < nil;
        allow(_, "mixed", i: Item) if i.code < i.ownerId;`);
      await refused(engine, { id: '2' }, 'notOwner');
      await expect(
        engine.isAllowed({ id: '2' }, 'notOwner', (await dataSource().getRepository(SxItem).find())[0]),
      ).rejects.toThrow(/Not supported/);
      await refused(engine, 'x', 'notOne');
      await refused(engine, 'x', 'label');
      await refused(engine, 'x', 'labelNil');
      await refused(engine, 'x', 'mixed');
      expect(await parity(engine, { id: 2 }, 'notOwner')).toEqual([1, 3, 4]);
    });
  },
  seedSqlExactness,
);
