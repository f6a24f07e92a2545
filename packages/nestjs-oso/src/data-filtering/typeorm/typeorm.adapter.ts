import type { Adapter, Filter } from 'oso';
import type { DataSource, EntityTarget, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { DataFilteringError } from '../../errors/data-filtering.error.js';
import { QueryCompiler } from './typeorm-query.compiler.js';

/**
 * Options of the TypeORM adapter.
 *
 * @example
 * new TypeOrmAdapter(dataSource, { entities: { 'app::Expense': ExpenseEntity } })
 * @publicApi
 */
export interface TypeOrmAdapterOptions {
  /** Entities of Polar types whose registered class is not the entity itself, by Polar name. */
  entities?: Record<string, EntityTarget<ObjectLiteral>>;
}

/**
 * A data filtering adapter for TypeORM 1.x: it turns oso's filter into ONE `SelectQueryBuilder` on the resource's
 * entity. It reads entity metadata (real table names, primary keys, join columns, many-to-many junction tables),
 * supports every comparison the engine emits (`= != < <= > >= in`, `not in`, nil), and expresses each rule that
 * follows relations as an `EXISTS` subquery, so rows are never duplicated and the builder can be chained, counted
 * and paginated. The resource's alias is its Polar name with non-word characters replaced by `_` (`query.alias`).
 *
 * @example
 * oso.setDataFilteringAdapter(new TypeOrmAdapter(dataSource));
 * const query = await buildAuthorizedQuery<SelectQueryBuilder<Expense>>(oso, user, 'read', Expense);
 * const page = await query.andWhere(`${query.alias}.amount > :min`, { min: 100 }).take(20).getMany();
 * @publicApi
 */
export class TypeOrmAdapter implements Adapter<SelectQueryBuilder<ObjectLiteral>, ObjectLiteral> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly options: TypeOrmAdapterOptions = {},
  ) {}

  /**
   * Builds the query of a filter; nothing allowed gives a query with no rows, never an error.
   *
   * @example
   * const query = adapter.buildQuery(await buildAuthorizedFilter(oso, user, 'read', Expense));
   * @throws {DataFilteringError} on a condition SQL cannot express faithfully, naming it.
   */
  buildQuery(filter: Filter): SelectQueryBuilder<ObjectLiteral> {
    return new QueryCompiler(this.dataSource, this.options, filter).compile();
  }

  /**
   * Runs a query built by `buildQuery`. (Typed `unknown` so that the adapter fits an `Oso` of any query type.)
   *
   * @example
   * const expenses = await adapter.executeQuery(query);
   * @throws {DataFilteringError} when given something else than a query builder.
   */
  executeQuery(query: unknown): Promise<ObjectLiteral[]> {
    if (typeof (query as SelectQueryBuilder<ObjectLiteral> | null)?.getMany !== 'function') {
      throw new DataFilteringError('TypeOrmAdapter.executeQuery: expected a SelectQueryBuilder built by buildQuery');
    }
    return (query as SelectQueryBuilder<ObjectLiteral>).getMany();
  }
}

/**
 * Creates a TypeORM data filtering adapter for `dataSource`.
 *
 * @example
 * OsoModule.forRootAsync({
 *   inject: [DataSource],
 *   useFactory: (dataSource: DataSource) => ({ policyDir, dataFiltering: typeOrmAdapter(dataSource) }),
 * })
 * @publicApi
 */
export function typeOrmAdapter(dataSource: DataSource, options?: TypeOrmAdapterOptions): TypeOrmAdapter {
  return new TypeOrmAdapter(dataSource, options);
}
