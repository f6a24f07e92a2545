import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Column, DataSource, Entity, PrimaryColumn } from 'typeorm';
import { Oso } from '../../engine/oso-library.js';
import { DataFilteringError } from '../../errors/data-filtering.error.js';
import { buildAuthorizedFilter } from '../authorized-filter.js';
import { QueryCompiler } from './typeorm-query.compiler.js';

@Entity('qc_doc')
class QcDoc {
  @PrimaryColumn('integer') id!: number;
  @Column('integer') ownerId!: number;
  @Column('varchar') status!: string;
  @Column('integer', { nullable: true }) rank!: number | null;
}

let dataSource: DataSource;
beforeAll(async () => {
  dataSource = new DataSource({ type: 'sqljs', entities: [QcDoc], synchronize: true });
  await dataSource.initialize();
  await dataSource.getRepository(QcDoc).save([
    { id: 1, ownerId: 1, status: 'open', rank: 1 },
    { id: 2, ownerId: 2, status: 'open', rank: null },
    { id: 3, ownerId: 1, status: 'closed', rank: 5 },
    { id: 4, ownerId: 3, status: 'open ', rank: 2 },
  ]);
});
afterAll(() => dataSource.destroy());

/** The ids the compiled query returns for `actor` and `action` under `policy`, with its SQL. */
async function compiled(policy: string, actor: unknown, action: string): Promise<{ ids: number[]; sql: string }> {
  const oso = new Oso();
  oso.registerClass(QcDoc, { name: 'QcDoc', fields: { id: Number, ownerId: Number, status: String, rank: Number } });
  oso.loadStr(policy);
  const filter = await buildAuthorizedFilter(oso, actor, action, QcDoc);
  const query = new QueryCompiler(dataSource, {}, filter).compile();
  const rows = await query.getMany();
  return { ids: rows.map((row) => (row as QcDoc).id).sort(), sql: query.getQuery() };
}

describe('the TypeORM query compiler', () => {
  it('compiles conditions on the resource into one WHERE, strings compared exactly', async () => {
    const { ids } = await compiled(
      'allow(actor, "read", doc: QcDoc) if doc.ownerId = actor and doc.status = "open";',
      1,
      'read',
    );
    expect(ids).toEqual([1]);
    const padded = await compiled('allow(_, "read", doc: QcDoc) if doc.status = "open";', 0, 'read');
    expect(padded.ids).toEqual([1, 2]);
  });

  it('ORs the ways to be allowed, keeping nil as Polar does', async () => {
    const { ids } = await compiled(
      'allow(actor, "read", doc: QcDoc) if doc.ownerId = actor; allow(_, "read", doc: QcDoc) if doc.rank = nil;',
      3,
      'read',
    );
    expect(ids).toEqual([2, 4]);
  });

  it('selects no row when nothing is allowed, and every row, with no WHERE, when a rule has no condition', async () => {
    const none = await compiled('allow(_, "read", _doc: QcDoc) if false;', 1, 'read');
    expect(none.ids).toEqual([]);
    const all = await compiled('allow(_, "read", _doc: QcDoc);', 1, 'read');
    expect(all.ids).toEqual([1, 2, 3, 4]);
    expect(all.sql).not.toContain('WHERE');
  });

  it('refuses a comparison SQL cannot make as Polar does, naming the condition', async () => {
    const attempt = compiled('allow(_, "read", doc: QcDoc) if doc.status > 3;', 1, 'read');
    await expect(attempt).rejects.toThrow(DataFilteringError);
    await expect(attempt).rejects.toThrow(/QcDoc on the condition QcDoc\.status > 3/);
  });
});
