import type { Adapter, Class, Filter, Oso } from 'oso';
import { DataFilteringError } from '../../errors/data-filtering.error.js';
import { buildAuthorizedQuery } from '../authorized-resources.js';
import { primaryKeyOf, prismaDatamodel, type PrismaDatamodel } from './prisma-datamodel.js';
import { PrismaWhereCompiler, type PrismaWhere } from './prisma-where.compiler.js';

/**
 * Options of the Prisma adapter.
 *
 * @example
 * new PrismaAdapter(prisma, { models: { 'app::Expense': 'Expense' } })
 * @publicApi
 */
export interface PrismaAdapterOptions {
  /** The Prisma model of each Polar type whose name is not the model's, by Polar name. */
  models?: Record<string, string>;
  /** The schema's models, when the client does not carry its schema (see `prismaDatamodel`). */
  datamodel?: PrismaDatamodel;
}

/**
 * The model a `where` object built by the adapter is for, and the class its rows are instances of for the engine:
 * kept off the object's enumerable keys, which are all Prisma reads.
 */
const MODEL = Symbol('nestjs-oso:prisma-model');
interface Target {
  model: string;
  cls?: new () => object;
  /** The primary key fields, which `executeQuery` orders the rows by. */
  key: string[];
}

/** The delegates of a Prisma client (`prisma.expense`), as far as the adapter uses them. */
type PrismaClientLike = object;
interface Delegate {
  findMany(args: { where: PrismaWhere; orderBy?: object[] }): Promise<object[]>;
}

/**
 * A data filtering adapter for Prisma 6 and 7: it turns oso's filter into ONE `where` object for the resource's
 * model, with each rule that follows relations as nested relation filters (`is` for a to-one relation, `some` for a
 * to-many one). The object composes with the app's own filter (`{ AND: [authorized, mine] }`) and with `orderBy`,
 * `take`, `skip`, `select` and `include`; `buildQuery` returns it, so `OsoService.authorizedQuery` gives it too.
 * It compares Int, Float, String and Boolean fields (and enums) exactly as Polar does, nil included, and raises a
 * `DataFilteringError` naming any condition a `where` cannot say exactly.
 *
 * @example
 * const where = await this.oso.authorizedQuery<Prisma.ExpenseWhereInput>(user, 'read', 'Expense');
 * return this.prisma.expense.findMany({ where: { AND: [where, { amount: { gt: 100 } }] }, orderBy: { id: 'asc' }, take: 20 });
 * @publicApi
 */
export class PrismaAdapter implements Adapter<PrismaWhere, object> {
  private readonly datamodel: PrismaDatamodel;

  constructor(
    private readonly prisma: PrismaClientLike,
    private readonly options: PrismaAdapterOptions = {},
  ) {
    this.datamodel = options.datamodel ?? prismaDatamodel(prisma);
  }

  /**
   * The `where` object of a filter; nothing allowed gives `{ OR: [] }` (no row), every row gives `{}`.
   *
   * @example
   * const where = adapter.buildQuery(await buildAuthorizedFilter(oso, user, 'read', 'Expense'));
   * @throws {DataFilteringError} on a condition a Prisma filter cannot express faithfully, naming it.
   */
  buildQuery(filter: Filter): PrismaWhere {
    const compiler = new PrismaWhereCompiler(this.datamodel, filter, this.options.models, (model, field) => {
      const delegate = (this.prisma as Record<string, { fields?: Record<string, unknown> } | undefined>)[
        delegateName(model)
      ];
      return delegate?.fields?.[field];
    });
    const where = compiler.compile();
    const cls = filter.types.get(filter.model)?.cls as Target['cls'];
    const model = compiler.modelOf(filter.model);
    const target: Target = { model: model.name, cls, key: primaryKeyOf(model) };
    Object.defineProperty(where, MODEL, { value: target, enumerable: false });
    return where;
  }

  /**
   * Runs `findMany` with a `where` built by `buildQuery`, on its model's delegate, in primary key order. The rows become instances of the
   * model's registered class (without calling its constructor), so that the engine, which gets them when it follows
   * a relation in `isAllowed`, matches them on the class (`m: Membership`) and finds them equal to the app's
   * instances of the same row.
   *
   * @example
   * const expenses = await adapter.executeQuery(where);
   * @throws {DataFilteringError} when given something else than a `where` built by `buildQuery`.
   */
  async executeQuery(query: unknown): Promise<object[]> {
    const target = (query as { [MODEL]?: Target } | null)?.[MODEL];
    const delegate =
      target === undefined
        ? undefined
        : (this.prisma as Record<string, Delegate | undefined>)[delegateName(target.model)];
    if (typeof delegate?.findMany !== 'function') {
      throw new DataFilteringError('PrismaAdapter.executeQuery: expected a where object built by buildQuery');
    }
    // In key order: the engine follows a relation through the rows in the order it gets them, and stops at the first
    // that passes, so an order of the database's choosing could make it raise on one database and not on another.
    const orderBy = target!.key.map((field) => ({ [field]: 'asc' }));
    const rows = await delegate.findMany({ where: query as PrismaWhere, ...(orderBy.length > 0 && { orderBy }) });
    const cls = target!.cls;
    return cls ? rows.map((row) => Object.assign(Object.create(cls.prototype) as object, row)) : rows;
  }
}

/** The client's property for a model: `prisma.expense` for `Expense`. */
function delegateName(model: string): string {
  return model.charAt(0).toLowerCase() + model.slice(1);
}

/**
 * Creates a Prisma data filtering adapter for a client (a `PrismaService` that extends `PrismaClient`).
 *
 * @example
 * OsoModule.forRootAsync({
 *   inject: [PrismaService],
 *   useFactory: (prisma: PrismaService) => ({
 *     policyDir,
 *     classes: prismaPolarClasses(prisma, { classes: { User, Expense } }),
 *     dataFiltering: prismaAdapter(prisma),
 *   }),
 * })
 * @publicApi
 */
export function prismaAdapter(prisma: object, options?: PrismaAdapterOptions): PrismaAdapter {
  return new PrismaAdapter(prisma, options);
}

/**
 * The Prisma `where` object of the resources of `model` that `actor` may do `action` on, through the engine's
 * Prisma adapter (or `adapter`). What `OsoService.authorizedQuery` returns with `prismaAdapter`, for code that
 * holds the `Oso` engine.
 *
 * @example
 * const rows = await prisma.expense.findMany({ where: { AND: [await authorizedWhere(oso, user, 'read', 'Expense'), mine] } });
 * @throws {DataFilteringError} when the policy cannot be expressed as a filter.
 * @publicApi
 */
export function authorizedWhere<Where extends object = PrismaWhere>(
  oso: Oso,
  actor: unknown,
  action: unknown,
  model: Class | string,
  adapter?: PrismaAdapter,
): Promise<Where> {
  const chosen = adapter ?? oso.getHost().adapter;
  if (!(chosen instanceof PrismaAdapter)) {
    throw new DataFilteringError('authorizedWhere: the engine has no PrismaAdapter; pass one, or set dataFiltering');
  }
  return buildAuthorizedQuery<Where>(oso, actor, action, model, chosen as unknown as Adapter<Where, unknown>);
}
