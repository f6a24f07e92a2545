import { entityKind, type Column, type Table } from 'drizzle-orm';
import type { ColumnKind, Dialect } from '../typeorm/typeorm-column-kind.js';

const INTEGER = new Set([
  'SQLiteInteger',
  'PgInteger',
  'PgSmallInt',
  'PgSerial',
  'PgSmallSerial',
  'PgBigInt53',
  'PgBigSerial53',
  'MySqlInt',
  'MySqlTinyInt',
  'MySqlSmallInt',
  'MySqlMediumInt',
  'MySqlBigInt53',
  'MySqlSerial',
]);
/** Doubles: JavaScript numbers exactly. (`real` on PostgreSQL and `float` on MariaDB are single precision: opaque.) */
const NUMBER = new Set(['SQLiteReal', 'PgDoublePrecision', 'MySqlDouble', 'MySqlReal']);
/** Text as stored: not `char`, which pads (PostgreSQL) or trims (MariaDB) trailing spaces. */
const STRING = new Set(['SQLiteText', 'PgText', 'PgVarchar', 'MySqlText', 'MySqlVarChar']);
const BOOLEAN = new Set(['SQLiteBoolean', 'PgBoolean', 'MySqlBoolean']);

/**
 * What Polar sees in a Drizzle column (see the TypeORM adapter's `ColumnKind`): integers, doubles, text, booleans and
 * PostgreSQL uuids are compared exactly; every other column (decimals, single-precision floats, big integers as
 * BigInt, dates, JSON, enums, custom types, `char`) is `opaque`: only its nil can be filtered on, since what the
 * driver hands the engine is not what SQL compares.
 *
 * @internal
 */
export function drizzleColumnKind(column: Column, dialect: Dialect): ColumnKind {
  const type = column.columnType;
  if (column.dataType === 'number' && INTEGER.has(type)) return 'integer';
  if (column.dataType === 'number' && NUMBER.has(type)) return 'number';
  // A text column with `enum` is still any text to the database.
  if (column.dataType === 'string' && STRING.has(type)) return 'string';
  if (column.dataType === 'boolean' && BOOLEAN.has(type)) return 'boolean';
  if (type === 'PgUUID' && dialect === 'postgres') return 'uuid';
  return 'opaque';
}

/** The SQL dialect of a Drizzle table, from its class. @internal */
export function dialectOfTable(table: Table): Dialect {
  let kinds: string[] = [];
  for (let proto = Object.getPrototypeOf(table); proto; proto = Object.getPrototypeOf(proto)) {
    const kind = (proto.constructor as Record<symbol, unknown> | undefined)?.[entityKind];
    if (typeof kind === 'string') kinds = [...kinds, kind];
  }
  if (kinds.includes('PgTable')) return 'postgres';
  if (kinds.includes('MySqlTable')) return 'mysql';
  if (kinds.includes('SQLiteTable')) return 'sqlite';
  return undefined;
}
