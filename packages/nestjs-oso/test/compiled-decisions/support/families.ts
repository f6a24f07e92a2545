/**
 * The policy families of the differential suite: every policy of the repository's tests, the benchmark and the
 * sample app, and policies written to exercise each operator the compiler translates, each with random cases.
 */
import { join } from 'node:path';
import * as fc from 'fast-check';
import { HttpRequest } from '../../../src/authorization/http-request.js';
import { Expense, Membership, Organization, User } from '../../fixtures/domain.js';
import { collection, field, instance, instances, MISSING, odd, plain } from './arbitraries.js';
import type { Family } from './differential.js';
import { policyFixture } from '../../fixtures/policies.js';

const repository = join(import.meta.dirname, '..', '..', '..', '..', '..');

/** Few ids, so that memberships and resources often meet. */
const id = fc.constantFrom(1, 2);
const role = fc.constantFrom('member', 'admin', 'owner', 'guest');

// ---------------------------------------------------------------------------------------------------------------
// The e2e app's policy (test/fixtures/policies/expenses): RBAC through resource blocks, the submitter rule, an erroring rule, routes.

const e2eOrganization = fc.oneof(
  { arbitrary: instances(Organization, { id: field(id) }), weight: 10 },
  { arbitrary: fc.record({ id }).map(plain), weight: 1 },
  { arbitrary: odd, weight: 1 },
);
const e2eMembership = fc.oneof(
  { arbitrary: instances(Membership, { orgId: field(id), role: field(role) }), weight: 10 },
  { arbitrary: fc.record({ orgId: id, role }).map(plain), weight: 1 },
  { arbitrary: odd, weight: 1 },
);
const e2eUser = instances(User, {
  id: field(id),
  name: field(fc.constantFrom('alice', 'bob')),
  memberships: collection(e2eMembership),
  auditor: field(fc.boolean()),
});
const e2eExpense = instances(Expense, {
  id: field(id),
  organization: fc.oneof({ arbitrary: e2eOrganization, weight: 12 }, { arbitrary: fc.constant(MISSING), weight: 1 }),
  submitterId: field(id),
  amount: fc.constant(10),
  noSuchAttribute: fc.oneof(
    { arbitrary: fc.constant(MISSING), weight: 5 },
    { arbitrary: fc.constantFrom('secret policy text', 1), weight: 1 },
  ),
});
const path = fc.constantFrom('/', '/me', '/reports/2024', '/echo/ada', '/signed-in', '/other');
const route = fc.constantFrom(
  null,
  '/',
  '/me',
  '/reports/:year',
  '/echo/:name',
  '/echo/:name/items/:item',
  '/expenses/:id/wrong-param',
  '/signed-in',
);
const httpRequest = fc
  .record({
    method: fc.constantFrom('GET', 'POST'),
    path,
    route,
    params: fc
      .record({ name: field(fc.constantFrom('ada', 'bob')), item: field(fc.constantFrom('7', '8', 7)) })
      .map(plain),
    query: fc.record({ flag: field(fc.constantFrom('1', '0')) }).map(plain),
  })
  .map(({ method, path: p, route: r, params, query }) => new HttpRequest(method, p, r, params, query, {}));

export const e2eFamily: Family = {
  name: 'e2e app (test/fixtures/policies/expenses)',
  policy: { dir: policyFixture('expenses') },
  classes: [User, Organization, Expense, { class: Membership, name: 'Membership' }],
  seed: 7001,
  actors: fc.oneof(
    { arbitrary: e2eUser, weight: 20 },
    { arbitrary: fc.constant(null), weight: 2 },
    { arbitrary: fc.record({ name: fc.constantFrom('zed') }).map(plain), weight: 1 },
    { arbitrary: e2eOrganization, weight: 1 },
  ),
  actions: ['read', 'approve', 'PUT', 'explode', 'GET', 'POST', 'audit', 'delete'],
  resources: fc.oneof(
    { arbitrary: e2eExpense, weight: 12 },
    { arbitrary: httpRequest, weight: 6 },
    { arbitrary: e2eOrganization, weight: 3 },
    { arbitrary: fc.constantFrom(null, { id: 1 }, 'expense'), weight: 1 },
  ),
};

