/** The classes the e2e policies see. */
export class Membership {
  constructor(
    readonly orgId: number,
    readonly role: 'member' | 'admin',
  ) {}
}

export class User {
  constructor(
    readonly id: number,
    readonly name: string,
    readonly memberships: Membership[] = [],
    readonly auditor = false,
  ) {}
}

export class Organization {
  constructor(readonly id: number) {}
}

export class Expense {
  constructor(
    readonly id: number,
    readonly organization: Organization,
    readonly submitterId: number,
    readonly amount: number,
    readonly description: string,
    readonly approverNotes: string,
  ) {}

  /** The key of the `organization` relation, for data filtering. */
  get organizationId(): number {
    return this.organization.id;
  }
}

const acme = new Organization(1);
const globex = new Organization(2);

/** alice administers Acme, bob is a member of Acme, carol of Globex; dave audits and belongs nowhere. */
export const USERS: Record<string, User> = {
  alice: new User(1, 'alice', [new Membership(1, 'admin')]),
  bob: new User(2, 'bob', [new Membership(1, 'member')]),
  carol: new User(3, 'carol', [new Membership(2, 'member')]),
  dave: new User(4, 'dave', [], true),
};

/** Expense 1: Acme, submitted by bob. Expense 2: Globex, submitted by carol. Expense 3: Acme, submitted by alice. */
export const EXPENSES = new Map<number, Expense>([
  [1, new Expense(1, acme, 2, 120, 'train tickets', 'check the receipt')],
  [2, new Expense(2, globex, 3, 80, 'lunch', 'fine')],
  [3, new Expense(3, acme, 1, 999, 'laptop', 'over budget')],
]);

export const POLAR_CLASSES = [User, Organization, Expense, { class: Membership, name: 'Membership' }];

/** The user named by the `x-user` header, if any; an unknown name is an actor the policy does not know. */
export function userFromHeader(headers: Record<string, unknown>): unknown {
  const name = headers['x-user'];
  if (typeof name !== 'string') return undefined;
  return USERS[name] ?? { name };
}
