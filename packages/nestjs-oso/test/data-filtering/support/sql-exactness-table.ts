import type { Oso } from 'oso';
import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { buildAuthorizedQuery, DataFilteringError } from '../../../src/data-filtering/index.js';
import { SxItem } from './sql-exactness-entities.js';

/** The comparisons of the value table, by Polar operator and action suffix. */
export const OPERATORS = ['=', '!=', '<', '<=', '>', '>='] as const;

/** The columns of `SxItem` a policy compares, with a value of each JavaScript type that may meet them. */
export const FIELDS = ['ownerId', 'code', 'color', 'isPublic', 'rank', 'score', 'ratio', 'label'] as const;

/** Values the actor carries (a JWT `sub` is a string): numbers, numeric strings, padded strings, booleans, nil. */
export const VALUES: unknown[] = [
  2,
  '2',
  '2.0',
  ' 2',
  '2abc',
  1,
  0,
  -1,
  2.5,
  -0.5,
  7,
  '7',
  true,
  false,
  null,
  'red',
  'red ',
  'Red',
  ' red',
  'RED',
  '',
  'a',
  'b',
  ' b',
  'x',
];

/** The policy of the table: for each field and operator, `i.field OP v` and `v OP i.field`, with the actor as v. */
export function valueTablePolicy(): string {
  const rules: string[] = [];
  for (const field of FIELDS) {
    for (const op of OPERATORS) {
      rules.push(`allow(v, "${field} ${op}", i: Item) if i.${field} ${op} v;`);
      rules.push(`allow(v, "${op} ${field}", i: Item) if v ${op} i.${field};`);
    }
    rules.push(`allow(v, "${field} in", i: Item) if i.${field} in v;`);
  }
  return rules.join('\n');
}

/** Field pairs compared column to column: same types, and types SQL would coerce into each other. */
export const FIELD_PAIRS = [
  ['score', 'rank'],
  ['ratio', 'rank'],
  ['ownerId', 'code'],
  ['ownerId', 'rank'],
  ['color', 'label'],
  ['code', 'label'],
  ['isPublic', 'ownerId'],
  ['isPublic', 'rank'],
] as const;

export function fieldPairPolicy(): string {
  return FIELD_PAIRS.flatMap(([a, b]) =>
    OPERATORS.map((op) => `allow(_, "${a} ${op} ${b}", i: Item) if i.${a} ${op} i.${b};`),
  ).join('\n');
}

/** What each side answered for one action and actor: the sorted ids, or the error. */
export interface Outcome {
  action: string;
  actor: unknown;
  engine: number[] | string;
  sql: number[] | string;
}

/**
 * Runs one case: the ids `isAllowed` accepts and the ids the query returns (each once, with `getCount` agreeing).
 * A `DataFilteringError` from the query is an accepted answer ("raised"); any other error is reported as is.
 */
export async function outcome(oso: Oso, items: SxItem[], action: string, actor: unknown): Promise<Outcome> {
  let engine: number[] | string;
  try {
    engine = [];
    for (const item of items) if (await oso.isAllowed(actor, action, item)) engine.push(item.id);
  } catch (error) {
    engine = `engine error: ${(error as Error).message.split('\n')[0]}`;
  }
  let sql: number[] | string;
  try {
    const query = await buildAuthorizedQuery<SelectQueryBuilder<ObjectLiteral>>(oso, actor, action, SxItem);
    const rows = (await query.getMany()) as SxItem[];
    const count = await query.getCount();
    sql = rows.map((row) => row.id).sort((a, b) => a - b);
    if (count !== rows.length || new Set(sql).size !== sql.length)
      sql = `count ${count} for rows ${JSON.stringify(sql)}`;
  } catch (error) {
    sql = error instanceof DataFilteringError ? 'raised' : `error: ${(error as Error).message.split('\n')[0]}`;
  }
  return { action, actor, engine, sql };
}

/** Whether an outcome is acceptable: the same rows, or a DataFilteringError. */
export function agrees({ engine, sql }: Outcome): boolean {
  return sql === 'raised' || JSON.stringify(engine) === JSON.stringify(sql);
}
