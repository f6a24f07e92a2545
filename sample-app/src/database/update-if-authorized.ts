import type { OsoService } from 'nestjs-oso';
import type { ObjectLiteral, QueryDeepPartialEntity, SelectQueryBuilder } from 'typeorm';

/**
 * Writes `changes` to the row `id` of `entity` only if the policy lets `actor` do `action` on that row as it is when
 * the write happens; tells whether it wrote.
 *
 * Why: a decision (`@Authorize`, `oso.authorize`) is made on the row as it was loaded, a snapshot. Two requests can
 * both be allowed on the same snapshot (two admins deciding one expense), and a plain `UPDATE ... WHERE id = ?` then
 * lets the second overwrite the first. Here the policy's condition for `action`, the SQL that data filtering builds
 * for lists (`authorizedQuery`), is the WHERE of ONE `UPDATE`:
 *
 *     UPDATE "expenses" AS "Expense" SET "status" = $1
 *     WHERE ("Expense"."status" = $2 AND EXISTS (<an organization the actor is admin of>)) AND "Expense"."id" = $3
 *
 * The database checks it on the row it writes, after any concurrent write to that row has committed (PostgreSQL
 * re-checks the WHERE on the newest version of a row it had to wait for; SQLite writes one statement at a time), so
 * of two racing requests exactly one writes. The condition must be on the updated row itself: `WHERE id IN
 * (<the authorized SELECT>)` reads the same but lets both through on PostgreSQL, because a subquery keeps the rows
 * it read before the wait.
 *
 * @example
 * const written = await updateIfAuthorized(oso, user, 'approve', Expense, 7, { status: 'approved' });
 * if (!written) throw new ConflictException('Expense 7 changed since it was checked; nothing was written');
 */
export async function updateIfAuthorized<Entity extends ObjectLiteral>(
  oso: OsoService,
  actor: unknown,
  action: string,
  entity: new () => Entity,
  id: number,
  changes: QueryDeepPartialEntity<Entity>,
): Promise<boolean> {
  const allowed = await oso.authorizedQuery<SelectQueryBuilder<Entity>>(actor, action, entity);
  // The TypeORM adapter follows relations with EXISTS subqueries; a JOIN could not be part of an UPDATE.
  if (allowed.expressionMap.joinAttributes.length > 0) {
    throw new Error(`updateIfAuthorized: the "${action}" filter of ${entity.name} joins tables; an UPDATE cannot`);
  }
  const alias = allowed.escape(allowed.alias);
  const [sql, parameters] = allowed
    .update()
    .set(changes)
    .andWhere(`${alias}.${allowed.escape('id')} = :updateIfAuthorizedId`, { updateIfAuthorizedId: id })
    .getQueryAndParameters();
  // TypeORM writes `UPDATE <table> SET`, without the alias that the filter's WHERE uses: name the table with it.
  const update = /^UPDATE (\S+) SET /.exec(sql);
  if (!update) throw new Error(`updateIfAuthorized: unexpected SQL from TypeORM: ${sql}`);
  const runner = allowed.connection.createQueryRunner();
  try {
    const aliased = `UPDATE ${update[1]} AS ${alias} SET ${sql.slice(update[0].length)}`;
    const result = await runner.query(aliased, parameters, true);
    return result.affected === 1;
  } finally {
    await runner.release();
  }
}
