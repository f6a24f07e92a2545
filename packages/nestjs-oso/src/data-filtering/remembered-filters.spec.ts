import * as fc from 'fast-check';
import { Oso, type Filter } from 'oso';
import { Relation } from '../engine/oso-library.js';
import { ActorRecording } from './actor-recording.js';
import { buildAuthorizedFilter, evaluateFilter } from './authorized-filter.js';
import { InMemoryAdapter } from './in-memory/in-memory.adapter.js';

/**
 * Remembered data filters (issue 19, item 4): a filter is reused for a later actor only when every observation the
 * engine made of the first actor answers the same on it. Differential: for generated sequences of actors (and
 * changes to them between calls), the filter `buildAuthorizedFilter` gives, remembered or not, is the one a fresh
 * partial evaluation builds for that actor, errors included.
 */

class Membership {
  constructor(
    readonly orgId: unknown,
    readonly role: unknown,
  ) {}
}

class Org {
  constructor(readonly id: unknown) {}
}

class User {
  #level: number;
  memberships: Membership[] = [];
  org: Org = new Org(1);
  otherOrg: Org = new Org(2);
  constructor(
    public id: unknown,
    public orgId: unknown,
    level: number,
  ) {
    this.#level = level;
  }
  /** Reads a private field: it must run on the real object, not on a proxy. */
  get level(): number {
    return this.#level;
  }
  setLevel(level: number): void {
    this.#level = level;
  }
  hasRole(role: string): boolean {
    return this.memberships.some((m) => m.role === role);
  }
}

class Admin extends User {}

class Doc {
  constructor(
    readonly id: number,
    readonly orgId: unknown,
    readonly level: number,
    readonly ownerId: unknown,
    readonly isPublic: boolean,
    readonly owner: unknown,
  ) {}
}

/** An actor's membership rows, fetched through a data filtering relation (`User.rows`). */
class Row {
  constructor(
    readonly userId: unknown,
    readonly orgId: unknown,
  ) {}
}

const ROWS: Row[] = [new Row(1, 1), new Row(2, 2), new Row(3, 1), new Row(3, 2)];

const POLICIES: Record<string, string> = {
  attribute: 'allow(u: User, "read", d: Doc) if d.orgId = u.orgId;',
  memberships: 'allow(u: User, "read", d: Doc) if m in u.memberships and m.orgId = d.orgId and m.role = "admin";',
  method: `allow(u: User, "read", d: Doc) if u.hasRole("owner") and d.isPublic = true;
           allow(u: User, "read", d: Doc) if d.ownerId = u.id;`,
  getter: 'allow(u: User, "read", d: Doc) if u.level > 2 and d.level <= u.level;',
  nested: 'allow(u: User, "read", d: Doc) if d.orgId = u.org.id;',
  specializer: `allow(_: Admin, "read", _: Doc);
                allow(u: User, "read", d: Doc) if d.orgId = u.orgId;
                allow(nil, "read", d: Doc) if d.isPublic = true;
                allow(name: String, "read", d: Doc) if d.ownerId = name;`,
  identity: 'allow(u: User, "read", d: Doc) if d.owner = u;',
  objectsCompared: 'allow(u: User, "read", d: Doc) if u.org = u.otherOrg and d.isPublic = true;',
  relation: 'allow(u: User, "read", d: Doc) if r in u.rows and d.orgId = r.orgId;',
  list: 'allow(u: User, "read", d: Doc) if d.orgId in [u.orgId, u.org.id];',
};

async function engine(policy: string, setUp?: (oso: Oso) => void): Promise<Oso> {
  const oso = new Oso();
  oso.setDataFilteringAdapter(new InMemoryAdapter({ collections: { Row: ROWS } }));
  oso.registerClass(Org);
  oso.registerClass(Membership);
  oso.registerClass(User, { fields: { rows: new Relation('many', 'Row', 'id', 'userId') } });
  oso.registerClass(Admin, { fields: { rows: new Relation('many', 'Row', 'id', 'userId') } });
  oso.registerClass(Row);
  oso.registerClass(Doc);
  setUp?.(oso);
  await oso.loadStr(policy);
  return oso;
}

/** A filter as comparable JSON: values by type, objects by identity. */
function comparable(outcome: { filter?: unknown; error?: string }, ids: WeakMap<object, number>): string {
  if (outcome.error !== undefined) return `error: ${outcome.error}`;
  let next = 0;
  const { types: _types, ...rest } = outcome.filter as { types: unknown };
  return JSON.stringify(rest, (_key, value: unknown) => {
    if (value === undefined) return '#undefined';
    if (value instanceof User || value instanceof Org || value instanceof Membership) {
      if (!ids.has(value)) ids.set(value, ++next);
      return `#object${ids.get(value)}`;
    }
    return value;
  });
}

