import { Oso, Relation } from 'oso';
import { buildAuthorizedFilter, filterBranches } from './authorized-filter.js';
import { buildAuthorizedQuery, fetchAuthorizedResources, filterAuthorizedItems } from './authorized-resources.js';
import { DataFilteringError } from './data-filtering.error.js';
import { InMemoryAdapter, InMemoryQuery } from './in-memory.adapter.js';

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
  (_, i) => new Expense(i + 1, (i % 3) + 1, (i % 4) + 1, (i * 37) % 500, i % 5 === 0 ? null : `n${i % 3}`, i % 2 ? ['travel'] : ['food', 'travel']),
);
const ALICE = new User(1, [new Membership(1, 'admin')]);
const BOB = new User(2, [new Membership(1, 'member'), new Membership(2, 'member')]);
const NOBODY = new User(9, []);

/** The expenses app's RBAC policy, plus rules for the submitter. */
const RBAC = `
actor User {}
resource Organization {
  roles = ["member", "admin"];
  permissions = ["read"];
  "read" if "member";
  "member" if "admin";
}
resource Expense {
  permissions = ["read", "approve"];
  relations = { organization: Organization };
  "read" if "member" on "organization";
  "approve" if "admin" on "organization";
}
has_role(user: User, role: String, org: Organization) if
  membership in user.memberships and membership.orgId = org.id and membership.role = role;
has_relation(org: Organization, "organization", expense: Expense) if expense.organization = org;
allow(actor, action, resource) if has_permission(actor, action, resource);
allow(user: User, "read", expense: Expense) if expense.submitterId = user.id;
`;

async function engine(policy: string, adapter = new InMemoryAdapter({ collections: { Organization: ORGANIZATIONS, Expense: EXPENSES } })) {
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
    expect((await filterAuthorizedItems(oso, ALICE, 'approve', Expense, EXPENSES)).every((e) => e.organizationId === 1)).toBe(true);
    expect(await filterAuthorizedItems(oso, NOBODY, 'approve', Expense, EXPENSES)).toEqual([]);
  });

  it('keeps the order of the items and is a filter (a repeated item is kept twice)', async () => {
    const oso = await engine(RBAC);
    const items = [EXPENSES[3]!, EXPENSES[0]!, EXPENSES[3]!];
    expect(await filterAuthorizedItems(oso, ALICE, 'approve', Expense, items)).toEqual([EXPENSES[3], EXPENSES[0], EXPENSES[3]]);
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
    const carrying = EXPENSES.map((e) => new Expense(e.id, e.organizationId, e.submitterId, e.amount, e.note, e.tags, ORGANIZATIONS[e.organizationId - 1]));
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
    expect(() => listKeys.buildQuery(filterFor(oso)).filter(EXPENSES)).toThrow(/Organization\.id holds a list, not a key/);
    await expect(listKeys.executeQuery(listKeys.buildQuery(filterFor(oso)))).rejects.toThrow('no collection for Expense');
    await expect(listKeys.executeQuery('not a query')).rejects.toThrow(DataFilteringError);
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
    await expect(buildAuthorizedFilter(oso, 'x', 'read', class Unknown {})).rejects.toThrow('class Unknown is not registered with Polar');
  });
});

/** A filter built outside buildAuthorizedFilter, as the engine builds one to follow a relation. */
function filterFor(oso: Oso) {
  return {
    model: 'Expense',
    relations: [{ fromTypeName: 'Expense', fromFieldName: 'organization', toTypeName: 'Organization' }],
    conditions: [[{ lhs: { typeName: 'Organization', fieldName: 'name' }, cmp: 'Eq' as const, rhs: { value: 'acme' } }]],
    types: oso.getHost().types,
  };
}
