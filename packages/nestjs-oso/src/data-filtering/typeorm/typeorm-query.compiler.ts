/**
 * The TypeORM adapter's query compiler: oso's filter as ONE `SelectQueryBuilder` on the resource's entity, each rule
 * that follows relations an `EXISTS` subquery, each comparison as Polar makes it (by column kind, nil as the engine's
 * JavaScript, a whole row and an object as the engine's lodash `isEqual` compares them: the class and every column,
 * to-many relations by membership), and a `DataFilteringError` naming the condition SQL cannot express faithfully.
 * Values are compared with the engine's own equality.
 */
import type { Datum, Filter, FilterCondition } from 'oso';
import type {
  DataSource,
  EntityMetadata,
  EntityTarget,
  ObjectLiteral,
  RelationMetadata,
  SelectQueryBuilder,
} from 'typeorm';
import {
  describeRelation,
  filterBranches,
  mergeBranches,
  orderRelations,
  polarTypeName,
  type FilterBranch,
  type FilterComparison,
  type FilterRelation,
} from '../authorized-filter.js';
import { DataFilteringError } from '../../errors/data-filtering.error.js';
import { defaultEqualityFn } from '../../engine/oso-library.js';
import { printFilterCondition } from '../../engine/polar-printer.js';
import { registeredRelation } from '../registered-relation.js';
import { AskEngine, compare, type ComparisonOperator } from '../../compiled-decisions/polar-values.js';
import { columnKind, holdsKindOf, polarFamily, type ColumnKind, type Dialect } from './typeorm-column-kind.js';
import type { TypeOrmAdapterOptions } from './typeorm.adapter.js';

type ColumnMetadata = EntityMetadata['primaryColumns'][number];

const TRUE = '1=1';
type OrderOperator = 'Lt' | 'Leq' | 'Gt' | 'Geq';
const SQL_ORDER: Record<OrderOperator, string> = { Lt: '<', Leq: '<=', Gt: '>', Geq: '>=' };
/** `value op column` is `column FLIPPED[op] value`. */
const FLIPPED: Record<OrderOperator, OrderOperator> = { Lt: 'Gt', Leq: 'Geq', Gt: 'Lt', Geq: 'Leq' };
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
  | {
      kind: 'columns';
      parts: Part[];
      key?: 'entity' | 'relation';
      target?: EntityTarget<ObjectLiteral>;
      /** For a whole entity: the row's scope, whose every column a comparison with an object reads. */
      scope?: Scope;
      /** A relation property itself, which holds the related objects on an instance (not a `@RelationId`). */
      loaded?: boolean;
    }
  /** A PostgreSQL array column, which `in` can look into. */
  | { kind: 'array'; sql: string; column: ColumnMetadata }
  /** A to-many relation seen from one row (`Tag.posts`): compared to a value, it means "one of them is". */
  | { kind: 'members'; scope: Scope; relation: RelationMetadata; reversed: boolean };

/**
 * Compiles one filter into one `SelectQueryBuilder` (see `TypeOrmAdapter`); holds the parameters and alias counters
 * of that one query.
 *
 * @internal
 */
