import { isDeepStrictEqual } from 'node:util';
import type { Adapter, Datum, Filter, FilterCondition } from 'oso';
import type { DataSource, EntityMetadata, EntityTarget, ObjectLiteral, RelationMetadata, SelectQueryBuilder } from 'typeorm';
import { describeRelation, filterBranches, mergeBranches, orderRelations, type FilterBranch, type FilterComparison, type FilterRelation } from '../authorized-filter.js';
import { DataFilteringError, describeCondition } from '../data-filtering.error.js';
import { registeredRelation } from '../registered-relation.js';

type ColumnMetadata = EntityMetadata['primaryColumns'][number];

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

const TRUE = '1=1';
const FALSE = '1=0';
let compilations = 0;

interface Scope {
  alias: string;
  metadata: EntityMetadata;
}

/** One SQL column of an operand, and how to read the matching value from an object of the other side. */
interface Part {
  sql: string;
  column: ColumnMetadata;
  /** For key columns: the value of an object (an entity) for this column. */
  pick?: (value: ObjectLiteral) => unknown;
}

type Operand =
  | { kind: 'value'; value: unknown }
  /**
   * One plain column (`key` undefined), the primary key of a whole entity (`key: 'entity'`, compared with entities
   * of its class only, as Polar does), or the join columns of a to-one relation (`key: 'relation'`, compared with an
   * entity or with a key value). `target` is the entity of the columns.
   */
  | { kind: 'columns'; parts: Part[]; key?: 'entity' | 'relation'; target?: EntityTarget<ObjectLiteral> }
  /** A PostgreSQL array column, which `in` can look into. */
  | { kind: 'array'; sql: string; column: ColumnMetadata }
  /** A to-many relation seen from one row (`Tag.posts`): compared to a value, it means "one of them is". */
  | { kind: 'members'; scope: Scope; relation: RelationMetadata; reversed: boolean };

