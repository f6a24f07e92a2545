import 'reflect-metadata';
import { Oso } from 'oso';
import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn, RelationId, type DataSource } from 'typeorm';
import {
  buildAuthorizedQuery,
  DataFilteringError,
  fetchAuthorizedResources,
  filterAuthorizedItems,
} from '../../src/data-filtering/index.js';
import { typeOrmAdapter } from '../../src/data-filtering/typeorm/index.js';
import { prismaAdapter, prismaPolarClasses } from '../../src/data-filtering/prisma/index.js';
import { describeOnEachDatabase } from './support/databases.js';
import { osoFor } from './support/parity.js';
import { generatedClient, openPrisma, type OpenPrisma } from './prisma/support/prisma-client.js';
import {
  copy,
  expectSomeAllowedSomeDenied,
  generatedObjectCases,
  hasNaN,
  type VariantClasses,
} from './support/whole-row-variants.js';

/**
 * Whole rows compared with objects (`e = x`, `e.submitter = m`, `e in xs`): the engine compares the row it loads with
 * the object by lodash's `isEqual` (the same class, exactly the same own enumerable properties, each equal), so an
 * object that shares only the row's key is not the row. The TypeORM adapter's list, and the in-memory adapter's,
 * must be exactly the rows `isAllowed` accepts (or the adapter raises a DataFilteringError): checked on generated
 * objects equal to a row in every column, or in the key only, of another class, with extra, hidden or symbol
 * properties, missing ones, loaded relations, nil, NaN and lists, on every database.
 */
@Entity({ name: 'wr_members' })
class Member {
  @PrimaryColumn('int') id!: number;
  @Column('varchar', { length: 32 }) name!: string;
  @Column('int', { nullable: true }) limit!: number | null;
}

@Entity({ name: 'wr_expenses' })
class Expense {
  @PrimaryColumn('varchar', { length: 16 }) code!: string;
  @Column('int') amount!: number;
  @Column('boolean') paid!: boolean;
  @Column('varchar', { length: 32, nullable: true }) note!: string | null;
  @Column('simple-array') labels!: string[];
  @ManyToOne(() => Member, { nullable: false }) @JoinColumn({ name: 'submitter_ref' }) submitter!: Member;
  @RelationId((expense: Expense) => expense.submitter) submitterId!: number;
  /** Nil for some rows: the loaded row's `reviewerId` is then null. */
  @ManyToOne(() => Member, { nullable: true }) @JoinColumn({ name: 'reviewer_ref' }) reviewer!: Member | null;
  @RelationId((expense: Expense) => expense.reviewer) reviewerId!: number | null;
}

/** Not an entity: a Member's look-alike of another class. */
class Person {}
/** A subclass: `instanceof Member`, but not the class `isEqual` wants. */
class Manager extends Member {}

const ENTITIES = [Member, Expense];

async function seed(dataSource: DataSource): Promise<void> {
  await dataSource.getRepository(Member).insert([
    { id: 1, name: 'alice', limit: 100 },
    { id: 2, name: 'bob', limit: null },
    { id: 3, name: 'alice', limit: 100 },
  ]);
  const expense = (code: string, amount: number, submitter: number, reviewer: number | null, extra: object) => ({
    code,
    amount,
    paid: false,
    note: null,
    labels: [],
    submitter: { id: submitter },
    reviewer: reviewer === null ? null : { id: reviewer },
    ...extra,
  });
  await dataSource
    .getRepository(Expense)
    .insert([
      expense('E1', 50, 1, 2, { note: 'ok', labels: ['travel'] }),
      expense('E2', 120, 2, null, { paid: true }),
      expense('E3', 300, 1, null, { labels: ['food', 'travel'] }),
      expense('E4', 999, 3, 1, { note: '' }),
      expense('E5', 100, 1, 1, { note: 'OK', paid: true }),
      expense('E6', 50, 2, 3, { labels: ['a b'] }),
    ] as never);
}

const POLICY = `
  allow(m: Member, "read", e: Expense) if e.submitter = m;
  allow(x, "same", e: Expense) if e = x;
  allow(xs, "among", e: Expense) if e in xs;
  allow(xs, "by-any", e: Expense) if m in xs and e.submitter = m;
  allow(x, "other", e: Expense) if e != x;
  allow(x, "not-mine", e: Expense) if e.submitter != x;
`;

const CLASSES: VariantClasses = {
  lookalike: Person.prototype,
  subclassOf: (row) => (row instanceof Member ? Manager.prototype : Object.create(Expense.prototype)),
  loadRelation: (row, object) => {
    if (row instanceof Expense) object.submitter = loadedMembers.find((m) => m.id === row.submitterId);
    else object.expenses = [];
  },
};
/** The members as loaded, for the `loaded relation` variants. */
let loadedMembers: Member[] = [];

