/**
 * Policy families written for listings (`authorizedActions`, `authorizedFields`): rules in an order the listing must
 * keep, actions from lists and rule calls, wildcards before and after other rules, loops and `or` with failing
 * lookups after an allowing item or branch, on plain classes (no subclasses, no specializers with fields).
 */
import * as fc from 'fast-check';
import { collection, field, instances } from './arbitraries.js';
import type { Family } from './differential.js';

class Member {}
class Page {}

const member = instances(Member, {
  name: field(fc.constantFrom('ada', 'bob')),
  level: field(fc.constantFrom(0, 1, 2)),
  root: field(fc.boolean(), 3),
  admin: field(fc.boolean()),
});
const tag = fc.oneof(fc.record({ x: field(fc.constantFrom(0, 1, 2)) }), fc.constantFrom<unknown>(1, 'a', null));
const page = instances(Page, {
  ok: field(fc.boolean()),
  owner: field(fc.constantFrom('ada', 'bob')),
  level: field(fc.constantFrom(0, 1, 2)),
  tags: collection(tag),
});

const listingPolicy = `
allow(_u: Member, "b", d: Page) if d.ok = true;
allow(u: Member, "a", d: Page) if u.name = d.owner;
allow(u: Member, a, d: Page) if a in ["c", "b"] and d.level > u.level;
allow(_u: Member, "t", d: Page) if t in d.tags and t.x = 1;
allow(u: Member, "o", d: Page) if d.ok = false or u.admin = true;
allow(u: Member, _a, d: Page) if u.root = true and d.ok = true;
allow(u: Member, "g", d: Page) if g(u, d);
allow(u: Member, "z", _d: Page) if u.level = 2;
g(_u: Member, d) if d.level = 1;
g(u, _d: Page) if u.level = 2;
allow_field(_u: Member, "read", d: Page, "ok") if d.ok = true;
allow_field(u: Member, "read", _d: Page, f) if f in ["owner", "level"] and u.level >= 1;
allow_field(u: Member, "read", d: Page, _f) if u.root = true and d.ok = false;
allow_field(u: Member, "read", d: Page, "tags") if t in d.tags and t.x = u.level;
allow_field(u: Member, "edit", d: Page, "owner") if u.name = d.owner or u.admin = true;
allow_field(_u: Member, "edit", d: Page, "level") if d.level < 2;
`;

const shared = {
  policy: { text: listingPolicy },
  classes: [Member, Page],
  actors: fc.oneof({ arbitrary: member, weight: 20 }, { arbitrary: fc.constantFrom(null, 'a'), weight: 1 }),
  resources: fc.oneof({ arbitrary: page, weight: 20 }, { arbitrary: fc.constantFrom(null, { ok: true }), weight: 1 }),
};

/** The `allow` family of listings. */
export const listingFamily: Family = {
  ...shared,
  name: 'listings (written for the listings)',
  seed: 9311,
  actions: ['(any)'],
};

/** The `allow_field` family of listings. */
export const fieldListingFamily: Family = {
  ...shared,
  name: 'field listings (allow_field, written for the listings)',
  seed: 9317,
  actions: ['read', 'edit', 'none'],
  fields: [],
};
