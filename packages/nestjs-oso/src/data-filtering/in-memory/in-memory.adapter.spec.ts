import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Oso, Relation } from 'oso';
import { buildAuthorizedFilter, filterBranches } from '../authorized-filter.js';
import { buildAuthorizedQuery, fetchAuthorizedResources, filterAuthorizedItems } from '../authorized-resources.js';
import { DataFilteringError } from '../../errors/data-filtering.error.js';
import { InMemoryAdapter, InMemoryQuery } from './in-memory.adapter.js';
import { policyFixture } from '../../../test/fixtures/policies.js';

class Membership {
  constructor(
    readonly orgId: number,
    readonly role: 'member' | 'admin',
  ) {}
}
class User {
  constructor(
    readonly id: number,
    readonly memberships: Membership[],
  ) {}
}
class Organization {
  constructor(
    readonly id: number,
    readonly name: string,
  ) {}
}
class Expense {
  constructor(
    readonly id: number,
    readonly organizationId: number,
    readonly submitterId: number,
    readonly amount: number,
    readonly note: string | null = null,
    readonly tags: string[] = [],
    readonly organization?: Organization,
  ) {}
}

const ORGANIZATIONS = [new Organization(1, 'acme'), new Organization(2, 'globex'), new Organization(3, 'initech')];
const EXPENSES = Array.from(
  { length: 60 },
  (_, i) =>
    new Expense(
      i + 1,
      (i % 3) + 1,
      (i % 4) + 1,
      (i * 37) % 500,
      i % 5 === 0 ? null : `n${i % 3}`,
      i % 2 ? ['travel'] : ['food', 'travel'],
    ),
);
const ALICE = new User(1, [new Membership(1, 'admin')]);
const BOB = new User(2, [new Membership(1, 'member'), new Membership(2, 'member')]);
const NOBODY = new User(9, []);

/** The expenses app's RBAC policy, plus a rule for the submitter. */
const RBAC = readFileSync(join(policyFixture('in-memory-rbac'), 'rbac.polar'), 'utf8');

async function engine(
  policy: string,
  adapter = new InMemoryAdapter({ collections: { Organization: ORGANIZATIONS, Expense: EXPENSES } }),
) {
  const oso = new Oso();
  oso.setDataFilteringAdapter(adapter);
  oso.registerClass(User);
  oso.registerClass(Membership);
  oso.registerClass(Organization);
  oso.registerClass(Expense, { fields: { organization: new Relation('one', 'Organization', 'organizationId', 'id') } });
  await oso.loadStr(policy);
  return oso;
}

/** The items `isAllowed` accepts, one call each: what every filter must return. */
async function allowed<T>(oso: Oso, actor: unknown, action: string, items: T[]): Promise<T[]> {
  const kept: T[] = [];
  for (const item of items) if (await oso.isAllowed(actor, action, item)) kept.push(item);
  return kept;
}