describeOnEachDatabase(
  'whole rows compared with objects',
  ENTITIES,
  (dataSource) => {
    let engine: Oso;
    let members: Member[];
    let expenses: Expense[];
    const refusals: string[] = [];
    const outcomes = { calls: 0, someAllowed: 0 };

    beforeAll(async () => {
      engine = await osoFor(dataSource(), ENTITIES, POLICY);
      // The rows as the adapter's own query loads them (and as the engine loads a relation's row).
      members = await dataSource().getRepository(Member).createQueryBuilder('m').orderBy('m.id').getMany();
      loadedMembers = members;
      expenses = await dataSource().getRepository(Expense).createQueryBuilder('e').orderBy('e.code').getMany();
    });

    /**
     * The codes `isAllowed` accepts, checked against the TypeORM adapter's list (or its DataFilteringError) and the
     * in-memory adapter's.
     */
    async function differential(actor: unknown, action: string): Promise<string[]> {
      const allowed: string[] = [];
      for (const row of expenses) if (await engine.isAllowed(actor, action, row)) allowed.push(row.code);
      outcomes.calls++;
      if (allowed.length > 0) outcomes.someAllowed++;
      let listed: string[] | undefined;
      try {
        listed = (await fetchAuthorizedResources<Expense>(engine, actor, action, Expense)).map((e) => e.code).sort();
      } catch (error) {
        if (!(error instanceof DataFilteringError)) throw error;
        refusals.push(error.message);
        // Only what SQL cannot match exactly is refused here: NaN, which isEqual finds equal to itself.
        expect({ refused: error.message, actor: hasNaN(actor) }).toEqual({ refused: error.message, actor: true });
      }
      if (listed) expect(listed).toEqual(allowed);
      const kept = await filterAuthorizedItems(engine, actor, action, Expense, expenses, {
        collections: { Member: members, Expense: expenses },
      });
      expect(kept.map((e) => e.code).sort()).toEqual(allowed);
      return allowed;
    }

    it('loads rows with their columns and to-one @RelationIds (null when nil), as the engine compares them', () => {
      expect(Object.keys(expenses[0]!).sort()).toEqual(
        ['amount', 'code', 'labels', 'note', 'paid', 'reviewerId', 'submitterId'].sort(),
      );
      expect(expenses[1]!.reviewerId).toBeNull();
      expect(Object.getPrototypeOf(members[0])).toBe(Member.prototype);
    });

    it('the exploit: a Member equal to alice by key only gets none of her expenses', async () => {
      const impostor = Object.assign(new Member(), { id: 1, name: 'mallory', limit: 100 });
      expect(await differential(impostor, 'read')).toEqual([]);
      expect(await differential(Object.assign(new Member(), { id: 1 }), 'read')).toEqual([]);
      expect(await differential({ ...members[0] }, 'read')).toEqual([]);
      // alice herself, as loaded, and a copy equal in every column: her expenses.
      expect(await differential(members[0], 'read')).toEqual(['E1', 'E3', 'E5']);
      expect(await differential(copy(members[0]!), 'read')).toEqual(['E1', 'E3', 'E5']);
      // Member 3 has alice's name and limit, another key.
      expect(await differential(Object.assign(new Member(), { id: 3, name: 'alice', limit: 100 }), 'read')).toEqual([
        'E4',
      ]);
    });

    it('the resource itself compared with an object (e = x, e != x), nil columns and @RelationIds included', async () => {
      expect(await differential(copy(expenses[1]!), 'same')).toEqual(['E2']);
      expect(await differential(Object.assign(copy(expenses[1]!), { reviewerId: undefined }), 'same')).toEqual([]);
      expect(await differential(Object.assign(copy(expenses[0]!), { note: 'OK' }), 'same')).toEqual([]);
      expect(await differential(Object.assign(copy(expenses[0]!), { labels: ['travel', ''] }), 'same')).toEqual([]);
      expect(await differential(copy(expenses[2]!), 'other')).toEqual(['E1', 'E2', 'E4', 'E5', 'E6']);
      expect(await differential(Object.assign(copy(expenses[3]!), { note: null }), 'other')).toHaveLength(6);
    });

    it('a TypeORM relation that is not a registered Relation raises; a key column compared with an object matches nothing', async () => {
      const bare = new Oso();
      bare.setDataFilteringAdapter(typeOrmAdapter(dataSource()));
      bare.registerClass(Member);
      bare.registerClass(Expense);
      await bare.loadStr(`
        allow(x, "by", e: Expense) if e.submitter = x;
        allow(x, "key", e: Expense) if e.submitterId = x;
        allow(x, "amount", e: Expense) if e.amount = x;`);
      // The engine reads `e.submitter` as the object loaded on the instance (absent on these rows), never a key.
      for (const x of [members[0], { id: 1 }, 1]) {
        await expect(buildAuthorizedQuery(bare, x, 'by', Expense)).rejects.toThrow(
          /cannot filter Expense on the condition .*submitter.*not a registered Relation/,
        );
      }
      const check = async (actor: unknown, action: string) => {
        const allowed: string[] = [];
        for (const row of expenses) if (await bare.isAllowed(actor, action, row)) allowed.push(row.code);
        const listed = await fetchAuthorizedResources<Expense>(bare, actor, action, Expense);
        expect(listed.map((e) => e.code).sort()).toEqual(allowed);
        return allowed;
      };
      for (const action of ['key', 'amount']) {
        for (const x of [members[0], copy(members[0]!), { id: 1 }, Object.assign(new Member(), { id: 1 })]) {
          expect(await check(x, action)).toEqual([]);
        }
      }
      expect(await check(1, 'key')).toEqual(['E1', 'E3', 'E5']);
      expect(await check(50, 'amount')).toEqual(['E1', 'E6']);
    });

    generatedObjectCases({ members: () => members, expenses: () => expenses, classes: CLASSES, differential });

    afterAll(() => {
      // Refusals are the exception: NaN only (checked in each case).
      expect(refusals.every((message) => message.includes('NaN'))).toBe(true);
      expectSomeAllowedSomeDenied(outcomes);
    });
  },
  seed,
);