export const routesOnlyFamily: Family = {
  name: 'routes only (test/fixtures/policies/routes-only)',
  policy: { dir: policyFixture('routes-only') },
  classes: [User],
  seed: 7002,
  actors: fc.oneof(e2eUser, fc.constant(null), fc.constantFrom({ name: 'x' }, 'token', 0, false)),
  actions: ['GET', 'POST', 'get'],
  resources: fc.oneof(
    { arbitrary: httpRequest, weight: 8 },
    { arbitrary: fc.constantFrom(null, { path: '/' }), weight: 1 },
  ),
};

// ---------------------------------------------------------------------------------------------------------------
// The benchmark's policy (bench/policy): the expenses RBAC, the shape the performance figures are measured on.

class BenchMembership {
  constructor(
    readonly orgId: number,
    readonly role: string,
  ) {}
}
class BenchUser {
  constructor(
    readonly id: number,
    readonly memberships: BenchMembership[],
  ) {}
}
class BenchOrganization {
  constructor(readonly id: number) {}
}
class BenchExpense {
  constructor(
    readonly id: number,
    readonly organization: BenchOrganization,
    readonly amount: number,
  ) {}
}
const benchOrganization = fc.oneof(
  { arbitrary: instances(BenchOrganization, { id: field(id) }), weight: 10 },
  { arbitrary: odd, weight: 1 },
);
const benchUser = instances(BenchUser, {
  id: field(id),
  memberships: collection(
    fc.oneof(
      {
        arbitrary: instances(BenchMembership, {
          orgId: field(id),
          role: field(fc.constantFrom('member', 'admin', 'x')),
        }),
        weight: 10,
      },
      { arbitrary: odd, weight: 1 },
    ),
    4,
  ),
});

export const benchFamily: Family = {
  name: 'benchmark RBAC (bench/policy)',
  policy: { dir: join(repository, 'bench', 'policy') },
  classes: [
    { class: BenchUser, name: 'User' },
    { class: BenchOrganization, name: 'Organization' },
    { class: BenchExpense, name: 'Expense' },
    { class: BenchMembership, name: 'Membership' },
  ],
  seed: 7003,
  actors: fc.oneof({ arbitrary: benchUser, weight: 20 }, { arbitrary: fc.constant(null), weight: 1 }),
  actions: ['read', 'approve', 'GET', 'delete'],
  resources: fc.oneof(
    {
      arbitrary: instances(BenchExpense, {
        id: field(id),
        organization: field(benchOrganization),
        amount: fc.constant(5),
      }),
      weight: 10,
    },
    { arbitrary: benchOrganization, weight: 3 },
    { arbitrary: httpRequest, weight: 1 },
  ),
};

// ---------------------------------------------------------------------------------------------------------------
// The sample app's policy (sample-app/policy), with its entities as plain classes (relations loaded as properties).

class SampleUser {}
class SampleGuest {}
class SampleOrganization {}
class SampleMembership {}
class SampleExpense {}
const sampleOrganization = fc.oneof(
  { arbitrary: instances(SampleOrganization, { id: field(id), name: fc.constant('Acme') }), weight: 10 },
  { arbitrary: odd, weight: 1 },
);
const sampleMembership = fc.oneof(
  {
    arbitrary: instances(SampleMembership, {
      role: field(fc.constantFrom('member', 'admin', 'owner', 'x')),
      organizationId: field(id),
      userId: id,
    }),
    weight: 10,
  },
  { arbitrary: odd, weight: 1 },
);
const sampleUser = instances(SampleUser, {
  id: field(id),
  name: fc.constant('u'),
  memberships: collection(sampleMembership),
});
const sampleExpense = instances(SampleExpense, {
  id: field(id),
  amount: fc.constant(100),
  status: field(fc.constantFrom('submitted', 'approved', 'rejected')),
  organizationId: id,
  submittedById: field(id),
  organization: field(sampleOrganization),
});

