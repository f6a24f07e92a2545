import 'reflect-metadata';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Column, Entity, PrimaryColumn, type ObjectLiteral, type SelectQueryBuilder } from 'typeorm';
import {
  buildAuthorizedQuery,
  DataFilteringError,
  fetchAuthorizedResources,
  type Filter,
  type FilterCondition,
} from '../../src/data-filtering/index.js';
import { TypeOrmAdapter, typeOrmAdapter, typeOrmPolarClasses } from '../../src/data-filtering/typeorm/index.js';
import { createOsoEngine } from '../../src/policy/policy-loader.js';
import { DATABASES, describeOnEachDatabase, IN_CI, openDatabase } from './support/databases.js';
import { Allocation, EXPENSE_ENTITIES, ExpenseRow, Member, seedExpenses } from './support/expense-entities.js';
import { expectParity, osoFor } from './support/parity.js';

const NAMES = { names: { ExpenseRow: 'app::Expense' } };

describeOnEachDatabase(
  'the TypeORM adapter',
  EXPENSE_ENTITIES,
  (dataSource) => {
    const oso = (policy: string) => osoFor(dataSource(), EXPENSE_ENTITIES, policy, NAMES);
    const member = (name: string) => dataSource().getRepository(Member).findOneByOrFail({ name });
    const expenses = async (...codes: string[]) =>
      (await dataSource().getRepository(ExpenseRow).find()).filter((e) => codes.includes(e.code));
    const check = async (engine: Awaited<ReturnType<typeof oso>>, actor: unknown, action: string, codes: string[]) =>
      expectParity(engine, dataSource(), actor, action, ExpenseRow, {
        expected: await expenses(...codes),
        load: { organization: true },
      });

    it('reads entity metadata: table names, a primary key that is not id, a Polar name unlike the class, join columns', async () => {
      const engine = await oso(
        'allow(m: Member, "read", e: app::Expense) if e.organization.name = "acme" and e.amount <= m.limit;',
      );
      await check(engine, await member('alice'), 'read', ['E1', 'E5']);
      await check(engine, await member('bob'), 'read', ['E1', 'E2', 'E5']);
    });

    it('compares a relation with the actor through a @RelationId key', async () => {
      const engine = await oso('allow(m: Member, "edit", e: app::Expense) if e.submitter = m;');
      await check(engine, await member('alice'), 'edit', ['E1', 'E3', 'E5']);
      await check(engine, await member('bob'), 'edit', ['E2', 'E4']);
    });

    it('compares with < <= > >=', async () => {
      const engine = await oso(`
        allow(_, "mid", e: app::Expense) if e.amount > 50 and e.amount < 999;
        allow(_, "edges", e: app::Expense) if e.amount >= 120 and e.amount <= 300;`);
      await check(engine, 'x', 'mid', ['E2', 'E3', 'E5']);
      await check(engine, 'x', 'edges', ['E2', 'E3']);
    });

    it('gives nil its Polar meaning: nil = nil, and != keeps the rows holding nil', async () => {
      const engine = await oso(`
        allow(_, "same", e: app::Expense) if e.approverId = e.reviewerId;
        allow(_, "different", e: app::Expense) if e.approverId != e.reviewerId;
        allow(_, "not-ok", e: app::Expense) if e.note != "ok";
        allow(_, "no-note", e: app::Expense) if e.note = nil;
        allow(_, "approved", e: app::Expense) if e.approverId != nil;`);
      await check(engine, 'x', 'same', ['E1', 'E3']);
      await check(engine, 'x', 'different', ['E2', 'E4', 'E5']);
      // "OK" is not "ok": the suites' MariaDB databases use a binary collation, as Polar compares strings.
      await check(engine, 'x', 'not-ok', ['E2', 'E3', 'E5']);
      await check(engine, 'x', 'no-note', ['E2']);
      await check(engine, 'x', 'approved', ['E1', 'E2', 'E5']);
    });

    it('compares whole entities by every column of a composite primary key', async () => {
      const engine = await oso('allow(a: Allocation, "same", b: Allocation) if a = b;');
      for (const allocation of await dataSource().getRepository(Allocation).find()) {
        await expectParity(engine, dataSource(), allocation, 'same', Allocation, { expected: [allocation] });
      }
    });

    it('supports In and Nin on lists, with nothing for an empty In and everything for an empty Nin', async () => {
      const ds = dataSource();
      const engine = await oso('allow(_, _, _: app::Expense);');
      const all = await ds.getRepository(ExpenseRow).find();
      const field = (fieldName: string) => ({ typeName: 'app::Expense', fieldName });
      const run = async (...conditions: FilterCondition[]) => {
        const filter: Filter = {
          model: 'app::Expense',
          relations: [],
          conditions: [conditions],
          types: engine.getHost().types,
        };
        return ((await new TypeOrmAdapter(ds).buildQuery(filter).getMany()) as ExpenseRow[]).map((e) => e.code).sort();
      };
      const codes = (keep: (e: ExpenseRow) => boolean) =>
        all
          .filter(keep)
          .map((e) => e.code)
          .sort();
      const cmp = (name: string) => name as FilterCondition['cmp'];
      expect(await run({ lhs: field('code'), cmp: cmp('In'), rhs: { value: ['E1', 'E3', 'nope'] } })).toEqual([
        'E1',
        'E3',
      ]);
      expect(await run({ lhs: field('code'), cmp: cmp('In'), rhs: { value: [] } })).toEqual([]);
      expect(await run({ lhs: field('note'), cmp: cmp('Nin'), rhs: { value: ['ok'] } })).toEqual(
        codes((e) => e.note !== 'ok'),
      );
      expect(await run({ lhs: field('note'), cmp: cmp('Nin'), rhs: { value: [] } })).toEqual(codes(() => true));
      expect(await run({ lhs: field('approverId'), cmp: cmp('In'), rhs: { value: [1, null] } })).toEqual(
        codes((e) => e.approverId === 1 || e.approverId === null),
      );
      expect(await run({ lhs: { value: 'E2' }, cmp: cmp('In'), rhs: { value: ['E2'] } })).toEqual(codes(() => true));
    });

    it('refuses "in" on a simple-array column with an error naming the condition', async () => {
      const engine = await oso('allow(_, "tagged", e: app::Expense) if "food" in e.labels;');
      const expense = (await expenses('E2'))[0]!;
      expect(await engine.isAllowed('x', 'tagged', expense)).toBe(true);
      const attempt = buildAuthorizedQuery(engine, 'x', 'tagged', ExpenseRow);
      await expect(attempt).rejects.toThrow(DataFilteringError);
      await expect(attempt).rejects.toThrow(
        'cannot filter app::Expense on the condition "food" in app::Expense.labels',
      );
    });

    it('refuses policy shapes the engine cannot filter, quoting the engine on where they are', async () => {
      const methodCall = await oso('allow(_, "m", e: app::Expense) if e.code.startsWith("E");');
      await expect(buildAuthorizedQuery(methodCall, 'x', 'm', ExpenseRow)).rejects.toThrow(
        /Data filtering cannot express the policy for app::Expense and action "m": .*cannot call method.*line 1/s,
      );
      const negation = await oso('allow(_, "n", e: app::Expense) if not e.code in ["E1", "E2"];');
      await expect(buildAuthorizedQuery(negation, 'x', 'n', ExpenseRow)).rejects.toThrow(
        /Data filtering cannot express the policy for app::Expense and action "n": Unsupported operation:\s+Not\/1/,
      );
    });

    it('filters a negation the engine turns into comparisons (not (a and b))', async () => {
      const engine = await oso('allow(_, "n", e: app::Expense) if not (e.amount = 50 and e.code = "E1");');
      await check(engine, 'x', 'n', ['E2', 'E3', 'E4', 'E5']);
    });

    it('says which key is missing when isAllowed follows a relation the instance does not hold', async () => {
      const engine = await oso('allow(_, "read", e: app::Expense) if e.organization.name = "acme";');
      const bare = await dataSource().getRepository(ExpenseRow).findOneByOrFail({ code: 'E1' });
      await expect(engine.isAllowed('x', 'read', bare)).rejects.toThrow(/does not hold its key.*@RelationId/s);
    });

    it('works behind Oso.authorizedQuery when every rule uses the same joins, and refuses mixed ones clearly', async () => {
      const same = await oso('allow(_, "read", e: app::Expense) if e.organization.name = "acme";');
      const query = (await same.authorizedQuery('x', 'read', ExpenseRow)) as SelectQueryBuilder<ExpenseRow>;
      expect((await query.getMany()).map((e) => e.code).sort()).toEqual(['E1', 'E2', 'E5']);
      const mixed = await oso(`
        allow(_, "read", e: app::Expense) if e.amount < 100;
        allow(_, "read", e: app::Expense) if e.organization.name = "globex";`);
      await expect(mixed.authorizedQuery('x', 'read', ExpenseRow)).rejects.toThrow(
        /joins app::Expense\.organization -> Organization for some of its rules only.*buildAuthorizedFilter/s,
      );
      await check(mixed, 'x', 'read', ['E1', 'E3', 'E4']);
    });

    it('is the engine adapter of createOsoEngine({ dataFiltering }), which fetchAuthorizedResources uses', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'nestjs-oso-df-'));
      try {
        await writeFile(
          join(dir, 'policy.polar'),
          'allow(m: Member, "read", e: app::Expense) if e.submitter = m and e.amount > 60;',
        );
        const adapter = typeOrmAdapter(dataSource());
        const engine = await createOsoEngine({
          policyDir: dir,
          classes: typeOrmPolarClasses(dataSource(), EXPENSE_ENTITIES, NAMES),
          dataFiltering: adapter,
          warmUp: false,
        });
        expect(engine.getHost().adapter).toBe(adapter);
        const rows = await fetchAuthorizedResources<ExpenseRow>(engine, await member('alice'), 'read', ExpenseRow);
        expect(rows.map((e) => e.code).sort()).toEqual(['E3', 'E5']);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  },
  seedExpenses,
);