/** The Prisma adapter's rows compared with objects, on SQLite: the same question, on its own filter. */
describe('whole rows compared with objects through the Prisma adapter on better-sqlite3', () => {
  class User {
    id!: number;
    name!: string;
  }
  class Expense {
    id!: number;
  }
  let open: OpenPrisma | undefined;
  let engine: Oso;
  beforeAll(async () => {
    const module = await generatedClient('expenses.prisma', 'sqlite');
    open = await openPrisma(module, 'sqlite', () => [
      `CREATE TABLE "User" ("id" INTEGER PRIMARY KEY, "name" TEXT NOT NULL)`,
      `CREATE TABLE "Expense" ("id" INTEGER PRIMARY KEY, "amount" INTEGER NOT NULL, "description" TEXT NOT NULL, ` +
        `"approvedAt" DATETIME, "orgId" INTEGER NOT NULL, "submitterId" INTEGER NOT NULL)`,
      `INSERT INTO "User" ("id", "name") VALUES (1, 'alice'), (2, 'bob')`,
      `INSERT INTO "Expense" ("id", "amount", "description", "approvedAt", "orgId", "submitterId") VALUES
        (1, 50, 'coffee', NULL, 1, 1), (2, 700, 'laptop', NULL, 1, 2), (3, 80, 'taxi', NULL, 2, 1)`,
    ]);
    engine = new Oso();
    engine.setDataFilteringAdapter(prismaAdapter(open.prisma));
    for (const registration of prismaPolarClasses(open.prisma, { classes: { User, Expense } })) {
      engine.registerClass(registration.class, { name: registration.name, fields: registration.fields });
    }
    await engine.loadStr('allow(u: User, "read", e: Expense) if e.submitter = u;');
  });
  afterAll(async () => {
    await open?.close();
  });

  const listed = async (actor: unknown) => {
    const rows = await fetchAuthorizedResources<Expense>(engine, actor, 'read', 'Expense');
    return rows.map((row) => row.id).sort();
  };
  const allowed = async (actor: unknown) => {
    const rows = await (open!.prisma['expense'] as { findMany(): Promise<object[]> }).findMany();
    const ids: number[] = [];
    for (const row of rows) {
      const expense = Object.assign(new Expense(), row);
      if (await engine.isAllowed(actor, 'read', expense)) ids.push(expense.id);
    }
    return ids.sort();
  };

  it('gives alice, equal to her row in every column, her expenses', async () => {
    const alice = Object.assign(new User(), { id: 1, name: 'alice' });
    expect(await allowed(alice)).toEqual([1, 3]);
    expect(await listed(alice)).toEqual([1, 3]);
  });

  // Before the Prisma adapter compared whole rows (PrismaWhereCompiler.sameRow matched `instanceof` and the primary
  // key only), this User with alice's id and another name got her expenses [1, 3]; isAllowed gives none.
  it('gives a User equal to alice by key only none of her expenses, as isAllowed does', async () => {
    const impostor = Object.assign(new User(), { id: 1, name: 'mallory' });
    expect(await allowed(impostor)).toEqual([]);
    expect(await listed(impostor)).toEqual([]);
  });
});