export class QueryCompiler {
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
    const where =
      branches.length === 0 ? FALSE : branches.length === 1 ? branches[0]! : branches.map((b) => `(${b})`).join(' OR ');
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
    const conditions = this.and([
      ...clauses,
      ...branch.conditions.map((c) => this.condition(c, scopes)),
      ...this.uncached(root),
    ]);
    if (conditions === FALSE) return FALSE;
    return `EXISTS ${subquery.where(conditions).getQuery()}`;
  }

  /**
   * MariaDB caches a correlated subquery's result by the outer columns it reads, compared under their collation: a
   * row whose `code` is `'a '` got the cached answer of one whose `code` is `'a'` (PAD SPACE), although the subquery
   * compares them byte for byte. Reading the outer row's primary key too makes every cache key unique to its row.
   */
  private uncached(root: Scope): string[] {
    if (this.dialect() !== 'mysql') return [];
    return root.metadata.primaryColumns.map((column) => `${this.column(root, column)} IS NOT NULL`);
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
    if (own && own.inverseEntityMetadata.target === to.metadata.target)
      return this.relationJoin(own, from, to, subquery);
    throw new DataFilteringError(
      `TypeOrmAdapter: cannot join ${describeRelation(relation)}: ` +
        (registered
          ? `the Relation's fields "${registered.myField}" and "${registered.otherField}" are not matching columns of ` +
            `${from.metadata.name} and ${to.metadata.name}, and ${from.metadata.name} has no relation "${relation.fromFieldName}" to ${to.metadata.name}`
          : `${relation.fromFieldName} is not a registered Relation nor a TypeORM relation of ${from.metadata.name}`),
    );
  }

  /** Join condition of a TypeORM relation from `from` to `to`; a many-to-many adds its junction table. */
  private relationJoin(
    relation: RelationMetadata,
    from: Scope,
    to: Scope,
    subquery: SelectQueryBuilder<ObjectLiteral>,
  ): string {
    const on = (a: Scope, column: ColumnMetadata, b: Scope) =>
      `${this.column(a, column)} = ${this.column(b, column.referencedColumn!)}`;
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
        this.checkCondition(condition, lhs, rhs);
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
      const loaded = scope.metadata.findRelationWithPropertyPath(field) !== undefined;
      return parts
        ? { kind: 'columns', parts, key: 'relation', loaded }
        : { kind: 'members', scope, relation, reversed: false };
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
    return { kind: 'columns', parts, key: 'entity', target: scope.metadata.target, scope };
  }

  /**
   * The engine rewrites a field used as a condition (`if i.flag`) into `true = i.flag`, and raises on an item whose
   * field is not a boolean (nil included) where `i.flag = true` is merely false. The two cannot be told apart (nor
   * the order of the rule's conditions), so `true = column` raises unless every value of the column is a boolean:
   * a NOT NULL boolean column.
   */
  private checkCondition(condition: FilterCondition, lhs: Operand, rhs: Operand): void {
    const [value, column] = lhs.kind === 'value' ? [lhs, rhs] : [rhs, lhs];
    if (value.kind !== 'value' || value.value !== true || column.kind !== 'columns' || column.key) return;
    const part = column.parts[0]!;
    const kind = this.kind(part);
    if (kind === 'boolean' && !part.column.isNullable) return;
    throw this.unsupported(
      condition,
      kind === 'boolean'
        ? 'the column may hold nil, on which the engine raises if the rule uses it as a condition (`if x.flag`), which ' +
            'reaches data filtering as `true = x.flag`; make the column NOT NULL, or write `x.flag != false and x.flag != nil`'
        : `${withArticle(kind)} column used as a condition (or compared with true): the engine raises on values that are not booleans`,
    );
  }

  /** `a = b`, with Polar's meaning of nil (nil = nil), entities compared by key and to-many relations by membership. */
  private equal(lhs: Operand, rhs: Operand, condition: FilterCondition): string {
    if (lhs.kind === 'value' && rhs.kind === 'value') return defaultEqualityFn(lhs.value, rhs.value) ? TRUE : FALSE;
    if (rhs.kind === 'members') [lhs, rhs] = [rhs, lhs];
    if (lhs.kind === 'members') {
      if (rhs.kind === 'value') return this.membership(lhs, rhs.value, condition);
      throw this.unsupported(condition, 'a to-many relation can only be compared with a value');
    }
    if (rhs.kind === 'value') [lhs, rhs] = [rhs, lhs];
    if (lhs.kind === 'value' && rhs.kind === 'columns' && rhs.key === 'entity') {
      return this.sameRow(rhs, lhs.value, condition, false);
    }
    if (lhs.kind === 'value' && rhs.kind === 'columns') {
      const values = this.valuesFor(rhs, lhs.value, condition);
      if (values === undefined) return FALSE;
      return this.and(rhs.parts.map((part, i) => this.same(part, values[i], condition)));
    }
    if (
      lhs.kind === 'columns' &&
      rhs.kind === 'columns' &&
      lhs.parts.length === rhs.parts.length &&
      !lhs.key === !rhs.key
    ) {
      // Rows of two classes are never equal objects; rows of one are exactly when they are one row (one key).
      if (lhs.key === 'entity' && rhs.key === 'entity' && lhs.target !== rhs.target) return FALSE;
      return this.and(lhs.parts.map((part, i) => this.sameColumns(part, rhs.parts[i]!, condition)));
    }
    throw this.unsupported(condition, 'SQL cannot compare these two sides faithfully');
  }

  /** `a != b`: the negation of `a = b`, where nullable columns make plain SQL `<>` miss the rows holding nil. */
  private not(equal: string, lhs: Operand, rhs: Operand, condition: FilterCondition): string {
    if (rhs.kind === 'value') [lhs, rhs] = [rhs, lhs];
    if (lhs.kind === 'value' && rhs.kind === 'columns' && rhs.key === 'entity') {
      return this.sameRow(rhs, lhs.value, condition, true);
    }
    // A plain column and a value: `!=` is checked on its own, since the engine raises where `=` is merely false.
    if (lhs.kind === 'value' && rhs.kind === 'columns' && !rhs.key && !isObject(lhs.value)) {
      return this.distinct(rhs.parts[0]!, lhs.value, condition);
    }
    if (
      lhs.kind === 'columns' &&
      rhs.kind === 'columns' &&
      !lhs.key &&
      !rhs.key &&
      lhs.parts.length === 1 &&
      rhs.parts.length === 1
    ) {
      return this.distinctColumns(lhs.parts[0]!, rhs.parts[0]!, condition);
    }
    if (equal === TRUE) return FALSE;
    if (equal === FALSE) return TRUE;
    if (lhs.kind === 'members' || rhs.kind === 'members') return `NOT ${equal}`;
    if (lhs.kind === 'value' && rhs.kind === 'columns') {
      const values = this.valuesFor(rhs, lhs.value, condition)!;
      return this.or(rhs.parts.map((part, i) => this.distinct(part, values[i], condition)));
    }
    if (lhs.kind === 'columns' && rhs.kind === 'columns') {
      return this.or(lhs.parts.map((part, i) => this.distinctColumns(part, rhs.parts[i]!, condition)));
    }
    throw this.unsupported(condition, 'SQL cannot compare these two sides faithfully');
  }

  /**
   * A row equal to (or, `negated`, different from) an object as lodash's `isEqual` (the engine's equality of host
   * objects) finds them, the row being what this adapter's own query loads (`getMany`: the entity's class, every
   * selected column, its to-one `@RelationId`s, no relation): an instance of the entity's class with
   * exactly those own properties, each equal to the row's value. Comparing the key alone would let an object that
   * only shares the key (an actor made from a token, a stale copy) stand for the row. Columns whose loaded value SQL
   * cannot match exactly (dates, JSON, decimals, transformed columns) raise, unless the object holds nil there.
   */
  private sameRow(
    operand: Extract<Operand, { kind: 'columns' }>,
    value: unknown,
    condition: FilterCondition,
    negated: boolean,
  ): string {
    const scope = operand.scope!;
    const { metadata } = scope;
    const verdict = negated ? TRUE : FALSE;
    if (!isObject(value) || Array.isArray(value)) return verdict;
    const columns = metadata.columns.filter((column) => !column.isVirtual && column.isSelect);
    if (metadata.discriminatorColumn || metadata.childEntityMetadatas.length > 0 || metadata.embeddeds.length > 0) {
      throw this.unsupported(
        condition,
        `it compares a whole ${metadata.name} with an object, and rows of an entity with table inheritance or ` +
          'embedded columns load in shapes SQL cannot compare; compare keys (x.id = y.id)',
      );
    }
    if (typeof metadata.target !== 'function' || columns.some((column) => column.isVirtualProperty)) {
      throw this.unsupported(
        condition,
        `it compares a whole ${metadata.name} with an object, and rows of an entity schema without a class or with ` +
          'virtual columns load in shapes SQL cannot compare; compare keys (x.id = y.id)',
      );
    }
    // isEqual wants one constructor, and skips the check for an object without any (a null prototype).
    if ('constructor' in value && value.constructor !== metadata.target) return verdict;
    // isEqual compares enumerable symbol properties too; a loaded row has none.
    if (Object.getOwnPropertySymbols(value).some((s) => Object.prototype.propertyIsEnumerable.call(value, s))) {
      return verdict;
    }
    const object = value as Record<string, unknown>;
    const typename = this.dataSource.options.typename;
    const expected = new Set([...columns.map((c) => c.propertyName), ...(typename ? [typename] : [])]);
    const clauses: string[] = [];
    for (const relationId of metadata.relationIds) {
      const relation = relationId.relation;
      if (!(relation.isManyToOne || relation.isOneToOneOwner) || relation.joinColumns.length !== 1) {
        throw this.unsupported(
          condition,
          `it compares a whole ${metadata.name} with an object, and its @RelationId "${relationId.propertyName}" ` +
            'loads a list or a composite key SQL cannot compare; compare keys (x.id = y.id)',
        );
      }
      // A to-one @RelationId is loaded as the foreign key's value, nil included.
      const column = relation.joinColumns[0]!;
      expected.add(relationId.propertyName);
      const id = object[relationId.propertyName];
      const part: Part = { sql: this.column(scope, column), column };
      clauses.push(id === null ? `${part.sql} IS NULL` : this.sameLoaded(part, id, condition));
    }
    if (typename && object[typename] !== metadata.targetName) return verdict;
    const keys = Object.keys(object);
    if (keys.length !== expected.size || !keys.every((key) => expected.has(key))) return verdict;
    for (const column of columns) {
      const part: Part = { sql: this.column(scope, column), column };
      clauses.push(this.sameLoaded(part, object[column.propertyName], condition));
    }
    const equal = this.and(clauses);
    if (!negated) return equal;
    if (equal === TRUE || equal === FALSE) return equal === TRUE ? FALSE : TRUE;
    // NOT over a nil column would be unknown, not true: the CASE makes unknown a plain "not equal".
    return `(CASE WHEN (${equal}) THEN 1 ELSE 0 END) = 0`;
  }

  /** `column = value` as a loaded row's property is isEqual to it. */
  private sameLoaded(part: Part, value: unknown, condition: FilterCondition): string {
    const column = part.column;
    if (value === undefined) return FALSE;
    if (column.transformer !== undefined) {
      throw this.unsupported(
        condition,
        `it compares a whole ${column.entityMetadata.name} with an object, and its column "${column.propertyName}" ` +
          'has a transformer, whose loaded value SQL cannot compare; compare keys (x.id = y.id)',
      );
    }
    if (value === null) return column.isNullable ? `${part.sql} IS NULL` : FALSE;
    if (typeof value === 'number' && Number.isNaN(value)) {
      // isEqual finds NaN equal to NaN, which SQL does not.
      throw this.unsupported(condition, 'the compared object holds NaN');
    }
    if (column.type === 'simple-array') {
      // Loaded as the text split at commas ('' is []): a list of strings without commas, the text joined again.
      if (!Array.isArray(value) || Object.getPrototypeOf(value) !== Array.prototype) return FALSE;
      const items = value as unknown[];
      if (!items.every((item) => typeof item === 'string' && !item.includes(','))) return FALSE;
      if (items.length === 1 && items[0] === '') return FALSE;
      return this.stringEqual(part.sql, this.parameter(items.join(',')));
    }
    const kind = this.kind(part);
    if (kind === 'opaque' || kind === 'other') {
      throw this.unsupported(
        condition,
        `it compares a whole ${column.entityMetadata.name} with an object, and its column "${column.propertyName}" ` +
          `(${String(column.type)}) loads as a value SQL cannot match exactly; compare keys (x.id = y.id)`,
      );
    }
    if (isObject(value) || value instanceof Date || Buffer.isBuffer(value)) return FALSE;
    return this.same(part, value, condition);
  }

  /**
   * `a < b` (and `<= > >=`) as the engine orders: numbers and booleans (as 0 and 1) numerically, strings by code
   * point, and nil as JavaScript does (`nil < 2` is true: null counts as 0). Whatever SQL cannot order the same way
   * raises.
   */
  private order(lhs: Operand, rhs: Operand, condition: FilterCondition): string {
    let operator = condition.cmp as OrderOperator;
    if (lhs.kind === 'value' && rhs.kind === 'value') throw this.unsupported(condition, 'it compares two constants');
    if (lhs.kind === 'value') {
      [lhs, rhs] = [rhs, lhs];
      operator = FLIPPED[operator];
    }
    const column = lhs.kind === 'columns' && lhs.parts.length === 1 && !lhs.key ? lhs.parts[0]! : undefined;
    if (!column) throw this.unsupported(condition, `${SQL_ORDER[operator]} needs a column and a value or two columns`);
    if (rhs.kind === 'value') return this.orderValue(column, operator, rhs.value, condition);
    const other = rhs.kind === 'columns' && rhs.parts.length === 1 && !rhs.key ? rhs.parts[0]! : undefined;
    if (!other) throw this.unsupported(condition, `${SQL_ORDER[operator]} needs a column and a value or two columns`);
    return this.orderColumns(column, operator, other, condition);
  }

  /** `column op value`, the column's nil rows included when the engine's `nil op value` is true. */
  private orderValue(part: Part, operator: OrderOperator, value: unknown, condition: FilterCondition): string {
    if (isObject(value)) throw this.unsupported(condition, 'only plain values can be ordered');
    const kind = this.kind(part);
    const family = polarFamily(kind);
    if (kind === 'digits' || kind === 'opaque') {
      const what = kind === 'digits' ? 'big integer' : 'decimal';
      throw this.unsupported(
        condition,
        `the engine orders this ${what} column as the strings the driver gives, not as numbers`,
      );
    }
    // The rows holding nil: JavaScript's `null op value` (the engine's host answers it), or a raise where the
    // engine's answer would depend on how the policy was written (`not x < "b"` reaches us as `x >= "b"`).
    const nilRows = (): boolean => {
      if (!part.column.isNullable) return false;
      if (typeof value === 'string' && Number.isNaN(Number(value))) {
        throw this.unsupported(
          condition,
          'nil and a non-numeric string are unordered in the engine (both < and >= are false), so whether nil rows pass ' +
            'depends on whether the rule was written negated',
        );
      }
      return this.polarOrder(operator, null, value, condition);
    };
    const withNil = (sql: string) => (nilRows() ? this.or([sql, `${part.sql} IS NULL`]) : sql);
    if (value === null) {
      // `x op nil`: JavaScript compares x with null as with 0.
      if (family === 'number') {
        const sql = `${part.sql} ${SQL_ORDER[operator]} ${this.parameter(0)}`;
        return part.column.isNullable && this.polarOrder(operator, null, null, condition)
          ? this.or([sql, `${part.sql} IS NULL`])
          : sql;
      }
      if (family === 'boolean') {
        const nil = this.polarOrder(operator, null, null, condition);
        return this.booleanChoice(part, (b) => this.polarOrder(operator, b, null, condition), nil);
      }
      throw this.unsupported(
        condition,
        `ordering ${withArticle(kind)} column against nil depends on JavaScript's conversion of each value`,
      );
    }
    if (family === 'other')
      return withNil(`${part.sql} ${SQL_ORDER[operator]} ${this.parameter(this.prepare(value, part.column))}`);
    if (family === 'boolean') {
      if (typeof value !== 'boolean' && typeof value !== 'number') throw this.typeError(condition, kind, value);
      return this.booleanChoice(part, (b) => this.polarOrder(operator, b, value, condition), nilRows());
    }
    if (family === 'number') {
      if (typeof value !== 'number' && typeof value !== 'boolean') throw this.typeError(condition, kind, value);
      let bound = +value;
      if (!Number.isFinite(bound)) throw this.unsupported(condition, 'the value is not a finite number');
      let op = operator;
      // An integer column against 2.5: `< 2.5` is `<= 2`, `> 2.5` is `>= 3` (PostgreSQL would reject 2.5 as an integer).
      if (kind === 'integer' && !Number.isInteger(bound)) {
        [op, bound] = operator === 'Lt' || operator === 'Leq' ? ['Leq', Math.floor(bound)] : ['Geq', Math.ceil(bound)];
      }
      return withNil(`${part.sql} ${SQL_ORDER[op]} ${this.parameter(bound)}`);
    }
    if (typeof value !== 'string') throw this.typeError(condition, kind, value);
    if (kind === 'uuid') {
      // PostgreSQL orders uuids as their lowercase spelling; it would read another spelling as the same uuid.
      if (!holdsKindOf(kind, value)) throw this.unsupported(condition, 'the value is not a lowercase uuid');
      return withNil(`${part.sql} ${SQL_ORDER[operator]} ${this.parameter(value)}`);
    }
    return withNil(this.stringOrder(part.sql, SQL_ORDER[operator], this.parameter(value)));
  }

  /** `a op b` on two columns: numbers and booleans with nil as 0 (as JavaScript compares null), strings by code point. */
  private orderColumns(a: Part, operator: OrderOperator, b: Part, condition: FilterCondition): string {
    const [kindA, kindB] = [this.kind(a), this.kind(b)];
    const [ka, kb] = [polarFamily(kindA), polarFamily(kindB)];
    const numeric = (family: string) => family === 'number' || family === 'boolean';
    if (!plainString(kindA) || !plainString(kindB)) {
      throw this.unsupported(
        condition,
        `the engine orders ${kindA} and ${kindB} columns by the strings the driver gives`,
      );
    }
    if (numeric(ka) && numeric(kb)) {
      return `${this.asNumber(a, ka)} ${SQL_ORDER[operator]} ${this.asNumber(b, kb)}`;
    }
    if (ka === 'string' && kb === 'string' && !a.column.isNullable && !b.column.isNullable) {
      return this.stringOrder(a.sql, SQL_ORDER[operator], b.sql);
    }
    if (ka === 'other' && kb === 'other' && !a.column.isNullable && !b.column.isNullable) {
      return `${a.sql} ${SQL_ORDER[operator]} ${b.sql}`;
    }
    throw this.unsupported(
      condition,
      ka === kb
        ? "nil in one of the columns is ordered by JavaScript's conversion of the other column's values"
        : `Polar cannot order ${withArticle(ka)} column against ${withArticle(kb)} column (the engine raises)`,
    );
  }

  /** A numeric or boolean column as the number JavaScript compares: nil as 0, booleans as 0 and 1. */
  private asNumber(part: Part, family: string): string {
    if (family === 'boolean') return `(CASE WHEN ${part.sql} THEN 1 ELSE 0 END)`;
    return part.column.isNullable ? `COALESCE(${part.sql}, 0)` : part.sql;
  }

  /** The rows of a boolean column whose value passes `test` (nil rows when `nil` is true). */
  private booleanChoice(part: Part, test: (value: boolean) => boolean, nil: boolean): string {
    const values = [false, true].filter(test);
    let rows = FALSE;
    if (values.length === 2) rows = `${part.sql} IS NOT NULL`;
    else if (values.length === 1) rows = `${part.sql} = ${this.parameter(this.prepare(values[0], part.column))}`;
    return nil && part.column.isNullable ? this.or([rows, `${part.sql} IS NULL`]) : rows;
  }

  /** The engine's answer to `left op right`; a comparison it rejects raises. */
  private polarOrder(operator: ComparisonOperator, left: unknown, right: unknown, condition: FilterCondition): boolean {
    try {
      return compare(operator, left, right, false);
    } catch (error) {
      if (error instanceof AskEngine) {
        throw this.unsupported(
          condition,
          `the engine cannot compare ${String(left)} with ${String(right)} (${error.reason})`,
        );
      }
      throw error;
    }
  }

  /** Strings ordered by code point, whatever the column's collation. */
  private stringOrder(left: string, operator: string, right: string): string {
    switch (this.dialect()) {
      case 'postgres':
        return `${left} ${operator} ${right} COLLATE "C"`;
      case 'mysql':
        return `CAST(${left} AS BINARY) ${operator} CAST(${right} AS BINARY)`;
      case 'sqlite':
        return `${left} ${operator} ${right} COLLATE BINARY`;
      default:
        throw new DataFilteringError(
          `TypeOrmAdapter: ordering strings exactly is not supported on ${this.dataSource.options.type}`,
        );
    }
  }

  /** Strings equal byte for byte: no case folding, no trailing-space padding, whatever the column's collation. */
  private stringEqual(left: string, right: string, list = false): string {
    switch (this.dialect()) {
      case 'postgres':
        return list ? `${left} IN (${right})` : `${left} = ${right}`;
      case 'mysql':
        // The plain comparison can use an index; BINARY makes it exact (MariaDB pads and folds case otherwise).
        return list
          ? `(${left} IN (${right}) AND CAST(${left} AS BINARY) IN (${right}))`
          : `(${left} = ${right} AND CAST(${left} AS BINARY) = CAST(${right} AS BINARY))`;
      case 'sqlite':
        return list ? `${left} COLLATE BINARY IN (${right})` : `${left} = ${right} COLLATE BINARY`;
      default:
        throw new DataFilteringError(
          `TypeOrmAdapter: comparing strings exactly is not supported on ${this.dataSource.options.type}`,
        );
    }
  }

  private kind(part: Part): ColumnKind {
    return columnKind(part.column, this.dialect());
  }

  private dialect(): Dialect {
    const type = this.dataSource.options.type;
    if (type === 'postgres' || type === 'cockroachdb') return 'postgres';
    if (type === 'mysql' || type === 'mariadb' || type === 'aurora-mysql') return 'mysql';
    if (
      ['sqlite', 'better-sqlite3', 'sqljs', 'capacitor', 'expo', 'cordova', 'react-native', 'nativescript'].includes(
        type,
      )
    )
      return 'sqlite';
    return undefined;
  }

  private converts(condition: FilterCondition, a: ColumnKind, b: ColumnKind): DataFilteringError {
    return this.unsupported(
      condition,
      `the database converts between ${a} and ${b} columns; Polar compares the strings`,
    );
  }

  private opaque(condition: FilterCondition): DataFilteringError {
    return this.unsupported(
      condition,
      'a decimal column reaches the engine as a string spelled by the driver ("2.50"), which SQL cannot match exactly; ' +
        'compare it with nil only, or use a float or integer column',
    );
  }

  private typeError(condition: FilterCondition, kind: ColumnKind, value: unknown): DataFilteringError {
    const what = `${typeof value} ${JSON.stringify(value)}`;
    return this.unsupported(
      condition,
      `Polar cannot compare ${withArticle(kind)} column with ${what} (the engine raises, or != and not = differ)`,
    );
  }

  /** `element in collection` (or `not in`): a list value, a PostgreSQL array column, or a to-many relation. */
  private member(element: Operand, collection: Operand, condition: FilterCondition, negated: boolean): string {
    if (collection.kind === 'value') {
      if (!Array.isArray(collection.value)) throw this.unsupported(condition, 'the right side is not a list');
      if (element.kind === 'value') {
        const found = collection.value.some((item) => defaultEqualityFn(item, element.value));
        return found !== negated ? TRUE : FALSE;
      }
      const list = collection.value;
      if (!negated && list.includes(true)) {
        // Merged `true = x.flag` branches (see checkCondition), alone or with other values (`x.flag = false`).
        this.checkCondition(condition, { kind: 'value', value: true }, element);
      }
      if (element.kind === 'columns' && !element.key && list.every((item) => !isObject(item))) {
        // A plain column and plain values: one IN list of the values the column's kind can unify with, and nil.
        const part = element.parts[0]!;
        const kind = this.kind(part);
        if (kind === 'opaque' && list.some((item) => item !== null)) throw this.opaque(condition);
        const kept = [...new Set(list.filter((item) => item !== null && holdsKindOf(kind, item)))];
        const nil = list.includes(null);
        let found = FALSE;
        if (kept.length > 0) {
          const values = this.parameter(
            kept.map((item) => this.prepare(item, part.column)),
            true,
          );
          found = kind === 'string' ? this.stringEqual(part.sql, values, true) : `${part.sql} IN (${values})`;
        }
        const nullable = part.column.isNullable;
        if (!negated) return this.or([found, nil && nullable ? `${part.sql} IS NULL` : FALSE]);
        // `x not in list`: none of the values, and nil rows unless nil is in the list.
        const notFound = found === FALSE ? TRUE : `NOT (${found})`;
        if (!nullable) return notFound;
        return nil ? this.and([notFound, `${part.sql} IS NOT NULL`]) : this.or([notFound, `${part.sql} IS NULL`]);
      }
      const each = list.map((value) => this.equal(element, { kind: 'value', value }, condition));
      if (!negated) return this.or(each);
      return this.and(
        collection.value.map((value, i) => this.not(each[i]!, element, { kind: 'value', value }, condition)),
      );
    }
    if (collection.kind === 'members' && element.kind === 'value') {
      const sql = this.membership(collection, element.value, condition);
      return negated ? `NOT ${sql}` : sql;
    }
    if (collection.kind === 'array') {
      if (!['postgres', 'cockroachdb'].includes(this.dataSource.options.type)) {
        throw this.unsupported(
          condition,
          `"in" on an array column needs PostgreSQL, not ${this.dataSource.options.type}`,
        );
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
  private membership(
    members: Extract<Operand, { kind: 'members' }>,
    value: unknown,
    condition: FilterCondition,
  ): string {
    const { relation, reversed, scope } = members;
    const otherMetadata = reversed ? relation.entityMetadata : relation.inverseEntityMetadata;
    const other: Scope = { alias: this.alias(otherMetadata.name), metadata: otherMetadata };
    const subquery = this.query.subQuery().select('1').from(otherMetadata.target, other.alias);
    const join = reversed
      ? this.relationJoin(relation, other, scope, subquery)
      : this.relationJoin(relation, scope, other, subquery);
    // The compared value is the other side's key (from the engine following a relation) or an entity of it.
    const key: Operand = { ...this.entityKey(other), key: 'relation', loaded: true };
    const match = this.equal(key, { kind: 'value', value }, condition);
    if (match === FALSE) return FALSE;
    return `EXISTS ${subquery.where(this.and([join, match])).getQuery()}`;
  }

  /**
   * The value of each column for a compared value, or `undefined` when Polar would never find them equal. In the
   * engine's relation lookups, an entity gives its keys (if it is of the entity's class) and a relation's key columns
   * also take a plain key value; in a policy's filter, objects are compared whole (`sameRow`), so a key column never
   * equals one, and a relation property (an object to the engine) raises. A plain column takes a plain value (or
   * anything, for a JSON column).
   */
  private valuesFor(
    operand: Extract<Operand, { kind: 'columns' }>,
    value: unknown,
    condition: FilterCondition,
  ): unknown[] | undefined {
    if (value === null || value === undefined) return operand.parts.map(() => null);
    // The rest reads objects as keys, which only the engine following a relation means (its lookups are plain
    // filters, without the branches of a policy's); a policy compares objects with the engine's isEqual.
    const policy = 'branches' in this.filter;
    if (policy && operand.key === 'relation') {
      if (operand.loaded) {
        throw this.unsupported(
          condition,
          'it compares a TypeORM relation that is not a registered Relation, which the engine reads as the objects ' +
            'loaded on the instance (compared whole, never equal to a key); register it as a Relation ' +
            '(typeOrmPolarClasses does), or compare keys (x.relationId = y.id)',
        );
      }
      // A @RelationId holds a key, never equal to an object.
      if (isObject(value)) return undefined;
    }
    if (!operand.key) {
      const column = operand.parts[0]!.column;
      if (!isObject(value) || isJsonColumn(column)) return [value];
      if (policy) {
        // A column's loaded value is never an instance of a class, unless a transformer makes it one.
        if (column.transformer === undefined) return undefined;
        throw this.unsupported(condition, 'it compares a column with a transformer with an object');
      }
      // `Organization.id = <an Organization>`: the engine following a relation whose key property is the relation
      // itself, loaded on the instance.
      return typeof operand.target === 'function' && value instanceof operand.target
        ? [column.getEntityValue(value)]
        : undefined;
    }
    if (!isObject(value)) return operand.key === 'relation' && operand.parts.length === 1 ? [value] : undefined;
    if (typeof operand.target === 'function' && !(value instanceof operand.target)) return undefined;
    const keys = operand.parts.map((part) => part.pick!(value as ObjectLiteral));
    return keys.some((key) => key === undefined || key === null) ? undefined : keys;
  }

  /** `column = value` as Polar unifies: a value of another kind (`"2"` for an integer column) is never equal. */
  private same(part: Part, value: unknown, condition: FilterCondition): string {
    if (value === null || value === undefined) return `${part.sql} IS NULL`;
    const kind = this.kind(part);
    if (kind === 'opaque') throw this.opaque(condition);
    if (!holdsKindOf(kind, value)) return FALSE;
    const parameter = this.parameter(this.prepare(value, part.column));
    return kind === 'string' ? this.stringEqual(part.sql, parameter) : `${part.sql} = ${parameter}`;
  }

  /** `column != value`: the negation of `=`, nil rows included (Polar says `nil != "x"`). */
  private distinct(part: Part, value: unknown, condition: FilterCondition): string {
    if (value === null || value === undefined) return `${part.sql} IS NOT NULL`;
    const kind = this.kind(part);
    const family = polarFamily(kind);
    if (kind === 'opaque') throw this.opaque(condition);
    if (family !== 'other' && family !== valueFamily(value)) {
      // The engine raises on `1 != "a"`, and `1 != true` differs from `not 1 = true`, which also reaches us as `!=`.
      throw this.typeError(condition, kind, value);
    }
    if (!holdsKindOf(kind, value)) return TRUE;
    const parameter = this.parameter(this.prepare(value, part.column));
    const equal = kind === 'string' ? this.stringEqual(part.sql, parameter) : `${part.sql} = ${parameter}`;
    const sql = `NOT (${equal})`;
    // Polar says `nil != "x"`; SQL says NULL <> 'x' is unknown, so nullable columns add the NULL rows back.
    return part.column.isNullable ? `(${sql} OR ${part.sql} IS NULL)` : sql;
  }

  /** `a = b` on two columns: values of one kind compared exactly, nil equal to nil, different kinds never equal. */
  private sameColumns(a: Part, b: Part, condition: FilterCondition): string {
    const bothNil = a.column.isNullable && b.column.isNullable ? `(${a.sql} IS NULL AND ${b.sql} IS NULL)` : FALSE;
    const [ka, kb] = [this.kind(a), this.kind(b)];
    if (ka !== 'other' && kb !== 'other' && polarFamily(ka) !== polarFamily(kb)) return bothNil;
    // A big integer or uuid against a text column: the database would convert one into the other.
    if ((!plainString(ka) || !plainString(kb)) && ka !== kb) throw this.converts(condition, ka, kb);
    const sql = ka === 'string' && kb === 'string' ? this.stringEqual(a.sql, b.sql) : `${a.sql} = ${b.sql}`;
    return bothNil === FALSE ? sql : `(${sql} OR ${bothNil})`;
  }

  private distinctColumns(a: Part, b: Part, condition: FilterCondition): string {
    const [ka, kb] = [this.kind(a), this.kind(b)];
    if ((!plainString(ka) || !plainString(kb)) && ka !== kb) throw this.converts(condition, ka, kb);
    if (ka !== 'other' && kb !== 'other' && polarFamily(ka) !== polarFamily(kb)) {
      throw this.unsupported(
        condition,
        `Polar cannot tell ${withArticle(ka)} column from ${withArticle(kb)} column with != (the engine raises or compares numbers)`,
      );
    }
    const sql = ka === 'string' && kb === 'string' ? `NOT ${this.stringEqual(a.sql, b.sql)}` : `${a.sql} <> ${b.sql}`;
    if (!a.column.isNullable && !b.column.isNullable) return sql;
    return `((${sql}) OR (${a.sql} IS NULL AND ${b.sql} IS NOT NULL) OR (${a.sql} IS NOT NULL AND ${b.sql} IS NULL))`;
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
    // An alias (`User~2`, one of two relations into User) is looked up as its type.
    const target =
      this.options.entities?.[polarTypeName(this.filter, typeName)] ?? this.filter.types.get(typeName)?.cls;
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
      // Aliases (`User~2`, one of two relations into User) read as their type.
      `TypeOrmAdapter: cannot filter ${this.filter.model} on the condition ${printFilterCondition(condition).replace(/~\d+\b/g, '')}: ${reason}`,
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

/** "an integer", "a string". */
function withArticle(kind: string): string {
  return /^[aeiou]/.test(kind) ? `an ${kind}` : `a ${kind}`;
}

/** Strings that are only strings (not big integers, uuids or decimals the driver spells). */
function plainString(kind: ColumnKind): boolean {
  return kind !== 'digits' && kind !== 'uuid' && kind !== 'opaque';
}

/** The family of a plain value for `!=`: numbers, strings, booleans. */
function valueFamily(value: unknown): string {
  return typeof value === 'number'
    ? 'number'
    : typeof value === 'string'
      ? 'string'
      : typeof value === 'boolean'
        ? 'boolean'
        : 'other';
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !(value instanceof Date) && !Buffer.isBuffer(value);
}

function isJsonColumn(column: ColumnMetadata): boolean {
  return ['json', 'jsonb', 'simple-json'].includes(String(column.type));
}
