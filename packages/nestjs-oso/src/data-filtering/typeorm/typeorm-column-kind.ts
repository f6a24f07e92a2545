import type { EntityMetadata } from 'typeorm';

type ColumnMetadata = EntityMetadata['primaryColumns'][number];

/**
 * What Polar sees in a column once TypeORM has hydrated it: an integer or any number (JavaScript numbers), a
 * string, a boolean (SQLite and MariaDB store them as integers, TypeORM gives `true`/`false`), the digits of a
 * big integer (PostgreSQL and MariaDB `bigint`, hydrated as a string), a `uuid` (a lowercase string; PostgreSQL
 * and MariaDB read any spelling of it),
 * a decimal (hydrated as a string whose spelling only the database knows: `opaque`), or something else (dates,
 * JSON, enums, transformed columns), which the adapter compares as the database does.
 *
 * @internal
 */
export type ColumnKind = 'integer' | 'number' | 'string' | 'boolean' | 'digits' | 'uuid' | 'opaque' | 'other';

/** The SQL dialects whose comparisons the adapter makes exact. @internal */
export type Dialect = 'postgres' | 'mysql' | 'sqlite' | undefined;

const INTEGER = new Set(['int', 'integer', 'int2', 'int4', 'smallint', 'mediumint', 'tinyint', 'number']);
const NUMBER = new Set(['float', 'double', 'double precision', 'real', 'float4', 'float8']);
const STRING = new Set([
  'varchar',
  'character varying',
  'nvarchar',
  'text',
  'string',
  'tinytext',
  'mediumtext',
  'longtext',
]);
const BOOLEAN = new Set(['boolean', 'bool']);
const BIG = new Set(['bigint', 'int8']);
const DECIMAL = new Set(['decimal', 'numeric', 'dec', 'money', 'fixed']);
const DIGITS = /^-?(0|[1-9][0-9]*)$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The kind of a column, from its TypeORM metadata and the database it is on. @internal */
export function columnKind(column: ColumnMetadata, dialect: Dialect): ColumnKind {
  if (column.transformer !== undefined || column.isArray || column.enum !== undefined) return 'other';
  const type = typeof column.type === 'function' ? column.type.name.toLowerCase() : String(column.type).toLowerCase();
  if (INTEGER.has(type)) return 'integer';
  if (NUMBER.has(type)) return 'number';
  if (STRING.has(type)) return 'string';
  if (BOOLEAN.has(type)) return 'boolean';
  // better-sqlite3 gives numbers for these; PostgreSQL and MariaDB drivers give strings.
  if (BIG.has(type)) return dialect === 'sqlite' ? 'integer' : 'digits';
  if (DECIMAL.has(type)) return dialect === 'sqlite' ? 'number' : 'opaque';
  // PostgreSQL and MariaDB (10.7+) store uuids natively and read any spelling of one; SQLite keeps the text.
  if (type === 'uuid') return dialect === 'sqlite' ? 'string' : 'uuid';
  return 'other';
}

/** Whether a plain value can unify with some value of a column of `kind`. @internal */
export function holdsKindOf(kind: ColumnKind, value: unknown): boolean {
  switch (kind) {
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'digits':
      // The driver spells a big integer canonically: "2", never "02" or "2.0".
      return typeof value === 'string' && DIGITS.test(value);
    case 'uuid':
      // PostgreSQL would read "ABC..." as the same uuid; the engine compares the lowercase strings.
      return typeof value === 'string' && UUID.test(value);
    default:
      return true;
  }
}

/**
 * The family Polar compares by: numbers with numbers (and, in `!=` and order, with booleans as 0 and 1), strings
 * (big integers and uuids are strings to Polar) with strings. @internal
 */
export function polarFamily(kind: ColumnKind): 'number' | 'string' | 'boolean' | 'opaque' | 'other' {
  if (kind === 'integer') return 'number';
  if (kind === 'digits' || kind === 'uuid') return 'string';
  return kind;
}