export const sampleAppFamily: Family = {
  name: 'sample app (sample-app/policy)',
  policy: { dir: join(repository, 'sample-app', 'policy') },
  classes: [
    { class: SampleUser as never, name: 'User' },
    { class: SampleGuest as never, name: 'Guest' },
    { class: SampleOrganization as never, name: 'Organization' },
    { class: SampleMembership as never, name: 'Membership' },
    { class: SampleExpense as never, name: 'Expense' },
  ],
  seed: 7004,
  actors: fc.oneof(
    { arbitrary: sampleUser, weight: 20 },
    { arbitrary: fc.constant(null).map(() => instance(SampleGuest, { name: 'guest' })), weight: 2 },
    { arbitrary: fc.constant(null), weight: 1 },
  ),
  actions: ['read', 'update', 'approve', 'reject', 'create_expense', 'GET', 'delete'],
  resources: fc.oneof(
    { arbitrary: sampleExpense, weight: 10 },
    { arbitrary: sampleOrganization, weight: 4 },
    { arbitrary: httpRequest, weight: 1 },
  ),
};

// ---------------------------------------------------------------------------------------------------------------
// Policies written for the operators: comparisons across types, `in` over lists, Sets and strings, nil, `matches`
// with registered classes, subclasses and `isaCheck`, nested paths, dictionaries and lists as constants.

class Person {}
class Admin extends Person {}
class Doc {}
class Folder {}
/** Plain objects with `kind: "team"` are Teams (a custom `isaCheck`). */
class Team {}

const scalar = fc.constantFrom<unknown>(
  1,
  2,
  2.5,
  0,
  -1,
  NaN,
  'a',
  'b',
  '1',
  '',
  true,
  false,
  null,
  undefined,
  [1],
  ['a'],
  [],
  { v: 1 },
);
const tagList = collection(fc.constantFrom<unknown>('a', 'b', 'c', 1, null), 3);
const team = fc.oneof(
  fc
    .record({ kind: fc.constantFrom('team', 'club'), name: field(fc.constantFrom('core', 'ops')), members: tagList })
    .map(plain),
  instances(Team, { name: field(fc.constantFrom('core', 'ops')), members: tagList }),
);
const folder = instances(Folder, {
  owner: field(fc.constantFrom('a', 'b')),
  parent: field(
    fc.oneof(instances(Folder, { owner: field(fc.constantFrom('a', 'b')), level: field(scalar) }), fc.constant(null)),
  ),
  level: field(scalar),
});
const personFields = {
  id: field(fc.constantFrom(1, 2, '1', 2.0)),
  name: field(fc.constantFrom('a', 'b', 'A', 'é', '\u{1F600}')),
  level: field(scalar),
  roles: tagList,
  banned: field(fc.boolean()),
  team: field(team),
  score: field(scalar),
};
const person = fc.oneof(instances(Person, personFields), instances(Admin, personFields));
const doc = instances(Doc, {
  ownerId: field(fc.constantFrom(1, 2, '1', 1.0, null)),
  owner: field(fc.oneof(person, fc.constant(null))),
  public: field(fc.constantFrom<unknown>(true, false, 1, 'true', null)),
  level: field(scalar),
  tags: tagList,
  meta: field(fc.oneof(fc.record({ a: scalar }).map(plain), fc.constant(null))),
  folder: field(folder),
  pair: field(fc.constantFrom<unknown>([1, 1], ['a', 1], [1], 'x')),
  title: field(fc.constantFrom('alpha', 'beta', 'Beta', 'ab', '\u{1F600}', '\uFFFF', '')),
  team: field(team),
});

export const operatorsPolicy = `
allow(u: Person, "eq", d: Doc) if d.ownerId = u.id;
allow(u: Person, "eq", d: Doc) if d.owner = u;
allow(_: Person, "eq", d: Doc) if d.public = true;
allow(u: Person, "strict-eq", d: Doc) if d.level == u.level;
allow(u: Person, "neq", d: Doc) if d.level != u.level and d.ownerId != nil;
allow(u: Person, "order", d: Doc) if d.level < u.level;
allow(u: Person, "order", d: Doc) if d.level >= 2 and u.score <= 1;
allow(u: Person, "order", d: Doc) if d.title > u.name;
allow(u: Person, "in", d: Doc) if "a" in u.roles and "b" in d.tags;
allow(u: Person, "in", d: Doc) if x in u.roles and x in d.tags;
allow(u: Person, "in", d: Doc) if u.name in d.title;
allow(u: Person, "in", _: Doc) if u.level in [1, 2.5, "a"];
allow(_: Admin, "isa", _: Doc);
allow(u: Person, "isa", d: Doc) if d.owner matches Admin and d.owner.name = u.name;
allow(u: Person, "isa", d: Doc) if u.team matches Team{name: "core"} and d.team matches Team;
allow(_: Person, "nil", d: Doc) if d.meta = nil;
allow(u, "nil", _: Doc) if u = nil;
allow(_: Person, "nested", d: Doc) if d.folder.parent.owner = d.folder.owner;
allow(u: Person, "nested", d: Doc) if d.folder.parent.level = u.level and d.meta = {a: 1};
allow(u: Person, "nested", d: Doc) if [u.id, 1] = d.pair;
allow(u: Person, "team", _: Doc) if m in u.team.members and m = "a";
allow(u: Person, "team", d: Doc) if t in d.tags and t in u.team.members and t != "c";
allow(_: Person, "any", _);
allow(_, "anything", _);
`;

