import type { Type } from '@nestjs/common';
import { Oso } from 'oso';
import type { DataSource, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { buildAuthorizedQuery, filterAuthorizedItems } from '../../../src/data-filtering/index.js';
import {
  typeOrmAdapter,
  typeOrmPolarClasses,
  type TypeOrmPolarClassesOptions,
} from '../../../src/data-filtering/typeorm/index.js';
import { recordPolicySources } from '../../../src/compiled-decisions/policy-sources.js';

/** An engine for one policy: the entities registered from TypeORM metadata, the TypeORM adapter, the policy loaded. */
export async function osoFor(
  dataSource: DataSource,
  entities: Array<Type<unknown>>,
  policy: string,
  options: TypeOrmPolarClassesOptions & {
    constants?: Record<string, unknown>;
    extraClasses?: Array<Type<unknown>>;
  } = {},
): Promise<Oso> {
  const oso = new Oso();
  // As createOsoEngine does: the policy text tells which shapes the partial evaluator drops.
  recordPolicySources(oso);
  oso.setDataFilteringAdapter(typeOrmAdapter(dataSource));
  for (const registration of typeOrmPolarClasses(dataSource, entities, options)) {
    oso.registerClass(registration.class, { name: registration.name, fields: registration.fields });
  }
  for (const cls of options.extraClasses ?? []) oso.registerClass(cls);
  for (const [name, value] of Object.entries(options.constants ?? {})) oso.registerConstant(value, name);
  await oso.loadStr(policy);
  return oso;
}

export interface ParityCheck {
  /** The rows the test itself expects (from the original suites); checked on top of `isAllowed`. */
  expected?: ObjectLiteral[];
  /**
   * Also filter the same rows in memory. `relations` are loaded on the items (the in-memory adapter follows them,
   * e.g. many-to-many), and every entity's rows are given as collections for hash joins. Default: on.
   */
  inMemory?: false | { relations?: Record<string, unknown> };
  /** Relations to load on the rows given to `isAllowed` (needed when a relation has no key property of its own). */
  load?: Record<string, unknown>;
}

/**
 * The heart of every data filtering test: the rows the TypeORM query returns are exactly the rows for which
 * `isAllowed` is true, each once (`getMany` and `getCount` agree), and so are the items the in-memory adapter keeps.
 */
export async function expectParity(
  oso: Oso,
  dataSource: DataSource,
  actor: unknown,
  action: unknown,
  entity: Type<unknown>,
  check: ParityCheck = {},
): Promise<ObjectLiteral[]> {
  const metadata = dataSource.getMetadata(entity);
  const key = (row: ObjectLiteral) => JSON.stringify(metadata.getEntityIdMap(row));
  const keys = (rows: ObjectLiteral[]) => rows.map(key).sort();

  const all = await dataSource.getRepository(entity).find({ relations: (check.load ?? {}) as never });
  const allowed: ObjectLiteral[] = [];
  for (const row of all) if (await oso.isAllowed(actor, action, row)) allowed.push(row);
  if (check.expected) expect(keys(allowed)).toEqual(keys(check.expected));

  const query = await buildAuthorizedQuery<SelectQueryBuilder<ObjectLiteral>>(oso, actor, action, entity);
  const rows = await query.getMany();
  expect(keys(rows)).toEqual(keys(allowed));
  expect(await query.getCount()).toBe(allowed.length);
  const raw = await query.clone().select(`${query.alias}.${metadata.primaryColumns[0]!.propertyPath}`).getRawMany();
  expect(raw).toHaveLength(allowed.length);

  if (check.inMemory !== false) {
    const items = await dataSource
      .getRepository(entity)
      .find({ relations: (check.inMemory?.relations ?? check.load ?? {}) as never });
    // Every registered entity's rows, under its Polar name, for the hash joins.
    const collections: Record<string, ObjectLiteral[]> = {};
    for (const [name, type] of oso.getHost().types) {
      if (typeof name === 'string' && dataSource.hasMetadata(type.cls))
        collections[name] = await dataSource.getRepository(type.cls).find();
    }
    const kept = await filterAuthorizedItems(oso, actor, action, entity, items, { collections });
    // What the engine says of these very items: whole objects compare by deep equality, so relations loaded on the
    // items can change it (`post in user.posts` is false for a post that carries its tags).
    const allowedItems: ObjectLiteral[] = [];
    for (const item of items) if (await oso.isAllowed(actor, action, item)) allowedItems.push(item);
    expect(keys(kept)).toEqual(keys(allowedItems));
  }
  return rows;
}