describe('the in-memory adapter', () => {
  it('keeps exactly the items isAllowed accepts, with an RBAC policy joined to organizations by hash join', async () => {
    const oso = await engine(RBAC);
    for (const actor of [ALICE, BOB, NOBODY]) {
      for (const action of ['read', 'approve', 'delete']) {
        const expected = await allowed(oso, actor, action, EXPENSES);
        expect(await filterAuthorizedItems(oso, actor, action, Expense, EXPENSES)).toEqual(expected);
      }
    }
    // Not vacuous: alice reads acme's expenses and her own, bob reads two organizations', nobody reads only his own.
    expect(
      (await filterAuthorizedItems(oso, ALICE, 'approve', Expense, EXPENSES)).every((e) => e.organizationId === 1),
    ).toBe(true);
    expect(await filterAuthorizedItems(oso, NOBODY, 'approve', Expense, EXPENSES)).toEqual([]);
  });

  it('keeps the order of the items and is a filter (a repeated item is kept twice)', async () => {
    const oso = await engine(RBAC);
    const items = [EXPENSES[3]!, EXPENSES[0]!, EXPENSES[3]!];
    expect(await filterAuthorizedItems(oso, ALICE, 'approve', Expense, items)).toEqual([
      EXPENSES[3],
      EXPENSES[0],
      EXPENSES[3],
    ]);
  });

  it('fetches from its collections with fetchAuthorizedResources, and builds a reusable query', async () => {
    const oso = await engine(RBAC);
    const expected = await allowed(oso, BOB, 'read', EXPENSES);
    expect(await fetchAuthorizedResources(oso, BOB, 'read', Expense)).toEqual(expected);
    const query = await buildAuthorizedQuery<InMemoryQuery<Expense>>(oso, BOB, 'read', Expense);
    expect(query).toBeInstanceOf(InMemoryQuery);
    expect(query.filter(EXPENSES)).toEqual(expected);
    expect(EXPENSES.filter((e) => query.matches(e))).toEqual(expected);
  });

  it('follows relations the items carry when there is no collection for them', async () => {
    const oso = await engine(RBAC);
    const carrying = EXPENSES.map(
      (e) =>
        new Expense(
          e.id,
          e.organizationId,
          e.submitterId,
          e.amount,
          e.note,
          e.tags,
          ORGANIZATIONS[e.organizationId - 1],
        ),
    );
    const kept = await filterAuthorizedItems(oso, ALICE, 'approve', Expense, carrying, { collections: {} });
    expect(kept.map((e) => e.id)).toEqual((await allowed(oso, ALICE, 'approve', EXPENSES)).map((e) => e.id));
  });

  it('compares with = != < <= > >=, nil and lists of values', async () => {
    const oso = await engine(`
      allow(_, "cheap", e: Expense) if e.amount < 100;
      allow(_, "range", e: Expense) if e.amount >= 100 and e.amount <= 200;
      allow(_, "big", e: Expense) if e.amount > 400;
      allow(_, "noted", e: Expense) if e.note != nil;
      allow(_, "bare", e: Expense) if e.note = nil;
      allow(_, "not-n1", e: Expense) if e.note != "n1";
      allow(_, "some", e: Expense) if e.id in [1, 2, 3, 70];
      allow(_, "many-rules", e: Expense) if e.organizationId = 2 or e.submitterId = 2;`);
    for (const action of ['cheap', 'range', 'big', 'noted', 'bare', 'not-n1', 'some', 'many-rules']) {
      const expected = await allowed(oso, 'x', action, EXPENSES);
      expect(expected.length).toBeGreaterThan(0);
      expect(expected.length).toBeLessThan(EXPENSES.length);
      expect(await filterAuthorizedItems(oso, 'x', action, Expense, EXPENSES)).toEqual(expected);
    }
  });

  it('looks values up in list fields: in and not in', async () => {
    const oso = await engine(`
      allow(_, "food", e: Expense) if "food" in e.tags;
      allow(_, "no-food", e: Expense) if not "food" in e.tags;`);
    for (const action of ['food', 'no-food']) {
      const expected = await allowed(oso, 'x', action, EXPENSES);
      expect(expected).toHaveLength(30);
      expect(await filterAuthorizedItems(oso, 'x', action, Expense, EXPENSES)).toEqual(expected);
    }
  });

  it('allows everything for an unconditional rule and nothing when no rule matches', async () => {
    const oso = await engine('allow(_, "read", _: Expense);');
    expect(await filterAuthorizedItems(oso, 'x', 'read', Expense, EXPENSES)).toEqual(EXPENSES);
    expect(await filterAuthorizedItems(oso, 'x', 'write', Expense, EXPENSES)).toEqual([]);
  });

  it('keeps rules independent when only some of them follow a relation', async () => {
    const oso = await engine(`
      allow(_, "read", e: Expense) if e.amount < 50;
      allow(_, "read", e: Expense) if e.organization.name = "globex";`);
    const expected = await allowed(oso, 'x', 'read', EXPENSES);
    expect(expected.some((e) => e.organizationId !== 2)).toBe(true);
    expect(await filterAuthorizedItems(oso, 'x', 'read', Expense, EXPENSES)).toEqual(expected);
    // oso's own authorizedQuery merges the rules' joins; the adapter refuses to guess rather than drop rows.
    await expect(oso.authorizedQuery('x', 'read', Expense)).rejects.toThrow(/for some of its rules only/);
  });

  it('says what is missing when it cannot follow a relation', async () => {
    const oso = await engine('allow(_, "read", e: Expense) if e.organization.name = "acme";', new InMemoryAdapter());
    await expect(filterAuthorizedItems(oso, 'x', 'read', Expense, EXPENSES, {})).rejects.toThrow(
      'InMemoryAdapter: cannot follow Expense.organization: the Expense item does not carry "organization" and there is no collection for Organization',
    );
    const listKeys = new InMemoryAdapter({ collections: { Organization: [{ id: [1, 2], name: 'acme' }] } });
    expect(() => listKeys.buildQuery(filterFor(oso)).filter(EXPENSES)).toThrow(
      /Organization\.id holds a list, not a key/,
    );
    await expect(listKeys.executeQuery(listKeys.buildQuery(filterFor(oso)))).rejects.toThrow(
      'no collection for Expense',
    );
    await expect(listKeys.executeQuery('not a query')).rejects.toThrow(DataFilteringError);
  });
});