export const operatorsFamily: Family = {
  name: 'operators (written for the compiler)',
  policy: { text: operatorsPolicy },
  classes: [
    Person,
    Admin,
    Doc,
    Folder,
    { class: Team, isaCheck: (x: unknown) => x instanceof Team || (x as { kind?: unknown })?.kind === 'team' },
  ],
  seed: 7005,
  actors: fc.oneof({ arbitrary: person, weight: 20 }, { arbitrary: fc.constantFrom(null, { id: 1 }, 'a'), weight: 1 }),
  actions: ['eq', 'strict-eq', 'neq', 'order', 'in', 'isa', 'nil', 'nested', 'team', 'any', 'anything', 'none'],
  resources: fc.oneof(
    { arbitrary: doc, weight: 20 },
    { arbitrary: fc.constantFrom(null, { ownerId: 1 }, 'doc', 7), weight: 1 },
  ),
};

// ---------------------------------------------------------------------------------------------------------------
// Negation of single constraints: `not` reaches the compiler rewritten (`!=`, `>=`), which agrees with the engine
// only for some values; the compiled check must hand the others to the engine. (A negated group is refused.)

export const negationPolicy = `
allow(u: Person, "not-eq", d: Doc) if not d.ownerId = u.id;
allow(u: Person, "not-neq", d: Doc) if not d.level != u.level;
allow(u: Person, "not-lt", d: Doc) if not d.level < u.level;
allow(u: Person, "not-path", d: Doc) if not d.public and not u.banned;
allow(u: Person, "not-in", _: Doc) if not "banned" in u.roles;
allow(_: Person, "not-isa", d: Doc) if not d.owner matches Admin;
allow(u: Person, "not-local", d: Doc) if x in d.tags and not x = u.name;
allow(u: Person, "not-nil", d: Doc) if not d.owner = nil and d.owner.id = u.id;
allow(u: Person, "bare", d: Doc) if d.public and u.banned = false;
`;

export const negationFamily: Family = {
  name: 'negation (written for the compiler)',
  policy: { text: negationPolicy },
  classes: [Person, Admin, Doc, Folder],
  seed: 7006,
  actors: person,
  actions: ['not-eq', 'not-neq', 'not-lt', 'not-path', 'not-in', 'not-isa', 'not-local', 'not-nil', 'bare'],
  resources: doc,
};

// ---------------------------------------------------------------------------------------------------------------
// Actions tested after lookups (`PolicyFeatures.lateActionTests`): the partial evaluator drops the rules of other
// actions before their lookups, the engine reads them first and may fail on them (see `guardActionDecision`).

export const lateActionsPolicy = `
allow(u: Person, action, d: Doc) if d.ownerId = u.id and action = "edit";
allow(u: Person, action, d: Doc) if d.folder.owner = u and action in ["move", "edit"];
allow(_: Person, action, d: Doc) if d.public = true and action = "read";
allow(u: Person, "read", d: Doc) if d.level < u.level;
allow(u: Person, action, d: Doc) if may(u, action, d);
may(u: Person, "share", d: Doc) if d.owner = u;
may(u: Person, action, d: Doc) if x in d.tags and x = u.name and action = "tag";
`;

