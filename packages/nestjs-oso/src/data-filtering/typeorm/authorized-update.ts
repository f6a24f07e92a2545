import type { ObjectLiteral, QueryRunner, SelectQueryBuilder } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import { DataFilteringError } from '../../errors/data-filtering.error.js';

/**
 * Writes `changes` to the rows an authorized query selects, in ONE `UPDATE` whose `WHERE` is the query's own: the
 * policy's condition (from `OsoService.authorizedQuery`) and whatever you added (`id = :id`). Returns how many rows
 * it wrote.
 *
 * Why: a decision (`@Authorize()`, `OsoService.authorize()`) is made on the row as it was loaded, a snapshot. Two
 * requests can both be allowed on the same snapshot (two admins deciding one expense), and a plain
 * `UPDATE ... WHERE id = ?` then lets the second overwrite the first. Here the database checks the policy's
 * condition on the row it writes, after any concurrent write to that row has committed, so of two racing requests
 * exactly one writes; the other gets 0 and should answer 409.
 *
 * The condition must be on the updated rows themselves: the TypeORM adapter follows relations with `EXISTS`
 * subqueries, which an `UPDATE` can carry. (A `WHERE id IN (<authorized SELECT>)` reads the same but lets both racing
 * writes through on PostgreSQL, whose subquery keeps the rows it read before waiting for the other writer.)
 *
 * @example
 * const query = await this.oso.authorizedQuery<SelectQueryBuilder<Expense>>(user, 'approve', Expense);
 * const written = await updateAuthorized(query.andWhere(`${query.alias}.id = :id`, { id }), { status: 'approved' });
 * if (written === 0) throw new ConflictException(`Expense ${id} changed since it was checked; nothing was written`);
 * @throws {DataFilteringError} when the query joins tables (an `UPDATE` cannot), or TypeORM writes an `UPDATE` this
 * function does not recognise.
 * @publicApi
 */
export async function updateAuthorized<Entity extends ObjectLiteral>(
  query: SelectQueryBuilder<Entity>,
  changes: QueryDeepPartialEntity<Entity>,
): Promise<number> {
  if (query.expressionMap.joinAttributes.length > 0) {
    throw new DataFilteringError(`updateAuthorized: the query of ${query.alias} joins tables, which an UPDATE cannot`);
  }
  const alias = query.escape(query.alias);
  const builder = query.clone().update().set(changes);
  // An UPDATE builder reads `Ticket.id` (a property path with the alias, as in a SELECT) only with prefixing on.
  builder.expressionMap.aliasNamePrefixingEnabled = true;
  const [sql, parameters] = builder.getQueryAndParameters();
  // TypeORM writes `UPDATE <table> SET`, without the alias the WHERE names the rows by: name the table with it.
  const update = /^UPDATE (\S+) SET /.exec(sql);
  if (!update)
    throw new DataFilteringError(
      `updateAuthorized: TypeORM wrote an UPDATE of an unexpected form: ${sql.slice(0, 40)}`,
    );
  const aliased = `UPDATE ${update[1]} AS ${alias} SET ${sql.slice(update[0].length)}`;
  // Inside a transaction, on the transaction's connection (`queryRunner` is protected in TypeORM's types only).
  const own = (query as unknown as { queryRunner?: QueryRunner }).queryRunner;
  const runner = own ?? query.connection.createQueryRunner();
  try {
    const result = await runner.query(aliased, parameters, true);
    return result.affected ?? 0;
  } finally {
    if (!own) await runner.release();
  }
}
