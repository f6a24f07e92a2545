import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InternalServerErrorException, Logger, NotFoundException } from '@nestjs/common';
import { jest } from '@jest/globals';
import { Oso, Relation } from 'oso';
import { OsoService } from '../authorization/oso.service.js';
import type { OsoModuleOptions } from '../module/oso-module-options.interface.js';
import { createOsoEngine } from '../policy/policy-loader.js';
import { Expense, Membership, Organization, User } from '../../test/fixtures/domain.js';
import { policyFixture } from '../../test/fixtures/policies.js';

/** A class whose static method a policy calls: its answer may change between requests. */
class Config {
  static limit(): number {
    return 200;
  }
}
const CLASSES = [User, Organization, Expense, { class: Membership, name: 'Membership' }, Config];
const TEST_POLICIES = policyFixture('expenses');
const acme = new Organization(1);
const alice = new User(1, 'alice', [new Membership(1, 'admin')]);
const bob = new User(2, 'bob', [new Membership(1, 'member')]);
const carol = new User(3, 'carol', [new Membership(2, 'member')]);
const expense = new Expense(1, acme, 2, 120, 'train', 'notes');

async function service(policy: string | { dir: string }, options: Partial<OsoModuleOptions> = {}): Promise<OsoService> {
  let policyDir: string;
  if (typeof policy === 'string') {
    policyDir = await mkdtemp(join(tmpdir(), 'nestjs-oso-compiled-'));
    await writeFile(join(policyDir, 'policy.polar'), policy);
  } else policyDir = policy.dir;
  const moduleOptions: OsoModuleOptions = { policyDir, classes: CLASSES, ...options };
  return new OsoService(await createOsoEngine(moduleOptions), moduleOptions);
}

function triple(oso: OsoService, action: string) {
  return oso.compiledDecisions().find((d) => d.action === action);
}

