/**
 * What the code blocks of the README and docs/ take from the surrounding app: the app's own classes and values,
 * which each snippet would import from its own files. Declared globally for the check only (code-blocks.spec.ts);
 * a block that declares one of these names itself uses its own.
 */
import type { CanActivate } from '@nestjs/common';

declare global {
  class User {
    constructor(id: number, name?: string);
    readonly id: number;
    readonly name?: string;
  }
  class Organization {
    readonly id: number;
    readonly name: string;
  }
  class Expense {
    readonly id: number;
    readonly amount: number;
    readonly status: 'submitted' | 'approved' | 'rejected';
    readonly organization: Organization;
  }
  class ExpensesService {
    find(id: number): Promise<Expense | null>;
  }
  class ExpensesController {}
  class AppModule {}
  class JwtAuthGuard implements CanActivate {
    canActivate(): boolean;
  }
  /** The app's policy folder. */
  const policyDir: string;
  const alice: User;
  const bob: User;
  const expense: Expense;
  const organizations: Organization[];
}
