import { Oso } from './oso-library.js';

/**
 * A small RBAC policy in the style most apps write (resource blocks, roles through a relation), checked against
 * a scratch engine. The Polar VM is one WebAssembly module per process, so what V8 optimizes here serves every
 * engine of the process, and the app's own first requests do not pay for the tier-up.
 */
const WARM_UP_POLICY = `
actor WarmUpUser {}
resource WarmUpOrg {
  roles = ["member", "admin"];
  permissions = ["read", "manage"];
  "read" if "member";
  "manage" if "admin";
  "member" if "admin";
}
resource WarmUpDoc {
  permissions = ["read", "edit"];
  relations = { org: WarmUpOrg };
  "read" if "member" on "org";
  "edit" if "admin" on "org";
}
has_role(user: WarmUpUser, name: String, org: WarmUpOrg) if
  role in user.roles and role.org = org.id and role.name = name;
has_relation(org: WarmUpOrg, "org", doc: WarmUpDoc) if doc.org = org;
allow(actor, action, resource) if has_permission(actor, action, resource);
`;

class WarmUpUser {
  constructor(readonly roles: Array<{ org: number; name: string }>) {}
}
class WarmUpOrg {
  constructor(readonly id: number) {}
}
class WarmUpDoc {
  constructor(readonly org: WarmUpOrg) {}
}

let warmedUp: Promise<void> | undefined;

/**
 * Runs `checks` decisions (allow and deny, with an action list and a relation) on a scratch engine, once per
 * process: later calls return the first call's promise.
 */
export function warmUpPolarEngine(checks = 150): Promise<void> {
  return (warmedUp ??= (async () => {
    const oso = new Oso();
    oso.registerClass(WarmUpUser);
    oso.registerClass(WarmUpOrg);
    oso.registerClass(WarmUpDoc);
    await oso.loadStr(WARM_UP_POLICY, 'nestjs-oso-warm-up.polar');
    const org = new WarmUpOrg(1);
    for (let i = 0; i < checks; i++) {
      const user = new WarmUpUser([{ org: 1 + (i % 2), name: i % 3 ? 'member' : 'admin' }]);
      await oso.isAllowed(user, i % 2 ? 'read' : 'edit', new WarmUpDoc(org));
    }
    await oso.authorizedActions(new WarmUpUser([{ org: 1, name: 'admin' }]), new WarmUpDoc(org));
    oso.free();
  })());
}
