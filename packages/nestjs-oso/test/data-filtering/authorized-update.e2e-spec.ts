import { Column, Entity, PrimaryColumn, type SelectQueryBuilder } from 'typeorm';
import { buildAuthorizedQuery, DataFilteringError } from '../../src/data-filtering/index.js';
import { updateAuthorized } from '../../src/data-filtering/typeorm/index.js';
import { describeOnEachDatabase } from './support/databases.js';
import { osoFor } from './support/parity.js';

@Entity('au_tickets')
class Ticket {
  @PrimaryColumn() id!: number;
  @Column() orgId!: number;
  @Column() status!: string;
}

/** Org 1 has tickets 1 (open), 2 (open), 3 (closed); org 2 has ticket 4 (open). */
const SEED = [
  { id: 1, orgId: 1, status: 'open' },
  { id: 2, orgId: 1, status: 'open' },
  { id: 3, orgId: 1, status: 'closed' },
  { id: 4, orgId: 2, status: 'open' },
];
const POLICY = 'allow(user, "close", t: Ticket) if t.orgId = user.orgId and t.status = "open";';

describeOnEachDatabase('updateAuthorized', [Ticket], (dataSource) => {
  beforeEach(async () => {
    const repository = dataSource().getRepository(Ticket);
    await repository.clear();
    await repository.insert(SEED);
  });

  const statuses = async () =>
    Object.fromEntries(
      (
        await dataSource()
          .getRepository(Ticket)
          .find({ order: { id: 'ASC' } })
      ).map((t) => [t.id, t.status]),
    );
  const closeQuery = async (user: unknown) => {
    const oso = await osoFor(dataSource(), [Ticket], POLICY);
    return { oso, query: await buildAuthorizedQuery<SelectQueryBuilder<Ticket>>(oso, user, 'close', Ticket) };
  };

  it('writes exactly the rows the engine allows, and the query narrows them further', async () => {
    const user = { orgId: 1 };
    const { oso, query } = await closeQuery(user);
    const before = await dataSource()
      .getRepository(Ticket)
      .find({ order: { id: 'ASC' } });
    const allowed = [];
    for (const ticket of before) if (await oso.isAllowed(user, 'close', ticket)) allowed.push(ticket.id);
    expect(allowed).toEqual([1, 2]);

    const one = query.clone().andWhere(`${query.alias}.id = :id`, { id: 2 });
    expect(await updateAuthorized(one, { status: 'closed' })).toBe(1);
    expect(await statuses()).toEqual({ 1: 'open', 2: 'closed', 3: 'closed', 4: 'open' });
    expect(await updateAuthorized(query, { status: 'closed' })).toBe(1);
    expect(await statuses()).toEqual({ 1: 'closed', 2: 'closed', 3: 'closed', 4: 'open' });
  });

  it('writes nothing once the condition no longer holds: the second of two writes on one snapshot gets 0', async () => {
    const { query } = await closeQuery({ orgId: 1 });
    const ticket1 = () => query.clone().andWhere(`${query.alias}.id = :id`, { id: 1 });
    const [first, second] = [ticket1(), ticket1()];
    expect(await updateAuthorized(first, { status: 'closed' })).toBe(1);
    expect(await updateAuthorized(second, { status: 'reopened-by-mistake' })).toBe(0);
    expect((await statuses())[1]).toBe('closed');
  });

  it('of racing writes to one row, exactly one wins', async () => {
    const { query } = await closeQuery({ orgId: 1 });
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        updateAuthorized(query.clone().andWhere(`${query.alias}.id = :id`, { id: 2 }), { status: `closed-${i}` }),
      ),
    );
    expect(results.filter((written) => written === 1)).toHaveLength(1);
    expect(results.reduce((sum, written) => sum + written, 0)).toBe(1);
  });

  it('refuses a query that joins tables, which an UPDATE cannot carry, and writes nothing', async () => {
    const { query } = await closeQuery({ orgId: 1 });
    const joined = query.clone().innerJoin(Ticket, 'other', `other.id = ${query.alias}.id`);
    await expect(updateAuthorized(joined, { status: 'closed' })).rejects.toThrow(DataFilteringError);
    expect(await statuses()).toEqual({ 1: 'open', 2: 'open', 3: 'closed', 4: 'open' });
  });

  it('writes nothing for an actor the policy allows nothing', async () => {
    const { query } = await closeQuery({ orgId: 3 });
    expect(await updateAuthorized(query, { status: 'closed' })).toBe(0);
    expect(await statuses()).toEqual({ 1: 'open', 2: 'open', 3: 'closed', 4: 'open' });
  });
});
