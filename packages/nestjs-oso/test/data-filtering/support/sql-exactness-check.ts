import type { Type } from '@nestjs/common';
import type { Oso } from 'oso';
import type { DataSource, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { buildAuthorizedQuery } from '../../../src/data-filtering/index.js';

/** The ids `isAllowed` accepts among every row of `entity` (relations in `load` are loaded on the rows first). */
export async function engineIds(
  oso: Oso,
  dataSource: DataSource,
  actor: unknown,
  action: unknown,
  entity: Type<unknown>,
  load: Record<string, unknown> = {},
): Promise<number[]> {
  const rows = await dataSource.getRepository(entity).find({ relations: load as never });
  const allowed: number[] = [];
  for (const row of rows as Array<{ id: number }>) if (await oso.isAllowed(actor, action, row)) allowed.push(row.id);
  return allowed.sort((a, b) => a - b);
}

/**
 * The TypeORM side of the parity check: the ids of the rows `buildAuthorizedQuery` returns must be the ids
 * `isAllowed` accepts, each once, and `getCount()` must agree. Returns the engine's ids, so that a test can also pin
 * them down.
 */
export async function expectSqlParity(
  oso: Oso,
  dataSource: DataSource,
  actor: unknown,
  action: unknown,
  entity: Type<unknown>,
  load: Record<string, unknown> = {},
): Promise<number[]> {
  const allowed = await engineIds(oso, dataSource, actor, action, entity, load);
  const query = await buildAuthorizedQuery<SelectQueryBuilder<ObjectLiteral>>(oso, actor, action, entity);
  const rows = (await query.getMany()) as Array<{ id: number }>;
  const ids = rows.map((row) => row.id);
  expect({ action, actor, ids: [...ids].sort((a, b) => a - b) }).toEqual({ action, actor, ids: allowed });
  expect(new Set(ids).size).toBe(ids.length);
  expect(await query.getCount()).toBe(allowed.length);
  return allowed;
}
