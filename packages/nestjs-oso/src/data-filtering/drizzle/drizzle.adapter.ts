import type { SQL, Table } from 'drizzle-orm';
import type { Adapter, Filter } from 'oso';
import { DataFilteringError } from '../../errors/data-filtering.error.js';
import { DrizzleConditionCompiler } from './drizzle-condition.compiler.js';

/**
 * What `authorizedQuery` gives with the Drizzle adapter: the resource's table and the policy's condition on it, for
 * your own `db.select().from(query.table).where(and(query.where, ...))`. `where` is `1 = 0` when nothing is allowed
 * and `1 = 1` when everything is; rules that follow relations are `exists` subqueries, so rows are never repeated
 * and the select can be counted, ordered and paginated.
 *
 * @example
 * const query = await this.oso.authorizedQuery<DrizzleQuery<typeof expenses>>(user, 'read', Expense);
 * const page = await db.select().from(query.table).where(query.where).orderBy(expenses.id).limit(20);
 * @publicApi
 */
export interface DrizzleQuery<T extends Table = Table> {
  /** The resource's table; the condition names it, so select from it unaliased. */
  table: T;
  /** The condition, for `.where()`. */
  where: SQL;
  /** The class Polar knows the rows by: `executeQuery` returns instances of it. */
  polarClass: unknown;
}

/**
 * The Drizzle database the adapter runs its `select` on: any of `drizzle-orm`'s SQLite, PostgreSQL or MySQL
 * databases (it only needs `select().from().where()`).
 *
 * @example
 * const db: DrizzleDatabase = drizzle(client, { schema });
 * @publicApi
 */
export interface DrizzleDatabase {
  // `never` parameters: each dialect's builder takes its own table and condition types, which all fit here.
  select(): { from(table: never): { where(where: never): PromiseLike<unknown[]> } };
}

/**
 * Options of the Drizzle adapter.
 *
 * @example
 * new DrizzleAdapter(db, { tables: { 'app::Expense': expenses } })
 * @publicApi
 */
export interface DrizzleAdapterOptions {
  /** Tables of Polar types not registered with `drizzlePolarClasses`, by Polar name. */
  tables?: Record<string, Table>;
}

/**
 * A data filtering adapter for Drizzle ORM (0.45): it turns oso's filter into ONE SQL condition on the resource's
 * table (see `DrizzleQuery`), with each comparison as Polar makes it (`= != < <= > >= in`, `not in`, nil), on SQLite,
 * PostgreSQL and MySQL/MariaDB, and a `DataFilteringError` naming any condition SQL cannot express exactly. Tables and
 * relations come from `drizzlePolarClasses(schema)`.
 *
 * @example
 * const oso = await createOsoEngine({ policyDir, classes: drizzlePolarClasses(schema) });
 * oso.setDataFilteringAdapter(new DrizzleAdapter(db));
 * @publicApi
 */
export class DrizzleAdapter implements Adapter<DrizzleQuery, object> {
  constructor(
    private readonly db: DrizzleDatabase,
    private readonly options: DrizzleAdapterOptions = {},
  ) {}

  /**
   * Builds the condition of a filter; nothing allowed gives a condition no row meets, never an error.
   *
   * @example
   * const { table, where } = adapter.buildQuery(await buildAuthorizedFilter(oso, user, 'read', Expense));
   * @throws {DataFilteringError} on a condition SQL cannot express faithfully, naming it.
   */
  buildQuery(filter: Filter): DrizzleQuery {
    const { table, where } = new DrizzleConditionCompiler(filter, this.options.tables).compile();
    return { table, where, polarClass: filter.types.get(filter.model)?.cls };
  }

  /**
   * Selects the rows of a query, as instances of the Polar class (so that `isAllowed` and the engine's relation
   * lookups see them as it does).
   *
   * @example
   * const expenses = await adapter.executeQuery(query);
   * @throws {DataFilteringError} when given something else than a query built by `buildQuery`.
   */
  async executeQuery(query: unknown): Promise<object[]> {
    const { table, where, polarClass } = (query ?? {}) as Partial<DrizzleQuery>;
    if (table === undefined || where === undefined) {
      throw new DataFilteringError('DrizzleAdapter.executeQuery: expected a query built by buildQuery');
    }
    const rows = (await this.db
      .select()
      .from(table as never)
      .where(where as never)) as object[];
    if (typeof polarClass !== 'function') return rows;
    return rows.map((row) => Object.assign(Object.create(polarClass.prototype as object) as object, row));
  }
}

/**
 * Creates a Drizzle data filtering adapter for `db`.
 *
 * @example
 * OsoModule.forRootAsync({
 *   inject: [DRIZZLE],
 *   useFactory: (db: AppDatabase) => ({ policyDir, classes: drizzlePolarClasses(schema), dataFiltering: drizzleAdapter(db) }),
 * })
 * @publicApi
 */
export function drizzleAdapter(db: DrizzleDatabase, options?: DrizzleAdapterOptions): DrizzleAdapter {
  return new DrizzleAdapter(db, options);
}