/** Users, docs and comments of issue 15: two rules reach User, one through the doc's author, one through its comments. */
class DocUser {
  constructor(
    readonly id: number,
    readonly isAdmin: boolean,
  ) {}
}
class Doc {
  constructor(
    readonly id: number,
    readonly authorId: number,
    readonly rank: number | null = null,
    readonly score: number | null = null,
  ) {}
}
class DocComment {
  constructor(
    readonly id: number,
    readonly docId: number,
    readonly authorId: number,
  ) {}
}
/** Items of a shape the policy does not expect: any property, or none. */
class Loose {
  constructor(fields: Record<string, unknown>) {
    Object.assign(this, fields);
  }
}

const DOC_USERS = [new DocUser(1, true), new DocUser(2, false)];
const DOCS = [new Doc(1, 1, 1, 5), new Doc(2, 2, null, 3), new Doc(3, 2, 3, null)];
const DOC_COMMENTS = [new DocComment(1, 2, 1), new DocComment(2, 3, 2)];

async function docEngine(policy: string) {
  const oso = new Oso();
  oso.setDataFilteringAdapter(
    new InMemoryAdapter({ collections: { User: DOC_USERS, Doc: DOCS, Comment: DOC_COMMENTS } }),
  );
  oso.registerClass(DocUser, { name: 'User' });
  oso.registerClass(Doc, {
    fields: {
      author: new Relation('one', 'User', 'authorId', 'id'),
      comments: new Relation('many', 'Comment', 'id', 'docId'),
    },
  });
  oso.registerClass(DocComment, { name: 'Comment', fields: { author: new Relation('one', 'User', 'authorId', 'id') } });
  oso.registerClass(Loose);
  await oso.loadStr(policy);
  return oso;
}

/** What `isAllowed` says of each item, an error included: the answer every filter must give. */
async function engineAnswers<T>(
  oso: Oso,
  actor: unknown,
  action: string,
  items: T[],
): Promise<{ kept: T[] } | { error: string }> {
  const kept: T[] = [];
  for (const item of items) {
    try {
      if (await oso.isAllowed(actor, action, item)) kept.push(item);
    } catch (error) {
      return { error: (error as Error).message };
    }
  }
  return { kept };
}

async function expectExact<T>(oso: Oso, actor: unknown, action: string, cls: new (...args: never[]) => T, items: T[]) {
  const expected = await engineAnswers(oso, actor, action, items);
  const got = filterAuthorizedItems(oso, actor, action, cls, items);
  if ('error' in expected) await expect(got).rejects.toThrow(expected.error);
  else expect(await got).toEqual(expected.kept);
  return expected;
}

