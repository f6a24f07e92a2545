/** The benchmark's domain objects, shaped like the expenses app's. */
export class Membership {
  constructor(
    readonly orgId: number,
    readonly role: 'member' | 'admin',
  ) {}
}

export class User {
  constructor(
    readonly id: number,
    readonly memberships: Membership[],
  ) {}
}

export class Organization {
  constructor(readonly id: number) {}
}

export class Expense {
  constructor(
    readonly id: number,
    readonly organization: Organization,
    readonly amount: number,
  ) {}
}

export const CLASSES = [User, Organization, Expense, Membership];

const acme = new Organization(1);
/** A member of Acme (may read, not approve) and an admin (may do both). */
export const MEMBER = new User(1, [new Membership(1, 'member')]);
export const ADMIN = new User(2, [new Membership(1, 'admin')]);
export const EXPENSE = new Expense(1, acme, 120);
export const POLICY_DIR = new URL('../../policy', import.meta.url).pathname;

/** What the benchmark's routes answer: a small JSON body. */
export const body = (expense: Expense) => ({ id: expense.id, amount: expense.amount });
/** The benchmark's lookup of an expense by route parameter, asynchronous like a repository's. */
export const findExpense = async (id: string) => (Number(id) === EXPENSE.id ? EXPENSE : undefined);
