import { policyFeatures } from './policy-sources.js';

describe('the Polar features compiled decisions look for in a policy', () => {
  it('finds cut and forall, but not in strings or comments', () => {
    expect(policyFeatures('allow(_, "cut", _); # forall here is a comment')).toMatchObject({
      cut: false,
      forall: false,
    });
    expect(policyFeatures('allow(u, _, _) if cut and u.a = 1;')).toMatchObject({ cut: true });
    expect(policyFeatures('allow(u, _, _) if forall(x in u.xs, x = 1);')).toMatchObject({ forall: true });
  });

  it('tells a negated single constraint from a negated group or rule call', () => {
    const simple = [
      'not u.banned',
      'not "banned" in u.roles',
      'not r.owner matches Admin',
      'not r.level < u.level',
      'not x in [1, 2]',
    ];
    for (const body of simple)
      expect([body, policyFeatures(`allow(u, _, r) if ${body} and u.a = 1;`)]).toMatchObject([
        body,
        { negation: true, compoundNegation: false },
      ]);
    const compound = ['not (r.a = 1 and u.b = 2)', 'not is_admin(u)', 'not (r.a = 1)'];
    for (const body of compound)
      expect([body, policyFeatures(`allow(u, _, r) if ${body};`)]).toMatchObject([body, { compoundNegation: true }]);
  });

  it('finds paths bound to a variable or passed to a rule', () => {
    const { aliased } = policyFeatures(`
      has_relation(org: Organization, "organization", expense: Expense) if expense.organization = org;
      has_relation(org: Organization, "parent", team: Team) if org = team.parent;
      allow(u, "x", r) if has_role(u, "admin", r.project.owner) and r.level = u.level;`);
    expect([...aliased].sort()).toEqual(['organization', 'owner', 'parent']);
  });

  it('finds bare conditions (`if user.active`), which fail in the engine on non-booleans', () => {
    expect(policyFeatures('allow(u, _, _) if u.active;').bareConditions).toBe(true);
    expect(policyFeatures('allow(u, _, _) if u.a = 1 and not u.banned;').bareConditions).toBe(true);
    expect(policyFeatures('allow(u, _, _) if u.active = true and u.a in [1];').bareConditions).toBe(false);
    expect(policyFeatures('allow(_, _, _) if true;').bareConditions).toBe(false);
  });

  it('finds a comparison of an attribute with itself, which the partial evaluator drops', () => {
    expect(policyFeatures('allow(_, _, d) if d.rank >= d.rank;').reflexive).toBe('d.rank >= d.rank');
    expect(policyFeatures('allow(_, _, d) if d.a.b = d.a.b and d.x = 1;').reflexive).toBe('d.a.b = d.a.b');
    expect(policyFeatures('allow(_, _, d) if d.rank<d.rank;').reflexive).toBe('d.rank<d.rank');
    for (const policy of [
      'allow(_, _, d) if d.rank >= d.ranking;',
      'allow(_, _, d) if d.a = d.a.b;',
      'allow(_, _, d) if xd.a = d.a;',
      'allow(_, _, d) if d.a = d.a();',
      'allow(_, _, d) if d.a = "d.a = d.a";',
      'allow(_, _, d) if d.a = e.a; # d.a = d.a',
    ]) {
      expect(policyFeatures(policy).reflexive).toBeUndefined();
    }
  });

  it('finds allow_field rules that test their field after a condition that reads something', () => {
    const late = (text: string) => policyFeatures(text).lateFieldTests;
    // In the head, or first, against constants: the engine drops the rule for another field before any lookup.
    for (const text of [
      'allow_field(u, "read", r: Doc, "title") if u.id = r.ownerId;',
      'allow_field(_: User, "read", _: Doc, _field);',
      'allow_field(u, "read", r, field) if field in ["id", "title"] and allow(u, "read", r);',
      'allow_field(u, "read", r, f: String) if f = "id" and u.id = r.ownerId;',
      'allow_field(u, "read", r, f) if "id" == f;',
      'allow_field(u, "read", r, 1);',
      'allow(u, "read", r) if allow_field(u, "read", r, "title"); # allow_field(u, a, r, f) if u.x and f = 1',
    ]) {
      expect([text, late(text)]).toEqual([text, false]);
    }
    for (const text of [
      'allow_field(u, "read", r, field) if u.id = r.ownerId and field = "title";',
      'allow_field(u, "read", r, field) if field in r.visible;',
      'allow_field(u, "read", r, field) if field = r.title;',
      'allow_field(u, "read", r, field) if field in ["id"] or u.admin;',
      'allow_field(u, "read", r, field) if allowed_field(u, r, field);',
      'allow_field(u, "read", r, field) if field in ["id", r.extra];',
      'allow_field(u, "read", r: Doc{owner: "x"}, "title");',
    ]) {
      expect([text, late(text)]).toEqual([text, true]);
    }
  });

  it('finds rules that test their action after a condition that reads something, following rule calls', () => {
    const late = (text: string) => policyFeatures(text).lateActionTests;
    // In the head, first against constants, or passed first thing to rules that do: no lookup before the test.
    for (const text of [
      'allow(u, "read", r) if r.ok;',
      'allow(_, _, _) if false;',
      'allow(u, a, r) if a in ["read", "list"] and r.ok;',
      'allow(u, a, r) if "read" = a and r.ok;',
      'allow(u, a, r) if has_permission(u, a, r); has_permission(u, "read", r) if r.ok;',
      'allow(actor, action, resource) if has_permission(actor, action, resource); resource Doc { permissions = ["read"]; roles = ["member"]; "read" if "member"; }',
      'allow(u, "read", r: Doc{ok: true});',
      'allow_field(u, "read", r, f) if r.ok;',
    ]) {
      expect([text, late(text)]).toEqual([text, { allow: false, allow_field: false }]);
    }
    for (const text of [
      'allow(u, a, r) if r.boom and a = "write";',
      'allow(u, a, r) if has_permission(u, a, r); has_permission(u, x, r) if r.ok and x = "read";',
      'allow(u, a, r) if has_permission(u, a, r) and r.ok and a = "w";',
      'allow(u, a, r) if g(r.owner, a); g(_, "x");',
      'allow(u: User{active: true}, "read", r);',
      'allow(u, a, r) if g(u, a, r); g(u, a, r) if g(u, a, r);',
      'allow(u, a, r) if a in r.actions;',
    ]) {
      expect([text, late(text)]).toEqual([text, { allow: true, allow_field: false }]);
    }
    expect(late('allow_field(u, a, r, f) if r.ok and a = "read";')).toEqual({ allow: false, allow_field: true });
  });

  it('finds a condition that fails on constants alone after another condition', () => {
    const dead = (text: string) => policyFeatures(text).deadCondition;
    expect(dead('allow(_u, "read", r) if r.boom and 1 = 2;')).toBe('1 = 2');
    expect(dead('allow(_u, "read", r) if r.boom and false;')).toBe('false');
    expect(dead('allow(_u, a, r) if r.boom and a = "p" and a = "q";')).toBe('a = "q"');
    expect(dead('allow(u, a, r) if x = "a" and r.ok and "b" = x;')).toBe('"b" = x');
    // First, or not a contradiction, or inside a branch of `or` (whose other branch keeps the lookups before it).
    for (const text of [
      'allow(_, _, _) if false;',
      'allow(u, a, r) if 1 = 2 and r.ok;',
      'allow(u, a, r) if a = "p" and r.ok and a = "p";',
      'allow(u, a, r) if x = "a" and (r.ok or x = "b");',
      'allow(u, a, r) if r.ok and a = "x;y"; # r.ok and false',
      'allow(u, a, r) if r.ok = false and r.flag = 1;',
    ]) {
      expect([text, dead(text)]).toEqual([text, undefined]);
    }
  });
});