describe('compiled decisions in OsoService', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('compile the RBAC policy of the e2e app and answer as the engine does', async () => {
    const oso = await service({ dir: TEST_POLICIES });
    for (const user of [alice, bob, carol]) {
      for (const action of ['read', 'approve', 'PUT', 'delete']) {
        expect(await oso.isAllowed(user, action, expense)).toBe(await oso.engine.isAllowed(user, action, expense));
      }
    }
    const read = triple(oso, 'read')!;
    expect(read).toMatchObject({
      actor: 'User',
      resource: 'Expense',
      status: 'compiled',
      compiledDecisions: 3,
      engineDecisions: 0,
    });
    expect(read.rules!.length).toBeGreaterThan(1);
    expect(read.rules!.join(' ')).toContain('resource.organization matches Organization');
  });

  it('are listed per (actor class, action, resource class) with how many decisions took each path', async () => {
    const oso = await service({ dir: TEST_POLICIES });
    await oso.isAllowed(bob, 'read', expense);
    await oso.isAllowed(bob, 'read', new Expense(9, acme, 1, 1, '', ''));
    await oso.isAllowed(null, 'GET', { path: '/' });
    expect(
      oso
        .compiledDecisions()
        .map(({ actor, action, resource, compiledDecisions }) => ({ actor, action, resource, compiledDecisions })),
    ).toEqual([
      { actor: 'User', action: 'read', resource: 'Expense', compiledDecisions: 2 },
      { actor: 'nil', action: 'GET', resource: 'Object', compiledDecisions: 1 },
    ]);
  });

  it('hand a decision to the engine when a lookup fails, so an engine error still answers 500', async () => {
    const oso = await service({ dir: TEST_POLICIES });
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      // expense 3 makes the `explode` rule read an attribute that does not exist.
      await expect(oso.authorize(alice, 'explode', new Expense(3, acme, 1, 1, '', ''))).rejects.toBeInstanceOf(
        InternalServerErrorException,
      );
      await expect(oso.authorize(carol, 'explode', expense)).rejects.toBeInstanceOf(NotFoundException);
    } finally {
      logged.mockRestore();
    }
    expect(triple(oso, 'explode')).toMatchObject({
      status: 'compiled',
      compiledDecisions: 1,
      engineDecisions: 1,
      handedToEngine: { 'an attribute lookup that fails (the engine answers with an error)': 1 },
    });
  });

  it("are off with `compile: false`: every decision is the engine's", async () => {
    const oso = await service({ dir: TEST_POLICIES }, { compile: false });
    expect(await oso.isAllowed(bob, 'read', expense)).toBe(true);
    expect(await oso.isAllowed(carol, 'read', expense)).toBe(false);
    expect(oso.compiledDecisions()).toEqual([]);
  });

  it('start over with a new engine (a policy reload), whose policy is in force at once', async () => {
    const oso = await service('allow(_: User, "read", _: Expense);');
    expect(await oso.isAllowed(carol, 'read', expense)).toBe(true);
    oso.replaceEngine(await createOsoEngine({ policyDir: TEST_POLICIES, classes: CLASSES }));
    expect(oso.compiledDecisions()).toEqual([]);
    expect(await oso.isAllowed(carol, 'read', expense)).toBe(false);
    expect(triple(oso, 'read')).toMatchObject({ status: 'compiled', compiledDecisions: 1 });
  });

  it('compile a triple once, even when its first decisions arrive together', async () => {
    const oso = await service({ dir: TEST_POLICIES });
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => oso.isAllowed(i % 2 ? bob : carol, 'read', expense)),
    );
    expect(answers).toEqual(Array.from({ length: 20 }, (_, i) => i % 2 === 1));
    expect(oso.compiledDecisions()).toHaveLength(1);
    expect(triple(oso, 'read')).toMatchObject({ status: 'compiled', compiledDecisions: 20 });
  });

  it('order a nil attribute as the engine does: nil < 2 is true, as JavaScript compares null with 0', async () => {
    const oso = await service(`
      allow(_: User, "under", e: Expense) if e.amount < 2;
      allow(_: User, "over", e: Expense) if e.amount >= 0;
      allow(_: User, "negative", e: Expense) if e.amount < -1;`);
    const nil = new Expense(9, acme, 1, null as unknown as number, '', '');
    for (const action of ['under', 'over', 'negative']) {
      expect([action, await oso.isAllowed(alice, action, nil)]).toEqual([
        action,
        await oso.engine.isAllowed(alice, action, nil),
      ]);
    }
    expect(await oso.isAllowed(alice, 'under', nil)).toBe(true);
    expect(await oso.isAllowed(alice, 'negative', nil)).toBe(false);
    expect(triple(oso, 'under')).toMatchObject({ status: 'compiled', engineDecisions: 0 });
  });

  it('never allow when no rule can apply, as the engine', async () => {
    const oso = await service({ dir: TEST_POLICIES });
    expect(await oso.isAllowed(alice, 'fly', expense)).toBe(false);
    expect(triple(oso, 'fly')).toMatchObject({ status: 'compiled', rules: [] });
  });

  it('read live attributes: a change to an object shows in the next decision', async () => {
    const oso = await service({ dir: TEST_POLICIES });
    const dave = new User(4, 'dave', []);
    expect(await oso.isAllowed(dave, 'read', expense)).toBe(false);
    dave.memberships.push(new Membership(1, 'member'));
    expect(await oso.isAllowed(dave, 'read', expense)).toBe(true);
    expect(triple(oso, 'read')).toMatchObject({ compiledDecisions: 2, engineDecisions: 0 });
  });

  it('hand async attributes (Promises) to the engine, which awaits them', async () => {
    const oso = await service('allow(u: User, "read", e: Expense) if e.submitterId = u.id;');
    const lazy = Object.assign(new Expense(5, acme, 0, 1, '', ''), { submitterId: Promise.resolve(2) });
    expect(await oso.isAllowed(bob, 'read', lazy)).toBe(true);
    expect(triple(oso, 'read')!.handedToEngine).toEqual({
      'a Promise (async attribute), which only the engine awaits': 1,
    });
  });

  it("fetch relations of data filtering through the adapter with the engine's query, never reading a loaded one", async () => {
    const organization = new Relation('one', 'Organization', 'orgId', 'id');
    const filters: unknown[] = [];
    let rows: Organization[] = [acme];
    const oso = await service('allow(u: User, "read", e: Expense) if e.organization.id = 1 and u.id = 1;', {
      classes: [User, Organization, { class: Expense, fields: { organization } }],
      dataFiltering: {
        buildQuery: (filter) => (filters.push(filter), filter),
        executeQuery: async () => rows,
      },
    });
    // A forged loaded relation and key: the adapter's answer decides, as in the engine.
    const forged = Object.assign(new Expense(1, new Organization(2), 2, 120, '', ''), { orgId: 7 });
    expect(await oso.isAllowed(alice, 'read', forged)).toBe(true);
    expect(triple(oso, 'read')).toMatchObject({ status: 'compiled', compiledDecisions: 1, engineDecisions: 0 });
    const first = filters[0] as { model: string; conditions: unknown };
    expect(first.model).toBe('Organization');
    expect(first.conditions).toEqual([
      [{ lhs: { typeName: 'Organization', fieldName: 'id' }, cmp: 'Eq', rhs: { value: 7 } }],
    ]);
    rows = [new Organization(2)];
    expect(await oso.isAllowed(alice, 'read', forged)).toBe(false);
    // No row (or several): the engine fails, so the decision is its own.
    rows = [];
    await expect(oso.isAllowed(alice, 'read', forged)).rejects.toThrow();
    expect(triple(oso, 'read')).toMatchObject({
      compiledDecisions: 2,
      engineDecisions: 1,
      handedToEngine: { 'a data filtering relation of kind "one" that did not find exactly one object': 1 },
    });
  });

  it.each([
    ['cut', 'allow(u: User, "read", _: Expense) if cut and u.id = 1;', 'the policy uses `cut`'],
    [
      'forall',
      'allow(u: User, "read", _: Expense) if forall(m in u.memberships, m.role = "admin");',
      'the policy uses `forall`',
    ],
    [
      'a negated group',
      'allow(u: User, "read", e: Expense) if not (e.amount > 100 and u.id = 1);',
      'the policy negates a group or a rule call',
    ],
    [
      'a comparison of an attribute with itself',
      'allow(_: User, "read", e: Expense) if e.amount >= e.amount;',
      'compares an attribute with itself',
    ],
    ['a method call', 'allow(u: User, "read", _: Expense) if u.name.startsWith("a");', 'partial evaluation failed'],
    ['arithmetic', 'allow(u: User, "read", _: Expense) if u.id + 1 = 2;', 'the Polar operation Add'],
    [
      'a call into the application',
      'allow(_: User, "read", e: Expense) if e.amount < Config.limit();',
      'the policy calls into the application',
    ],
    [
      'unbounded recursion',
      'allow(u: User, "read", e: Expense) if owns(u, e); owns(u, x) if x.submitterId = u.id; owns(u, x) if owns(u, x.parent);',
      // Whichever limit comes first: on a loaded machine the 2-second budget can run out before the 64th result.
      /more than 64 alternatives|partial evaluation took over 2000 ms/,
    ],
  ])('leave a policy with %s to the engine, saying why', async (_feature, policy, reason: string | RegExp) => {
    const oso = await service(policy);
    const outcome = (decision: Promise<boolean>) => decision.catch(() => 'error');
    expect(await outcome(oso.isAllowed(bob, 'read', expense))).toBe(
      await outcome(oso.engine.isAllowed(bob, 'read', expense)),
    );
    expect(triple(oso, 'read')).toMatchObject({ status: 'engine', compiledDecisions: 0, engineDecisions: 1 });
    expect(triple(oso, 'read')!.reason).toMatch(reason);
  });

  it('raise as the engine does on a resource without the attribute it compares with itself', async () => {
    const oso = await service('allow(_: User, "read", e: Expense) if e.amount = e.amount;');
    const partial = Object.assign(Object.create(Expense.prototype) as Expense, { id: 9 });
    await expect(oso.engine.isAllowed(bob, 'read', partial)).rejects.toThrow();
    await expect(oso.isAllowed(bob, 'read', partial)).rejects.toThrow();
    expect(await oso.isAllowed(bob, 'read', expense)).toBe(true);
  });

  it('leave an engine whose policy text is unknown to itself (built without createOsoEngine)', async () => {
    const engine = new Oso();
    engine.registerClass(User);
    engine.registerClass(Expense);
    await engine.loadStr('allow(_: User, "read", _: Expense);');
    const oso = new OsoService(engine, { policyDir: [] });
    expect(await oso.isAllowed(alice, 'read', expense)).toBe(true);
    expect(triple(oso, 'read')!.reason).toContain('the policy text is unknown');
  });

  it('log once, at debug level, how each triple is decided', async () => {
    const debug = jest.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined);
    try {
      const oso = await service('allow(u: User, "read", _: Expense) if cut and u.id = 1;');
      for (let i = 0; i < 3; i++) await oso.isAllowed(alice, 'read', expense);
      const messages = debug.mock.calls.map(([message]) => String(message));
      expect(messages.filter((m) => m.includes('allow(User, "read", Expense)'))).toEqual([
        'allow(User, "read", Expense) is decided by the engine: the policy uses `cut`, which partial evaluation ignores',
      ]);
    } finally {
      debug.mockRestore();
    }
  });
});

