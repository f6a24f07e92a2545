// The e2e domain classes as the CLI sees them: a compiled module of the app (plain JavaScript, no decorators syntax).
import { PolarClass } from 'nestjs-oso';

export class User {}
export class Organization {}
export class Expense {}

// A decorated class: the CLI registers it under its @PolarClass() name.
export class MembershipEntity {}
PolarClass('Membership')(MembershipEntity);

// Not a class: ignored.
export const ADMIN_ROLE = 'admin';
