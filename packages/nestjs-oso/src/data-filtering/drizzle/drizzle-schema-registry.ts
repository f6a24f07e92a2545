import type { Column, Table } from 'drizzle-orm';

/**
 * A many-to-many field through a junction table, seen from one side: the junction's column that holds this side's
 * key (`near`), and the one that holds the other side's (`far`), each with the key column it refers to (schema keys).
 *
 * @internal
 */
export interface DrizzleJunction {
  table: Table;
  /** The table on the other side. */
  other: Table;
  near: { junction: string; key: string };
  far: { junction: string; key: string };
}

/** What `drizzlePolarClasses` learned of a class: its table and the table's primary key. @internal */
export interface DrizzleTableOfClass {
  table: Table;
  primaryKey: Column[];
}

// Weak, so that a schema (and the classes made for it) can be collected with the app that used it.
const TABLES = new WeakMap<object, DrizzleTableOfClass>();
const JUNCTIONS = new WeakMap<Table, Map<string, DrizzleJunction>>();

/** Remembers the table of a registered class, for `drizzleAdapter`. @internal */
export function recordTable(cls: object, table: Table, primaryKey: Column[]): void {
  TABLES.set(cls, { table, primaryKey });
}

/** The table `drizzlePolarClasses` registered a class for. @internal */
export function tableOfClass(cls: unknown): DrizzleTableOfClass | undefined {
  return typeof cls === 'function' ? TABLES.get(cls) : undefined;
}

/** The many-to-many fields of a table, by field name (created empty on first use). @internal */
export function junctionsOf(table: Table): Map<string, DrizzleJunction> {
  let junctions = JUNCTIONS.get(table);
  if (!junctions) JUNCTIONS.set(table, (junctions = new Map()));
  return junctions;
}