/** Compiles one filter; holds the parameters and alias counters of that one query. */
class QueryCompiler {
  private readonly prefix = `oso${++compilations}_`;
  private readonly parameters: ObjectLiteral = {};
  private count = 0;
  private query!: SelectQueryBuilder<ObjectLiteral>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly options: TypeOrmAdapterOptions,
    private readonly filter: Filter,
  ) {}

  compile(): SelectQueryBuilder<ObjectLiteral> {
    const metadata = this.metadataOf(this.filter.model);
    const root: Scope = { alias: this.filter.model.replace(/\W/g, '_'), metadata };
    this.query = this.dataSource.createQueryBuilder(metadata.target, root.alias);
    const branches: string[] = [];
    for (const branch of mergeBranches(filterBranches(this.filter))) {
      const sql = this.branch(root, branch);
      // An unconditional rule: every row, with no WHERE at all.
      if (sql === TRUE) return this.query;
      if (sql !== FALSE) branches.push(sql);
    }
    const where = branches.length === 0 ? FALSE : branches.length === 1 ? branches[0]! : branches.map((b) => `(${b})`).join(' OR ');
    return this.query.where(`(${where})`, this.parameters);
  }

  /** One rule: plain conditions on the resource, or an EXISTS over the joins it needs. */
  private branch(root: Scope, branch: FilterBranch): string {
    const scopes = new Map<string, Scope>([[this.filter.model, root]]);
    if (branch.relations.length === 0) return this.and(branch.conditions.map((c) => this.condition(c, scopes)));
    const subquery = this.query.subQuery().select('1');
    const clauses: string[] = [];
    let first = true;
    for (const relation of orderRelations(this.filter.model, branch.relations)) {
      const from = scopes.get(relation.fromTypeName)!;
      const to: Scope = { alias: this.alias(relation.toTypeName), metadata: this.metadataOf(relation.toTypeName) };
      if (first) subquery.from(to.metadata.target, to.alias);
      else subquery.addFrom(to.metadata.target, to.alias);
      first = false;
      clauses.push(this.join(relation, from, to, subquery));
      scopes.set(relation.toTypeName, to);
    }
    const conditions = this.and([...clauses, ...branch.conditions.map((c) => this.condition(c, scopes))]);
    if (conditions === FALSE) return FALSE;
    return `EXISTS ${subquery.where(conditions).getQuery()}`;
  }

  /** The SQL of one join: the columns of the registered `Relation`, or else the entity's own TypeORM relation. */
  private join(relation: FilterRelation, from: Scope, to: Scope, subquery: SelectQueryBuilder<ObjectLiteral>): string {
    const registered = registeredRelation(this.filter.types, relation);
    if (registered) {
      const mine = this.keyParts(from, registered.myField);
      const other = this.keyParts(to, registered.otherField);
      if (mine && other && mine.length === other.length) {
        return this.and(mine.map((part, i) => `${part.sql} = ${other[i]!.sql}`));
      }
    }
    const own = from.metadata.findRelationWithPropertyPath(relation.fromFieldName);
    if (own && own.inverseEntityMetadata.target === to.metadata.target) return this.relationJoin(own, from, to, subquery);
    throw new DataFilteringError(
      `TypeOrmAdapter: cannot join ${describeRelation(relation)}: ` +
        (registered
          ? `the Relation's fields "${registered.myField}" and "${registered.otherField}" are not matching columns of ` +
            `${from.metadata.name} and ${to.metadata.name}, and ${from.metadata.name} has no relation "${relation.fromFieldName}" to ${to.metadata.name}`
          : `${relation.fromFieldName} is not a registered Relation nor a TypeORM relation of ${from.metadata.name}`),
    );
  }

  /** Join condition of a TypeORM relation from `from` to `to`; a many-to-many adds its junction table. */
  private relationJoin(relation: RelationMetadata, from: Scope, to: Scope, subquery: SelectQueryBuilder<ObjectLiteral>): string {
    const on = (a: Scope, column: ColumnMetadata, b: Scope) => `${this.column(a, column)} = ${this.column(b, column.referencedColumn!)}`;
    if (relation.isManyToMany) {
      const owning = relation.isOwning ? relation : relation.inverseRelation!;
      const junctionMetadata = owning.junctionEntityMetadata!;
      const junction: Scope = { alias: this.alias('junction'), metadata: junctionMetadata };
      subquery.addFrom(junctionMetadata.target, junction.alias);
      const [fromColumns, toColumns] = relation.isOwning
        ? [junctionMetadata.ownerColumns, junctionMetadata.inverseColumns]
        : [junctionMetadata.inverseColumns, junctionMetadata.ownerColumns];
      return this.and([...fromColumns.map((c) => on(junction, c, from)), ...toColumns.map((c) => on(junction, c, to))]);
    }
    if (relation.joinColumns.length > 0) return this.and(relation.joinColumns.map((c) => on(from, c, to)));
    return this.and(relation.inverseRelation!.joinColumns.map((c) => on(to, c, from)));
  }

  private condition(condition: FilterCondition, scopes: Map<string, Scope>): string {
    const lhs = this.operand(condition.lhs, scopes, condition);
    const rhs = this.operand(condition.rhs, scopes, condition);
    switch (condition.cmp as FilterComparison) {
      case 'Eq':
        return this.equal(lhs, rhs, condition);
      case 'Neq':
        return this.not(this.equal(lhs, rhs, condition), lhs, rhs, condition);
      case 'Lt':
      case 'Leq':
      case 'Gt':
      case 'Geq':
        return this.order(lhs, rhs, condition);
      case 'In':
        return this.member(lhs, rhs, condition, false);
      case 'Nin':
        return this.member(lhs, rhs, condition, true);
      default:
        throw this.unsupported(condition, `the comparison ${String(condition.cmp)} is not supported`);
    }
  }

  private operand(datum: Datum, scopes: Map<string, Scope>, condition: FilterCondition): Operand {
    if (!('typeName' in datum)) {
      // Polar has no undefined: it comes from the engine following a relation on an instance, reading a key
      // property that the instance does not have.
      if (datum.value === undefined) {
        throw this.unsupported(
          condition,
          'the value is undefined: a relation was followed on an instance that does not hold its key. Declare the ' +
            'foreign key column (@Column() organizationId) or a @RelationId, or load the relation',
        );
      }
      return { kind: 'value', value: datum.value };
    }
    const scope = scopes.get(datum.typeName);
    if (!scope) throw this.unsupported(condition, `it refers to ${datum.typeName}, which the query does not join`);
    const field = datum.fieldName;
    if (field === undefined) return this.entityKey(scope);
    const relation = relationOf(scope.metadata, field);
    if (relation) {
      const parts = this.keyParts(scope, field);
      return parts ? { kind: 'columns', parts, key: 'relation' } : { kind: 'members', scope, relation, reversed: false };
    }
    const column = scope.metadata.findColumnWithPropertyPath(field);
    if (column) {
      return column.isArray
        ? { kind: 'array', sql: this.column(scope, column), column }
        : { kind: 'columns', parts: [{ sql: this.column(scope, column), column }], target: scope.metadata.target };
    }
    // "Post#tags": the other side of Post.tags, as `typeOrmPolarClasses` names a many-to-many without an inverse.
    const [owner, property] = field.split('#');
    if (owner && property) {
      const ownRelation = this.metadataOf(owner).findRelationWithPropertyPath(property);
      if (ownRelation && ownRelation.inverseEntityMetadata.target === scope.metadata.target) {
        return { kind: 'members', scope, relation: ownRelation, reversed: true };
      }
    }
    throw this.unsupported(condition, `${scope.metadata.name} has no column or relation "${field}"`);
  }

  /** The columns of a field that holds a key: a plain column, or the join columns of a to-one relation. */
  private keyParts(scope: Scope, field: string): Part[] | undefined {
    const relation = relationOf(scope.metadata, field);
    if (relation) {
      if (relation.isManyToMany || relation.joinColumns.length === 0) return undefined;
      return relation.joinColumns.map((column) => ({
        sql: this.column(scope, column),
        column,
        pick: (value) => column.referencedColumn!.getEntityValue(value),
      }));
    }
    const column = scope.metadata.findColumnWithPropertyPath(field);
    if (!column || column.isArray) return undefined;
    return [{ sql: this.column(scope, column), column }];
  }

  private entityKey(scope: Scope): Extract<Operand, { kind: 'columns' }> {
    const parts = scope.metadata.primaryColumns.map((column) => ({
      sql: this.column(scope, column),
      column,
      pick: (value: ObjectLiteral) => column.getEntityValue(value),
    }));
    return { kind: 'columns', parts, key: 'entity', target: scope.metadata.target };
  }

  /** `a = b`, with Polar's meaning of nil (nil = nil), entities compared by key and to-many relations by membership. */
  private equal(lhs: Operand, rhs: Operand, condition: FilterCondition): string {
    if (lhs.kind === 'value' && rhs.kind === 'value') return isDeepStrictEqual(lhs.value, rhs.value) ? TRUE : FALSE;
    if (rhs.kind === 'members') [lhs, rhs] = [rhs, lhs];
    if (lhs.kind === 'members') {
      if (rhs.kind === 'value') return this.membership(lhs, rhs.value, condition);
      throw this.unsupported(condition, 'a to-many relation can only be compared with a value');
    }
    if (rhs.kind === 'value') [lhs, rhs] = [rhs, lhs];
    if (lhs.kind === 'value' && rhs.kind === 'columns') {
      const values = this.valuesFor(rhs, lhs.value);
      if (values === undefined) return FALSE;
      return this.and(rhs.parts.map((part, i) => this.same(part, values[i])));
    }
    if (lhs.kind === 'columns' && rhs.kind === 'columns' && lhs.parts.length === rhs.parts.length && !lhs.key === !rhs.key) {
      return this.and(lhs.parts.map((part, i) => this.sameColumns(part, rhs.parts[i]!)));
    }
    throw this.unsupported(condition, 'SQL cannot compare these two sides faithfully');
  }

  /** `a != b`: the negation of `a = b`, where nullable columns make plain SQL `<>` miss the rows holding nil. */
  private not(equal: string, lhs: Operand, rhs: Operand, condition: FilterCondition): string {
    if (equal === TRUE) return FALSE;
    if (equal === FALSE) return TRUE;
    if (lhs.kind === 'members' || rhs.kind === 'members') return `NOT ${equal}`;
    if (rhs.kind === 'value') [lhs, rhs] = [rhs, lhs];
    if (lhs.kind === 'value' && rhs.kind === 'columns') {
      const values = this.valuesFor(rhs, lhs.value)!;
      return this.or(rhs.parts.map((part, i) => this.distinct(part, values[i])));
    }
    if (lhs.kind === 'columns' && rhs.kind === 'columns') {
      return this.or(lhs.parts.map((part, i) => this.distinctColumns(part, rhs.parts[i]!)));
    }
    throw this.unsupported(condition, 'SQL cannot compare these two sides faithfully');
  }

  private order(lhs: Operand, rhs: Operand, condition: FilterCondition): string {
    const operator = { Lt: '<', Leq: '<=', Gt: '>', Geq: '>=' }[condition.cmp as 'Lt' | 'Leq' | 'Gt' | 'Geq'];
    const side = (operand: Operand, other: Operand): string => {
      if (operand.kind === 'columns' && operand.parts.length === 1 && !operand.key) return operand.parts[0]!.sql;
      if (operand.kind === 'value' && other.kind === 'columns' && !isObject(operand.value)) {
        return this.parameter(this.prepare(operand.value, other.parts[0]!.column));
      }
      throw this.unsupported(condition, `${operator} needs a column and a value or two columns`);
    };
    if (lhs.kind === 'value' && rhs.kind === 'value') {
      throw this.unsupported(condition, 'it compares two constants');
    }
    if ((lhs.kind === 'value' && lhs.value === null) || (rhs.kind === 'value' && rhs.value === null)) return FALSE;
    return `${side(lhs, rhs)} ${operator} ${side(rhs, lhs)}`;
  }

  /** `element in collection` (or `not in`): a list value, a PostgreSQL array column, or a to-many relation. */
  private member(element: Operand, collection: Operand, condition: FilterCondition, negated: boolean): string {
    if (collection.kind === 'value') {
      if (!Array.isArray(collection.value)) throw this.unsupported(condition, 'the right side is not a list');
      if (element.kind === 'value') {
        const found = collection.value.some((item) => isDeepStrictEqual(item, element.value));
        return found !== negated ? TRUE : FALSE;
      }
      const list = collection.value;
      if (element.kind === 'columns' && !element.key && list.every((item) => item !== null && !isObject(item))) {
        // A plain column and plain values: one IN list. An empty list allows nothing (`in`) or everything (`not in`).
        if (list.length === 0) return negated ? TRUE : FALSE;
        const part = element.parts[0]!;
        const values = this.parameter(list.map((item) => this.prepare(item, part.column)), true);
        if (!negated) return `${part.sql} IN (${values})`;
        return part.column.isNullable ? `(${part.sql} NOT IN (${values}) OR ${part.sql} IS NULL)` : `${part.sql} NOT IN (${values})`;
      }
      const each = list.map((value) => this.equal(element, { kind: 'value', value }, condition));
      if (!negated) return this.or(each);
      return this.and(collection.value.map((value, i) => this.not(each[i]!, element, { kind: 'value', value }, condition)));
    }
    if (collection.kind === 'members' && element.kind === 'value') {
      const sql = this.membership(collection, element.value, condition);
      return negated ? `NOT ${sql}` : sql;
    }
    if (collection.kind === 'array') {
      if (!['postgres', 'cockroachdb'].includes(this.dataSource.options.type)) {
        throw this.unsupported(condition, `"in" on an array column needs PostgreSQL, not ${this.dataSource.options.type}`);
      }
      let sql: string;
      if (element.kind === 'value' && !isObject(element.value)) sql = this.parameter(element.value);
      else if (element.kind === 'columns' && element.parts.length === 1 && !element.key) sql = element.parts[0]!.sql;
      else throw this.unsupported(condition, 'only a value or a column can be looked up in an array column');
      // Polar cannot look into nil: both `in` and `not in` fail on a NULL array, as `= ANY(NULL)` does.
      return negated
        ? `(${collection.sql} IS NOT NULL AND NOT (${sql} = ANY(${collection.sql})))`
        : `${sql} = ANY(${collection.sql})`;
    }
    throw this.unsupported(condition, '"in" needs a list, an array column or a to-many relation on its right');
  }

  /** "One of the rows related to this one through `relation` has this key", as an EXISTS subquery. */
  private membership(members: Extract<Operand, { kind: 'members' }>, value: unknown, condition: FilterCondition): string {
    const { relation, reversed, scope } = members;
    const otherMetadata = reversed ? relation.entityMetadata : relation.inverseEntityMetadata;
    const other: Scope = { alias: this.alias(otherMetadata.name), metadata: otherMetadata };
    const subquery = this.query.subQuery().select('1').from(otherMetadata.target, other.alias);
    const join = reversed ? this.relationJoin(relation, other, scope, subquery) : this.relationJoin(relation, scope, other, subquery);
    // The compared value is the other side's key (from the engine following a relation) or an entity of it.
    const key: Operand = { ...this.entityKey(other), key: 'relation' };
    const match = this.equal(key, { kind: 'value', value }, condition);
    if (match === FALSE) return FALSE;
    return `EXISTS ${subquery.where(this.and([join, match])).getQuery()}`;
  }

  /**
   * The value of each column for a compared value, or `undefined` when Polar would never find them equal: an entity
   * gives its keys (if it is of the entity's class), a relation's key columns also take a plain key value, and a
   * plain column takes a plain value (or anything, for a JSON column).
   */
  private valuesFor(operand: Extract<Operand, { kind: 'columns' }>, value: unknown): unknown[] | undefined {
    if (value === null || value === undefined) return operand.parts.map(() => null);
    if (!operand.key) {
      const column = operand.parts[0]!.column;
      if (!isObject(value) || isJsonColumn(column)) return [value];
      // `Organization.id = <an Organization>`: the engine following a relation whose key property is the relation
      // itself, loaded on the instance.
      return typeof operand.target === 'function' && value instanceof operand.target ? [column.getEntityValue(value)] : undefined;
    }
    if (!isObject(value)) return operand.key === 'relation' && operand.parts.length === 1 ? [value] : undefined;
    if (typeof operand.target === 'function' && !(value instanceof operand.target)) return undefined;
    const keys = operand.parts.map((part) => part.pick!(value as ObjectLiteral));
    return keys.some((key) => key === undefined || key === null) ? undefined : keys;
  }

  private same(part: Part, value: unknown): string {
    const prepared = value === null ? null : this.prepare(value, part.column);
    return prepared === null || prepared === undefined ? `${part.sql} IS NULL` : `${part.sql} = ${this.parameter(prepared)}`;
  }

  private distinct(part: Part, value: unknown): string {
    const prepared = value === null ? null : this.prepare(value, part.column);
    if (prepared === null || prepared === undefined) return `${part.sql} IS NOT NULL`;
    const sql = `${part.sql} <> ${this.parameter(prepared)}`;
    // Polar says `nil != "x"`; SQL says NULL <> 'x' is unknown, so nullable columns add the NULL rows back.
    return part.column.isNullable ? `(${sql} OR ${part.sql} IS NULL)` : sql;
  }

  private sameColumns(a: Part, b: Part): string {
    const sql = `${a.sql} = ${b.sql}`;
    return a.column.isNullable || b.column.isNullable ? `(${sql} OR (${a.sql} IS NULL AND ${b.sql} IS NULL))` : sql;
  }

  private distinctColumns(a: Part, b: Part): string {
    const sql = `${a.sql} <> ${b.sql}`;
    if (!a.column.isNullable && !b.column.isNullable) return sql;
    return `(${sql} OR (${a.sql} IS NULL AND ${b.sql} IS NOT NULL) OR (${a.sql} IS NOT NULL AND ${b.sql} IS NULL))`;
  }

  private and(clauses: string[]): string {
    if (clauses.includes(FALSE)) return FALSE;
    const kept = clauses.filter((clause) => clause !== TRUE);
    return kept.length === 0 ? TRUE : kept.length === 1 ? kept[0]! : kept.map((c) => `(${c})`).join(' AND ');
  }

  private or(clauses: string[]): string {
    if (clauses.includes(TRUE)) return TRUE;
    const kept = clauses.filter((clause) => clause !== FALSE);
    return kept.length === 0 ? FALSE : kept.length === 1 ? kept[0]! : `(${kept.map((c) => `(${c})`).join(' OR ')})`;
  }

  private prepare(value: unknown, column: ColumnMetadata): unknown {
    return this.dataSource.driver.preparePersistentValue(value, column);
  }

  private parameter(value: unknown, list = false): string {
    const name = `${this.prefix}${this.count++}`;
    this.parameters[name] = value;
    return list ? `:...${name}` : `:${name}`;
  }

  private alias(typeName: string): string {
    return `oso_${typeName.replace(/\W/g, '_')}_${this.count++}`;
  }

  private column(scope: Scope, column: ColumnMetadata): string {
    return `${this.query.escape(scope.alias)}.${this.query.escape(column.databaseName)}`;
  }

  private metadataOf(typeName: string): EntityMetadata {
    const target = this.options.entities?.[typeName] ?? this.filter.types.get(typeName)?.cls;
    if (target === undefined || !this.dataSource.hasMetadata(target)) {
      throw new DataFilteringError(
        `TypeOrmAdapter: the Polar type ${typeName} is not an entity of this DataSource; register the entity class ` +
          'itself with Polar, or map the type with the "entities" option',
      );
    }
    return this.dataSource.getMetadata(target);
  }

  private unsupported(condition: FilterCondition, reason: string): DataFilteringError {
    return new DataFilteringError(
      `TypeOrmAdapter: cannot filter ${this.filter.model} on the condition ${describeCondition(condition)}: ${reason}`,
    );
  }
}

/** The relation a property stands for: the relation itself, or a `@RelationId` of it. */
function relationOf(metadata: EntityMetadata, field: string): RelationMetadata | undefined {
  return (
    metadata.findRelationWithPropertyPath(field) ??
    metadata.relationIds.find((relationId) => relationId.propertyName === field)?.relation
  );
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !(value instanceof Date) && !Buffer.isBuffer(value);
}

function isJsonColumn(column: ColumnMetadata): boolean {
  return ['json', 'jsonb', 'simple-json'].includes(String(column.type));
}