describe('compiled allow_field decisions in OsoService', () => {
  beforeAll(() => Logger.overrideLogger(false));

  const FIELDS = ['id', 'amount', 'description', 'approverNotes', 'organization'];

  it('compile one predicate per (actor class, action, resource class, field) that answers as the engine does', async () => {
    const oso = await service({ dir: TEST_POLICIES });
    const queries = jest.spyOn(oso.engine, 'query');
    for (const user of [alice, bob, carol]) {
      for (const field of FIELDS) {
        const engine = await oso.engine.queryRuleOnce('allow_field', user, 'read', expense, field);
        const denied = oso.authorizeField(user, 'read', expense, field).then(
          () => false,
          () => true,
        );
        expect([user.name, field, !(await denied)]).toEqual([user.name, field, engine]);
      }
    }
    // Only the engine's own answers above: every authorizeField was compiled.
    expect(queries).toHaveBeenCalledTimes(15);
    queries.mockRestore();
    const fields = oso.compiledDecisions().filter((d) => d.rule === 'allow_field');
    expect(fields).toEqual(
      FIELDS.map((field) =>
        expect.objectContaining({
          actor: 'User',
          action: 'read',
          resource: 'Expense',
          field,
          status: 'compiled',
          compiledDecisions: 3,
        }),
      ),
    );
    // The field is fixed: the ways to read `approverNotes` are those of `allow(user, "approve", expense)`.
    expect(fields.find((d) => d.field === 'organization')!.rules).toEqual([]);
    expect(fields.find((d) => d.field === 'approverNotes')!.rules!.join(' | ')).toContain('"admin"');
  });

  it('read what the engine reads before it tests the field: a failing lookup on the way of another field goes to the engine', async () => {
    const oso = await service(`
      allow_field(u: User, "read", e: Expense, field) if e.noSuchAttribute = u.id and field = "approverNotes";
      allow_field(_: User, "read", _: Expense, "amount");`);
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      // The engine reads the missing attribute before it compares the field, whichever field is asked.
      await expect(oso.engine.queryRuleOnce('allow_field', bob, 'read', expense, 'amount')).rejects.toThrow();
      await expect(oso.authorizeField(bob, 'read', expense, 'amount')).rejects.toBeInstanceOf(
        InternalServerErrorException,
      );
      await expect(oso.authorizeField(bob, 'read', expense, 'id')).rejects.toBeInstanceOf(InternalServerErrorException);
    } finally {
      logged.mockRestore();
    }
    // The field is tested after a lookup: every field's check reads what the engine may read first.
    const handed = { 'an attribute lookup that fails (the engine answers with an error)': 1 };
    expect(oso.compiledDecisions()).toEqual([
      expect.objectContaining({ field: 'amount', status: 'compiled', engineDecisions: 1, handedToEngine: handed }),
      expect.objectContaining({ field: 'id', status: 'compiled', engineDecisions: 1, handedToEngine: handed }),
    ]);
  });

  it('allow every field through a wildcard, and no field without a rule', async () => {
    const oso = await service(`
      allow_field(u: User, "read", _: Expense, _field) if u.name = "alice";
      allow_field(_: User, "read", _: Expense, field) if field in ["id", "amount"];`);
    for (const field of ['id', 'amount', 'approverNotes', 'anything']) {
      await expect(oso.authorizeField(alice, 'read', expense, field)).resolves.toBeUndefined();
    }
    expect(oso.isFieldAllowed(bob, 'read', expense, 'amount')).toBe(true);
    expect(oso.isFieldAllowed(bob, 'read', expense, 'approverNotes')).toBe(false);
    // No rule for the action: compiled too, to "never allowed".
    expect(await oso.isFieldAllowed(bob, 'write', expense, 'amount')).toBe(false);
    expect(await oso.isFieldAllowed(bob, 'write', expense, 'id')).toBe(false);
  });

  it('leave a field that is not a primitive to the engine', async () => {
    const oso = await service('allow_field(_: User, "read", _: Expense, _field);');
    expect(await oso.isFieldAllowed(bob, 'read', expense, 'amount')).toBe(true);
    expect(await oso.isFieldAllowed(bob, 'read', expense, ['amount'])).toBe(true);
    expect(oso.compiledDecisions()).toEqual([
      expect.objectContaining({ field: 'amount', compiledDecisions: 1, engineDecisions: 0 }),
    ]);
  });
});
