import type { Table } from 'drizzle-orm';
import * as mysql from 'drizzle-orm/mysql-core';
import * as pg from 'drizzle-orm/pg-core';
import * as sqlite from 'drizzle-orm/sqlite-core';
import type { DrizzleKind } from './drizzle-databases.js';

/**
 * Drizzle tables for the suites, written once for the three dialects: columns by type (`int`, `double`, `text`,
 * `bool`, `decimal`, and `uuid`, native on PostgreSQL and text elsewhere; `?` for a nullable column; `id` is the
 * primary key), with the DDL that creates them (tests create tables with SQL) and a composite primary key for
 * junction tables.
 */
export type ColumnSpec = Record<string, string>;

// Drizzle's builders are typed per dialect; one suite runs on all three, so they are typed loosely here.
/* eslint-disable @typescript-eslint/no-explicit-any */
interface Dialect {
  table: (name: string, columns: any, extra?: any) => Table;
  columns: Record<string, (name: string) => any>;
  primaryKey: (config: { columns: any[] }) => any;
  types: Record<string, string>;
  quote: string;
}

const DIALECTS: Record<DrizzleKind, Dialect> = {
  'better-sqlite3': {
    table: sqlite.sqliteTable,
    columns: {
      int: (name) => sqlite.integer(name),
      double: (name) => sqlite.real(name),
      text: (name) => sqlite.text(name),
      bool: (name) => sqlite.integer(name, { mode: 'boolean' }),
      decimal: (name) => sqlite.numeric(name),
      uuid: (name) => sqlite.text(name),
    },
    primaryKey: sqlite.primaryKey,
    types: { int: 'integer', double: 'real', text: 'text', bool: 'integer', decimal: 'numeric', uuid: 'text' },
    quote: '"',
  },
  postgres: {
    table: pg.pgTable,
    columns: {
      int: (name) => pg.integer(name),
      double: (name) => pg.doublePrecision(name),
      text: (name) => pg.varchar(name, { length: 16 }),
      bool: (name) => pg.boolean(name),
      decimal: (name) => pg.numeric(name, { precision: 10, scale: 2 }),
      uuid: (name) => pg.uuid(name),
    },
    primaryKey: pg.primaryKey,
    types: {
      int: 'integer',
      double: 'double precision',
      text: 'varchar(16)',
      bool: 'boolean',
      decimal: 'numeric(10,2)',
      uuid: 'uuid',
    },
    quote: '"',
  },
  mariadb: {
    table: mysql.mysqlTable,
    columns: {
      int: (name) => mysql.int(name),
      double: (name) => mysql.double(name),
      text: (name) => mysql.varchar(name, { length: 16 }),
      bool: (name) => mysql.boolean(name),
      decimal: (name) => mysql.decimal(name, { precision: 10, scale: 2 }),
      uuid: (name) => mysql.varchar(name, { length: 36 }),
    },
    primaryKey: mysql.primaryKey,
    types: {
      int: 'int',
      double: 'double',
      text: 'varchar(16)',
      bool: 'boolean',
      decimal: 'decimal(10,2)',
      uuid: 'varchar(36)',
    },
    quote: '`',
  },
};

/** A table of `columns` in `kind`'s dialect; with `key`, a junction table whose primary key is those columns. */
export function drizzleTable(kind: DrizzleKind, name: string, columns: ColumnSpec, key?: string[]): any {
  const dialect = DIALECTS[kind];
  const built = Object.fromEntries(
    Object.entries(columns).map(([column, type]) => {
      let builder = dialect.columns[type.replace('?', '')]!(column);
      if (!type.endsWith('?')) builder = builder.notNull();
      if (column === 'id') builder = builder.primaryKey();
      return [column, builder];
    }),
  );
  return key
    ? dialect.table(name, built, (own: any) => [dialect.primaryKey({ columns: key.map((column) => own[column]) })])
    : dialect.table(name, built);
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** `CREATE TABLE` for a table of `drizzleTable`. */
export function createTable(kind: DrizzleKind, name: string, columns: ColumnSpec, key?: string[]): string {
  const { types, quote } = DIALECTS[kind];
  const q = (identifier: string) => `${quote}${identifier}${quote}`;
  const definitions = Object.entries(columns).map(
    ([column, type]) =>
      `${q(column)} ${types[type.replace('?', '')]}${type.endsWith('?') ? '' : ' NOT NULL'}` +
      (column === 'id' ? ' PRIMARY KEY' : ''),
  );
  if (key) definitions.push(`PRIMARY KEY (${key.map(q).join(', ')})`);
  return `CREATE TABLE ${q(name)} (${definitions.join(', ')})`;
}