describe('the in-memory adapter decides each item exactly as isAllowed', () => {
  it('keeps apart two rules that reach one type through different relations (issue 15, defect 1)', async () => {
    const oso = await docEngine(`
      allow(_, "read", d: Doc) if d.author.isAdmin = true;
      allow(_, "read", d: Doc) if c in d.comments and c.author.isAdmin = true;`);
    expect(await expectExact(oso, 'x', 'read', Doc, DOCS)).toEqual({ kept: [DOCS[0], DOCS[1]] });
    expect(await fetchAuthorizedResources(oso, 'x', 'read', Doc)).toEqual([DOCS[0], DOCS[1]]);
  });

  it('keeps apart two relations into one type within one rule', async () => {
    const oso = await docEngine(
      'allow(_, "read", d: Doc) if d.author.isAdmin = false and c in d.comments and c.author.isAdmin = true;',
    );
    expect(await expectExact(oso, 'x', 'read', Doc, DOCS)).toEqual({ kept: [DOCS[1]] });
  });

  it('follows every relation the engine may follow, even where another relation of the rule has no related item', async () => {
    // Doc 4 has no comments and an author key that matches no user: the engine raises when it follows d.author.
    const orphan = new Doc(4, 99);
    for (const body of ['d.author.isAdmin = true and c in d.comments', 'c in d.comments and d.author.isAdmin = true']) {
      const oso = await docEngine(`allow(_, "read", d: Doc) if ${body} and c.id > 0;`);
      const outcome = await expectExact(oso, 'x', 'read', Doc, [...DOCS, orphan]);
      // Rule order decides whether the engine gets there; the filter asks it.
      expect(outcome).toEqual(body.startsWith('d.author') ? { error: 'Wrong number of parents: 0' } : { kept: [] });
    }
  });

  it('orders nil as the engine does: null < 2 is true (issue 15, defect 3)', async () => {
    const oso = await docEngine(`
      allow(_, "low", d: Doc) if d.rank < 2;
      allow(_, "ahead", d: Doc) if d.score > d.rank;
      allow(_, "at-most", d: Doc) if d.rank <= nil;`);
    expect(await expectExact(oso, 'x', 'low', Doc, DOCS)).toEqual({ kept: [DOCS[0], DOCS[1]] });
    expect(await expectExact(oso, 'x', 'ahead', Doc, DOCS)).toEqual({ kept: [DOCS[0], DOCS[1]] });
    expect(await expectExact(oso, 'x', 'at-most', Doc, DOCS)).toEqual({ kept: [DOCS[1]] });
  });

  it('tells nil from undefined and from an absent property (issue 15, defect 4)', async () => {
    const oso = await docEngine('allow(_, "read", d: Loose) if d.deletedAt = nil;');
    const kept = new Loose({ deletedAt: null });
    // undefined is not nil for the engine; an absent property is an error.
    expect(await expectExact(oso, 'x', 'read', Loose, [kept, new Loose({ deletedAt: undefined })])).toEqual({
      kept: [kept],
    });
    const error = await expectExact(oso, 'x', 'read', Loose, [kept, new Loose({})]);
    expect(error).toEqual({ error: expect.stringMatching(/deletedAt/) });
  });

  it('raises where the engine raises on a value of another type, and never coerces (issue 15, defect 4)', async () => {
    const oso = await docEngine('allow(_, "read", d: Loose) if d.level < 3;');
    const two = new Loose({ level: 2 });
    expect(await expectExact(oso, 'x', 'read', Loose, [two, new Loose({ level: 5 })])).toEqual({ kept: [two] });
    for (const level of ['2', [1]]) {
      expect(await expectExact(oso, 'x', 'read', Loose, [two, new Loose({ level })])).toEqual({
        error: expect.stringMatching(/Not supported/),
      });
    }
  });

  it('raises on an absent property in any rule, even when another rule allows the item (issue 15, defect 4)', async () => {
    const oso = await docEngine('allow(u: User, "read", d: Loose) if d.ownerId = u.id or d.isPublic = true;');
    const owned = new Loose({ ownerId: 1, isPublic: false });
    expect(
      await expectExact(oso, DOC_USERS[0], 'read', Loose, [owned, new Loose({ ownerId: 2, isPublic: false })]),
    ).toEqual({ kept: [owned] });
    expect(await expectExact(oso, DOC_USERS[0], 'read', Loose, [owned, new Loose({ isPublic: true })])).toEqual({
      error: expect.stringMatching(/ownerId/),
    });
  });

  it('leaves to the engine an item that is not an instance of the class, and strings that look like numbers', async () => {
    const oso = await docEngine(`
      allow(_, "read", d: Doc) if d.rank = 1;
      allow(_, "read", _: Loose);`);
    const items = [
      DOCS[0],
      { id: 9, authorId: 1, rank: 1 },
      new Doc(4, 1, '1' as never),
      new Doc(5, 1, true as never),
    ] as Doc[];
    expect(await expectExact(oso, 'x', 'read', Doc, items)).toEqual({ kept: [DOCS[0]] });
  });

  it('throws from the synchronous filter on an item only the engine can decide, and asks the engine in authorizedItems', async () => {
    const oso = await docEngine('allow(_, "read", d: Loose) if d.level < 3;');
    const items = [new Loose({ level: 2 }), new Loose({ level: null }), new Loose({ level: 7 })];
    const query = await buildAuthorizedQuery<InMemoryQuery<Loose>>(oso, 'x', 'read', Loose);
    expect(query.filter(items)).toEqual([items[0], items[1]]);
    const odd = [...items, new Loose({ level: 2.5 }), new Loose({ level: true })];
    expect(() => query.filter(odd)).toThrow(/item #4 of Loose can only be decided by the engine/);
    expect(await query.authorizedItems(odd)).toEqual(
      ((await engineAnswers(oso, 'x', 'read', odd)) as { kept: Loose[] }).kept,
    );
    const detached = new InMemoryAdapter().buildQuery(await buildAuthorizedFilter(oso, 'x', 'read', Loose));
    await expect(detached.authorizedItems(odd)).rejects.toThrow(DataFilteringError);
  });
});

describe('the filter of a policy', () => {
  it('keeps the joins of each rule apart, where oso merges them', async () => {
    const oso = await engine(`
      allow(_, "read", e: Expense) if e.amount < 50;
      allow(_, "read", e: Expense) if e.organization.name = "globex";`);
    const filter = await buildAuthorizedFilter(oso, 'x', 'read', Expense);
    expect(filter.branches.map((branch) => branch.relations.length)).toEqual([0, 1]);
    expect(filter.relations).toHaveLength(1);
    expect(filterBranches(filter)).toBe(filter.branches);
  });

  it('has no branch when nothing is allowed', async () => {
    const oso = await engine('allow(_, "read", _: Expense);');
    expect((await buildAuthorizedFilter(oso, 'x', 'write', Expense)).branches).toEqual([]);
  });

  it('names an unregistered class', async () => {
    const oso = await engine('allow(_, "read", _: Expense);');
    await expect(buildAuthorizedFilter(oso, 'x', 'read', class Unknown {})).rejects.toThrow(
      'class Unknown is not registered with Polar',
    );
  });
});

/** A filter built outside buildAuthorizedFilter, as the engine builds one to follow a relation. */
function filterFor(oso: Oso) {
  return {
    model: 'Expense',
    relations: [{ fromTypeName: 'Expense', fromFieldName: 'organization', toTypeName: 'Organization' }],
    conditions: [
      [{ lhs: { typeName: 'Organization', fieldName: 'name' }, cmp: 'Eq' as const, rhs: { value: 'acme' } }],
    ],
    types: oso.getHost().types,
  };
}