async function outcome(build: () => Promise<unknown>): Promise<{ filter?: unknown; error?: string }> {
  try {
    return { filter: await build() };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** Counts the queries an engine runs (every one is made by its WebAssembly `Polar`). */
function countQueries(oso: Oso): { count: number } {
  const counter = { count: 0 };
  const ffi = oso.getFfi();
  const fromTerm = ffi.newQueryFromTerm.bind(ffi);
  ffi.newQueryFromTerm = (term: unknown) => {
    counter.count++;
    return fromTerm(term);
  };
  return counter;
}

/** The values a filter compares with. */
function valuesOf(filter: Filter): unknown[] {
  return filter.conditions
    .flat()
    .flatMap(({ lhs, rhs }) => [lhs, rhs])
    .filter((side) => 'value' in side)
    .map((side) => (side as { value: unknown }).value);
}

const value = fc.constantFrom<unknown>(1, 2, '1', null, 3.5, true);
const role = fc.constantFrom('admin', 'owner', 'member');
const actorSpec = fc.record({
  kind: fc.constantFrom('User', 'Admin', 'nil', 'string', 'plain'),
  id: fc.constantFrom<unknown>(1, 2, 3, 'x'),
  orgId: value,
  level: fc.integer({ min: 0, max: 5 }),
  memberships: fc.array(fc.record({ orgId: value, role }), { maxLength: 3 }),
  orgId2: value,
  sameOrgs: fc.boolean(),
  missingOrgId: fc.boolean(),
});
type ActorSpec = typeof actorSpec extends fc.Arbitrary<infer T> ? T : never;

function buildActor(spec: ActorSpec): unknown {
  switch (spec.kind) {
    case 'nil':
      return null;
    case 'string':
      return String(spec.id);
    case 'plain':
      return { id: spec.id, orgId: spec.orgId };
  }
  const actor = new (spec.kind === 'Admin' ? Admin : User)(spec.id, spec.orgId, spec.level);
  actor.memberships = spec.memberships.map((m) => new Membership(m.orgId, m.role));
  actor.org = new Org(spec.orgId2);
  actor.otherOrg = spec.sameOrgs ? actor.org : new Org(spec.orgId2);
  if (spec.missingOrgId) delete (actor as { orgId?: unknown }).orgId;
  return actor;
}

/** One call of a sequence: a filter for an actor of the pool, or a change to one of them first. */
const stepArb = fc.record({
  actor: fc.nat({ max: 5 }),
  change: fc.option(
    fc.oneof(
      fc.record({ field: fc.constant('orgId' as const), to: value }),
      fc.record({ field: fc.constant('level' as const), to: fc.integer({ min: 0, max: 5 }) }),
      fc.record({ field: fc.constant('role' as const), to: role }),
      fc.record({ field: fc.constant('orgId2' as const), to: value }),
    ),
    { nil: undefined },
  ),
});

type ActorChange = { field: 'orgId' | 'level' | 'role' | 'orgId2'; to: unknown };

/** Changes an actor between two calls: a remembered filter must not survive what changes the engine's answer. */
function change(actor: unknown, { field, to }: ActorChange): void {
  if (!(actor instanceof User)) return;
  if (field === 'orgId') actor.orgId = to;
  else if (field === 'level') actor.setLevel(to as number);
  else if (field === 'role') actor.memberships.push(new Membership(1, to));
  else actor.org = new Org(to);
}

describe('remembered data filters', () => {
  it.each(Object.keys(POLICIES))(
    'give the filter a fresh partial evaluation gives, errors included, for generated actors (%s)',
    async (name) => {
      const oso = await engine(POLICIES[name]!);
      const queries = countQueries(oso);
      let calls = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(actorSpec, { minLength: 6, maxLength: 6 }),
          fc.array(stepArb, { maxLength: 25 }),
          async (specs, steps) => {
            const pool = specs.map(buildActor);
            for (const step of steps) {
              const actor = pool[step.actor];
              if (step.change) change(actor, step.change);
              const ids = new WeakMap<object, number>();
              const got = comparable(await outcome(() => buildAuthorizedFilter(oso, actor, 'read', 'Doc')), ids);
              const want = comparable(
                await outcome(() => evaluateFilter(oso, actor ?? null, 'read', 'Doc', undefined)),
                ids,
              );
              expect(got).toBe(want);
              calls++;
            }
          },
        ),
        { seed: 1904, numRuns: 60 },
      );
      // Each call ran the fresh evaluation once; what remembering saved shows in the rest.
      expect(2 * calls - queries.count).toBeGreaterThan(calls / 4);
    },
    60_000,
  );

  it.each([
    ['identity', (actor: User) => actor],
    ['objectsCompared', (actor: User) => Object.assign(actor, { otherOrg: actor.org })],
  ])("does not remember a filter that depends on the identity of the actor's objects (%s)", async (name, shape) => {
    const oso = await engine(POLICIES[name]!);
    const queries = countQueries(oso);
    const first = await buildAuthorizedFilter(oso, shape(new User(1, 1, 0)), 'read', 'Doc');
    const second = await buildAuthorizedFilter(oso, shape(new User(1, 1, 0)), 'read', 'Doc');
    expect({ branches: [first.conditions.length, second.conditions.length], queries: queries.count }).toEqual({
      branches: [1, 1],
      queries: 2,
    });
  });

  it.each([
    [
      'a constant of the application',
      'allow(u: User, "read", d: Doc) if d.level <= Config.limit and d.orgId = u.orgId;',
    ],
    ['an instance the policy makes', 'allow(u: User, "read", d: Doc) if new Org(u.orgId).id = d.orgId;'],
  ])('does not remember a filter that reads %s, whose answer may change between requests', async (_what, policy) => {
    const config = { limit: 3 };
    const oso = await engine(policy, (oso) => oso.registerConstant(config, 'Config'));
    const queries = countQueries(oso);
    await buildAuthorizedFilter(oso, new User(1, 1, 0), 'read', 'Doc');
    config.limit = 4;
    const second = await buildAuthorizedFilter(oso, new User(1, 1, 0), 'read', 'Doc');
    expect(queries.count).toBe(2);
    expect(valuesOf(second)).toEqual(valuesOf(await evaluateFilter(oso, new User(1, 1, 0), 'read', 'Doc', undefined)));
  });

  it('hands the engine a filter with the real actor, never a proxy of it', async () => {
    const oso = await engine(POLICIES.identity!);
    const actor = new User(1, 1, 0);
    const filter = await buildAuthorizedFilter(oso, actor, 'read', 'Doc');
    expect(valuesOf(filter).map((value) => value === actor)).toEqual([true]);
  });

  it('refetches a relation of the actor on replay: a changed row changes the filter', async () => {
    const rows = [new Row(1, 1)];
    const oso = await engine(POLICIES.relation!);
    oso.setDataFilteringAdapter(new InMemoryAdapter({ collections: { Row: rows } }));
    const queries = countQueries(oso);
    const orgIds = async () => valuesOf(await buildAuthorizedFilter(oso, new User(1, 0, 0), 'read', 'Doc'));
    expect(await orgIds()).toEqual([1]);
    expect(await orgIds()).toEqual([1]);
    expect(queries.count).toBe(1);
    rows[0] = new Row(1, 7);
    expect(await orgIds()).toEqual([7]);
  });

  it('works on a frozen actor, whose properties a proxy must report as they are', async () => {
    const oso = await engine(POLICIES.nested!);
    const actor = Object.freeze(new User(1, 1, 0));
    expect(valuesOf(await buildAuthorizedFilter(oso, actor, 'read', 'Doc'))).toEqual([1]);
    expect(valuesOf(await buildAuthorizedFilter(oso, Object.freeze(new User(2, 2, 0)), 'read', 'Doc'))).toEqual([1]);
  });

  it('shares a remembered filter frozen, so that no caller can change it for the others', async () => {
    const oso = await engine(POLICIES.attribute!);
    await buildAuthorizedFilter(oso, new User(1, 1, 0), 'read', 'Doc');
    const recalled = await buildAuthorizedFilter(oso, new User(2, 1, 0), 'read', 'Doc');
    expect(() => recalled.conditions.push([])).toThrow(TypeError);
  });

  it('bounds a recording, prototype look-ups included, and refuses to remember it beyond the bound', () => {
    const recording = new ActorRecording(new User(1, 1, 0), () => false);
    const proxy = recording.root as object;
    for (let i = 0; i < 6_000; i++) Object.getPrototypeOf(proxy);
    expect(recording.steps.length).toBe(5_000);
    expect(recording.refused).toMatch(/more than 5000 observations/);
  });
});