export const lateActionsFamily: Family = {
  name: 'late action tests (written for the compiler)',
  policy: { text: lateActionsPolicy },
  classes: [Person, Admin, Doc, Folder],
  seed: 7007,
  actors: person,
  actions: ['read', 'edit', 'move', 'share', 'tag', 'none'],
  resources: doc,
};

// ---------------------------------------------------------------------------------------------------------------
// `allow_field` decisions, the field fixed like the action: the field rules of the repository's policies over the
// same random actors and resources, and a policy written for field lists, wildcards, attributes, roles and errors.

export const e2eFieldsFamily: Family = {
  ...e2eFamily,
  name: 'e2e app fields (allow_field, test/fixtures/policies/expenses)',
  seed: 7101,
  actions: ['read', 'approve'],
  fields: ['id', 'amount', 'description', 'approverNotes', 'organization', '*', 1],
};

export const benchFieldsFamily: Family = {
  ...benchFamily,
  name: 'benchmark fields (allow_field, bench/policy)',
  seed: 7102,
  actions: ['read', 'GET'],
  fields: ['amount', 'id', 'organization'],
};

export const sampleAppFieldsFamily: Family = {
  ...sampleAppFamily,
  name: 'sample app fields (allow_field, sample-app/policy)',
  seed: 7103,
  actions: ['read', 'update'],
  fields: ['id', 'amount', 'status', 'createdAt', 'approverNotes', 'organization'],
};

export const fieldsPolicy = `
allow(u: Person, "read", d: Doc) if d.ownerId = u.id;
has_clearance(u: Person, d: Doc) if u.level >= d.level;

# A list of fields, and one field on a resource attribute.
allow_field(_: Person, "read", _: Doc, field) if field in ["title", "tags"];
allow_field(_: Person, "read", d: Doc, "level") if d.public = true;
# Through an allow rule, and a nested path.
allow_field(u: Person, "read", d: Doc, "meta") if allow(u, "read", d);
allow_field(u: Person, "read", d: Doc, "folder") if d.folder.owner = u.name and d.folder.parent != nil;
# Any field (a wildcard), for a class and for a role.
allow_field(_: Admin, "read", _: Doc, _field);
allow_field(u: Person, "write", _: Doc, _field) if "a" in u.roles;
# The field compared with the resource's values.
allow_field(u: Person, "write", d: Doc, field) if field in d.tags and u.banned = false;
allow_field(_: Person, "write", d: Doc, field) if field = d.title;
# A rule call, comparisons that fail on odd values, and a team's members.
allow_field(u: Person, "audit", d: Doc, field) if has_clearance(u, d) and field in ["level", "score"];
allow_field(u: Person, "audit", _: Doc, "secret") if u.score > 1 and u.team.name = "core";
allow_field(u: Person, "audit", _: Doc, field) if field in u.team.members;
# Fields that are not strings, and one no rule names.
allow_field(_: Person, "read", _: Doc, 0);
allow_field(u: Person, "edit", d: Doc, field) if allow(u, "read", d) and field != "ownerId";
`;

export const fieldsFamily: Family = {
  name: 'fields (allow_field, written for the compiler)',
  policy: { text: fieldsPolicy },
  classes: [Person, Admin, Doc, Folder, Team],
  seed: 7104,
  actors: fc.oneof({ arbitrary: person, weight: 20 }, { arbitrary: fc.constantFrom(null, { id: 1 }, 'a'), weight: 1 }),
  actions: ['read', 'write', 'audit', 'edit', 'none'],
  resources: fc.oneof(
    { arbitrary: doc, weight: 20 },
    { arbitrary: fc.constantFrom(null, { ownerId: 1 }, 'doc'), weight: 1 },
  ),
  fields: ['title', 'tags', 'level', 'meta', 'folder', 'score', 'secret', 'ownerId', 'a', 'b', 0, 1, 'other'],
};

/** The `allow_field` families. */
export const FIELD_FAMILIES: Family[] = [e2eFieldsFamily, benchFieldsFamily, sampleAppFieldsFamily, fieldsFamily];

/** Every family of the suite. */
export const FAMILIES: Family[] = [
  benchFamily,
  e2eFamily,
  routesOnlyFamily,
  sampleAppFamily,
  operatorsFamily,
  negationFamily,
  lateActionsFamily,
];
