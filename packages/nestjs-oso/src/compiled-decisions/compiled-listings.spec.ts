import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { jest } from '@jest/globals';
import { OsoService } from '../authorization/oso.service.js';
import type { OsoModuleOptions } from '../module/oso-module-options.interface.js';
import { createOsoEngine } from '../policy/policy-loader.js';

class Person {
  constructor(readonly name: string) {}
}
class Doc {
  constructor(
    readonly ok: unknown,
    readonly tags: unknown[] = [],
  ) {}
  get boom(): boolean {
    throw new Error('boom');
  }
}
class SecretDoc extends Doc {}

async function service(policy: string, classes: OsoModuleOptions['classes'] = [Person, Doc]): Promise<OsoService> {
  const policyDir = await mkdtemp(join(tmpdir(), 'nestjs-oso-listings-'));
  await writeFile(join(policyDir, 'policy.polar'), policy);
  const options: OsoModuleOptions = { policyDir, classes, warmUp: false };
  return new OsoService(await createOsoEngine(options), options);
}

/** The engine's answer, in order, or 'error'. */
const settle = (listing: Promise<Set<unknown>>) =>
  listing.then(
    (set) => [...set],
    () => 'error',
  );

/** Lists through the module twice (the second is compiled when it can be) and through the engine. */
async function both(oso: OsoService, list: (s: OsoService | OsoService['engine']) => Promise<Set<unknown>>) {
  const engine = await settle(list(oso.engine));
  await settle(list(oso)).catch(() => undefined);
  return { engine, module: await settle(list(oso)) };
}