/** A PostgreSQL array column, which "in" can look into (the other databases have no array type). */
@Entity({ name: 'tagged_items' })
class TaggedItem {
  @PrimaryColumn('int') id!: number;
  @Column('text', { array: true }) tags!: string[];
}

const postgres = DATABASES.find((database) => database.kind === 'postgres')!;
(postgres.unavailable && !IN_CI ? describe.skip : describe)('the TypeORM adapter on a PostgreSQL array column', () => {
  let open: Awaited<ReturnType<typeof openDatabase>>;
  beforeAll(async () => {
    if (postgres.unavailable) throw new Error(`CI requires postgres: ${postgres.unavailable}`);
    open = await openDatabase('postgres', [TaggedItem]);
    await open.dataSource.getRepository(TaggedItem).insert([
      { id: 1, tags: ['a', 'b'] },
      { id: 2, tags: ['b'] },
      { id: 3, tags: [] },
    ]);
  });
  afterAll(() => open?.close());

  it('filters with "in" (= ANY) and "not in"', async () => {
    const engine = await osoFor(
      open.dataSource,
      [TaggedItem],
      `
      allow(_, "a", item: TaggedItem) if "a" in item.tags;
      allow(_, "not-a", item: TaggedItem) if not "a" in item.tags;`,
    );
    const items = await open.dataSource.getRepository(TaggedItem).find();
    const byId = (...ids: number[]) => items.filter((item) => ids.includes(item.id));
    await expectParity(engine, open.dataSource, 'x', 'a', TaggedItem, { expected: byId(1) });
    await expectParity(engine, open.dataSource, 'x', 'not-a', TaggedItem, { expected: byId(2, 3) });
    const query = await buildAuthorizedQuery<SelectQueryBuilder<ObjectLiteral>>(engine, 'x', 'a', TaggedItem);
    expect(query.getQuery()).toMatch(/= ANY\("TaggedItem"\."tags"\)/);
  });
});