describe('compiled listings (authorizedActions, authorizedFields)', () => {
  beforeAll(() => Logger.overrideLogger(false));
  const ada = new Person('ada');

  it.each([
    ['rule order', 'allow(_u, "b", _r: Doc); allow(_u, "a", _r: Doc);', new Doc(true)],
    ['specificity order', 'allow(_u, "x", _r: Doc); allow(_u, "y", _r: SecretDoc);', new SecretDoc(true)],
    [
      'a failure after an allowing rule',
      'allow(_u, "read", r: Doc) if r.ok; allow(_u, "read", r: Doc) if r.boom;',
      new Doc(true),
    ],
    ['a failing branch of `or`', 'allow(_u, "read", r: Doc) if r.ok = true or r.boom;', new Doc(true)],
    [
      'a failure in a later item',
      'allow(_u, "read", r: Doc) if t in r.tags and t.x = 1;',
      new Doc(true, [{ x: 1 }, 2]),
    ],
    ['a wildcard after a failure', 'allow(_u, "read", r: Doc) if r.boom; allow(_u, _a, _r);', new Doc(true)],
    ['a wildcard before more rules', 'allow(_u, _a, _r: Doc); allow(_u, "read", r: Doc) if r.ok;', new Doc(true)],
    ['a specializer before none', 'allow(_u, "x", _r); allow(_u, "y", _r: Doc);', new Doc(true)],
    [
      'a union before a class',
      'actor Person {} resource Doc { permissions = ["x"]; } allow(_u: Actor, "x", _r: Doc); allow(_u: Person, "y", _r: Doc);',
      new Doc(true),
    ],
    [
      'a class before a union',
      'actor Person {} resource Doc { permissions = ["x"]; } allow(_u: Person, "x", _r: Doc); allow(_u: Actor, "y", _r: Doc);',
      new Doc(true),
    ],
    ['inner rule specializers', 'allow(_u, a, r: Doc) if g(a, r); g("x", _r); g("y", _r: Doc);', new Doc(true)],
    ['built-in specializers', 'allow(_u, a, r: Doc) if g(a, r.ok); g("x", _r); g("y", _r: Boolean);', new Doc(true)],
    [
      'dictionary specializers',
      'allow(_u, a, r: Doc) if g(a, r.tags); g("x", _r: List); g("y", _r: List) if true; g("z", _r: Dictionary);',
      new Doc(true, []),
    ],
    ['number specializers', 'allow(_u, a, r: Doc) if g(a, r.ok); g("x", _r: Float); g("y", _r: Integer);', new Doc(1)],
    [
      'number specializers (float)',
      'allow(_u, a, r: Doc) if g(a, r.ok); g("x", _r: Float); g("y", _r: Integer);',
      new Doc(1.5),
    ],
    ['pattern fields', 'allow(_u, "x", _r: Doc); allow(_u, "y", _r: Doc{ok: true});', new Doc(true)],
    ['actions from a list', 'allow(_u, a, r: Doc) if a in ["z", "y"] and r.ok;', new Doc(true)],
  ])('authorizedActions: %s, as the engine answers', async (_name, policy, doc) => {
    const oso = await service(policy, [Person, Doc, SecretDoc].slice(0, doc instanceof SecretDoc ? 3 : 2));
    for (const allowWildcard of [false, true]) {
      const { engine, module } = await both(oso, (s) => s.authorizedActions(ada, doc, { allowWildcard }));
      if (engine === 'error') expect(module).toBe('error');
      else expect(module).toEqual(engine);
    }
  });

  // The partial evaluator drops a way that fails on constants alone (`1 = 2`, `false`, an action equal to two
  // constants), with the lookups the engine makes before it; where such a lookup fails, the engine fails. Such a
  // policy (`PolicyFeatures.deadCondition`) is left to the engine.
  it.each([
    [
      'a failure before a contradiction',
      'allow(_u, "read", r: Doc) if r.boom and 1 = 2; allow(_u, "x", _r: Doc);',
      new Doc(true),
    ],
    [
      'a failure before false',
      'allow(_u, "read", r: Doc) if r.boom and false; allow(_u, "x", _r: Doc);',
      new Doc(true),
    ],
    [
      'a failure before two actions',
      'allow(_u, a, r: Doc) if r.boom and a = "p" and a = "q"; allow(_u, "x", _r: Doc);',
      new Doc(true),
    ],
  ])('authorizedActions: %s, as the engine answers', async (_name, policy, doc) => {
    const oso = await service(policy);
    const { engine, module } = await both(oso, (s) => s.authorizedActions(ada, doc));
    expect(module).toEqual(engine);
    expect(engine).toBe('error');
  });

  // With the action fixed, oso's partial evaluation drops the rule at `a = "write"`, so the lookup before it is never
  // made; the engine makes it and fails. The decision stays compiled, guarded by the ways of the other actions
  // (`guardActionDecision`): where their lookups fail, the engine decides.
  it('isAllowed: a failure before a test of the action, as the engine answers, compiled', async () => {
    /** A document whose `boom` fails unless it is calm. */
    class Gadget {
      constructor(
        readonly ok: unknown,
        readonly calm: boolean,
      ) {}
      get boom(): boolean {
        if (!this.calm) throw new Error('boom');
        return true;
      }
    }
    const oso = await service(
      'allow(_u, a, r: Gadget) if r.boom and a = "write"; allow(_u, "read", r: Gadget) if r.ok = true;',
      [Person, Gadget],
    );
    const cases: Array<[string, Gadget]> = [
      ['read', new Gadget(true, false)],
      ['read', new Gadget(true, true)],
      ['read', new Gadget(false, true)],
      ['write', new Gadget(false, true)],
      ['write', new Gadget(false, false)],
    ];
    for (const [action, doc] of cases) {
      const engine = await oso.engine.isAllowed(ada, action, doc).then(String, () => 'error');
      await oso.isAllowed(ada, action, doc).catch(() => undefined); // compiles the decision
      const module = await oso.isAllowed(ada, action, doc).then(String, () => 'error');
      expect([action, doc, module]).toEqual([action, doc, engine]);
    }
    const read = oso.compiledDecisions().find((d) => d.action === 'read');
    expect(read).toMatchObject({ status: 'compiled' });
    expect(read!.compiledDecisions).toBeGreaterThan(0);
    expect(Object.keys(read!.handedToEngine).join()).toMatch(/threw/);
  });

  it('authorizedActions is compiled, in the engine order, without asking the engine', async () => {
    const oso = await service('allow(_u, "x", r: Doc) if r.ok; allow(_u, "y", _r: Doc); allow(_u, "x", _r: Doc);');
    const engine = jest.spyOn(oso.engine, 'authorizedActions');
    expect([...(await oso.authorizedActions(ada, new Doc(true)))]).toEqual(['x', 'y']);
    expect([...(await oso.authorizedActions(ada, new Doc(false)))]).toEqual(['y', 'x']);
    expect(engine).not.toHaveBeenCalled();
  });

  it('leave listings to the engine where it sorts rules (subclasses, specializers with fields)', async () => {
    const oso = await service('allow(_u, "x", _r: Doc); allow(_u, "y", _r: SecretDoc);', [Person, Doc, SecretDoc]);
    const engine = jest.spyOn(oso.engine, 'authorizedActions');
    expect([...(await oso.authorizedActions(ada, new SecretDoc(true)))]).toEqual(['y', 'x']);
    expect(engine).toHaveBeenCalledTimes(1);
  });

  it('authorizedFields: wildcards, order and failures as the engine answers', async () => {
    const oso = await service(`
      allow_field(_u, "read", _r: Doc, "b");
      allow_field(_u, "read", r: Doc, f) if f in ["a", "b"] and r.ok;
      allow_field(_u, "edit", r: Doc, _f) if r.ok;
      allow_field(_u, "fail", r: Doc, "x") if r.boom;`);
    for (const doc of [new Doc(true), new Doc(false)])
      for (const action of ['read', 'edit', 'fail', 'none'])
        for (const allowWildcard of [false, true]) {
          const { engine, module } = await both(oso, (s) => s.authorizedFields(ada, action, doc, { allowWildcard }));
          if (engine === 'error') expect(module).toBe('error');
          else expect(module).toEqual(engine);
        }
    expect([...(await oso.authorizedFields(ada, 'read', new Doc(true)))]).toEqual(['b', 'a']);
  });
});
