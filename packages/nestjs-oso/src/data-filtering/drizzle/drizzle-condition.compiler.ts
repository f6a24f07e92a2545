/**
 * The Drizzle adapter's condition compiler: oso's filter as ONE SQL condition on the resource's table, each rule that
 * follows relations an `EXISTS` subquery, each comparison as Polar makes it (by column kind, nil as the engine's
 * JavaScript, rows by primary key), and a `DataFilteringError` naming the condition SQL cannot express faithfully.
 * The SQL semantics per dialect are the TypeORM compiler's (typeorm-query.compiler.ts), which the generated
 * differential suite proves on both.
 */
import { aliasedTable, getTableColumns, getTableName, sql, type Column, type SQL, type Table } from 'drizzle-orm';
import type { Datum, Filter, FilterCondition } from 'oso';
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
import { holdsKindOf, polarFamily, type ColumnKind, type Dialect } from '../typeorm/typeorm-column-kind.js';
import { dialectOfTable, drizzleColumnKind } from './drizzle-column-kind.js';
import { junctionsOf, tableOfClass, type DrizzleJunction } from './drizzle-schema-registry.js';

/** A condition: SQL, or a constant the compiler folds (`true`: every row, `false`: none). */
type Clause = SQL | boolean;
type OrderOperator = 'Lt' | 'Leq' | 'Gt' | 'Geq';
const SQL_ORDER: Record<OrderOperator, string> = { Lt: '<', Leq: '<=', Gt: '>', Geq: '>=' };
/** `value op column` is `column FLIPPED[op] value`. */
const FLIPPED: Record<OrderOperator, OrderOperator> = { Lt: 'Gt', Leq: 'Geq', Gt: 'Lt', Geq: 'Leq' };
let compilations = 0;

/** A table as one query reads it: the root table itself, or an alias of it inside a subquery. */
interface Scope {
  table: Table;
  /** What columns are read through: the table, or its alias. */
  ref: Table;
  /** The class registered for the table (rows compared as whole objects must be of it). */
  cls: unknown;
  primaryKey: Column[];
}

/** One SQL column of an operand. */
interface Part {
  sql: SQL;
  column: Column;
}

type Operand =
  | { kind: 'value'; value: unknown }
  /** One column. */
  | { kind: 'columns'; part: Part }
  /** A whole row (`d` itself): the engine compares it with lodash's `isEqual`, the class and every column. */
  | { kind: 'row'; scope: Scope }
  /** A many-to-many field seen from one row: compared to a key, it means "one of them has it". */
  | { kind: 'members'; scope: Scope; junction: DrizzleJunction };

/** The compiled filter: the condition, and the table it is on. @internal */
export interface CompiledCondition {
  table: Table;
  where: SQL;
}

/**
 * Compiles one filter into one SQL condition on the resource's table (see `DrizzleAdapter`); holds the alias counter
 * of that one condition.
 *
 * @internal
 */
export class DrizzleConditionCompiler {
  private readonly prefix = `oso${++compilations}_`;
  private count = 0;
  private dialect: Dialect;

  constructor(
    private readonly filter: Filter,
    private readonly tables: Record<string, Table> = {},
  ) {}

  compile(): CompiledCondition {
    const root = this.scopeOf(this.filter.model, false);
    this.dialect = dialectOfTable(root.table);
    if (this.dialect === undefined) {
      throw new DataFilteringError(
        `DrizzleAdapter: the table of ${this.filter.model} is not a SQLite, PostgreSQL or MySQL table`,
      );
    }
    const branches: Clause[] = [];
    for (const branch of mergeBranches(filterBranches(this.filter))) {
      const clause = this.branch(root, branch);
      // An unconditional rule: every row.
      if (clause === true) return { table: root.table, where: sql`1 = 1` };
      branches.push(clause);
    }
    const where = this.or(branches);
    return { table: root.table, where: where === false ? sql`1 = 0` : (where as SQL) };
  }

  /** One rule: plain conditions on the resource, or an EXISTS over the joins it needs. */
  private branch(root: Scope, branch: FilterBranch): Clause {
    const scopes = new Map<string, Scope>([[this.filter.model, root]]);
    if (branch.relations.length === 0) return this.and(branch.conditions.map((c) => this.condition(c, scopes)));
    const from: SQL[] = [];
    const clauses: Clause[] = [];
    for (const relation of orderRelations(this.filter.model, branch.relations)) {
      const to = this.scopeOf(relation.toTypeName, true);
      from.push(this.fromItem(to));
      clauses.push(this.join(relation, scopes.get(relation.fromTypeName)!, to, from));
      scopes.set(relation.toTypeName, to);
    }
    // Conditions on the resource alone are tested before the subquery, which then runs only for rows that pass them.
    const model = this.filter.model;
    const onRoot = (c: FilterCondition) =>
      !branch.relations.some((r) => r.toTypeName === model) &&
      [c.lhs, c.rhs].every((datum) => !('typeName' in datum) || datum.typeName === model);
    const outside = branch.conditions.filter(onRoot).map((c) => this.condition(c, scopes));
    const conditions = this.and([
      ...clauses,
      ...branch.conditions.filter((c) => !onRoot(c)).map((c) => this.condition(c, scopes)),
      ...this.uncached(root),
    ]);
    if (conditions === false) return false;
    return this.and([...outside, this.exists(from, conditions)]);
  }

  private exists(from: SQL[], where: Clause): SQL {
    const condition = where === true ? sql`1 = 1` : (where as SQL);
    return sql`exists (select 1 from ${sql.join(from, sql`, `)} where ${condition})`;
  }

  /**
   * MariaDB caches a correlated subquery's result by the outer columns it reads, compared under their collation (see
   * the TypeORM compiler); reading the outer row's primary key too makes every cache key unique to its row.
   */
  private uncached(root: Scope): Clause[] {
    if (this.dialect !== 'mysql') return [];
    return root.primaryKey.map((column) => sql`${this.columnOf(root, column)} is not null`);
  }

  /** The SQL of one join: the columns of the registered `Relation`, or a many-to-many through its junction. */
  private join(relation: FilterRelation, from: Scope, to: Scope, fromItems: SQL[]): Clause {
    const registered = registeredRelation(this.filter.types, relation);
    if (registered) {
      const mine = this.columnPart(from, registered.myField);
      const other = this.columnPart(to, registered.otherField);
      if (mine && other) return sql`${mine.sql} = ${other.sql}`;
    }
    const junction = junctionsOf(from.table).get(relation.fromFieldName);
    if (junction) return this.throughJunction(junction, from, to, fromItems);
    throw new DataFilteringError(
      `DrizzleAdapter: cannot join ${describeRelation(relation)}: ` +
        (registered
          ? `the Relation's fields "${registered.myField}" and "${registered.otherField}" are not columns of the two tables`
          : `${relation.fromFieldName} is not a registered Relation`),
    );
  }

  /** `from` and `to` related through a junction table, which joins the subquery. */
  private throughJunction(junction: DrizzleJunction, from: Scope, to: Scope, fromItems: SQL[]): Clause {
    const link = this.aliasedScope(junction.table, undefined, []);
    fromItems.push(this.fromItem(link));
    return this.and([
      sql`${this.ref(link, junction.near.junction)} = ${this.ref(from, junction.near.key)}`,
      sql`${this.ref(link, junction.far.junction)} = ${this.ref(to, junction.far.key)}`,
    ]);
  }

  private condition(condition: FilterCondition, scopes: Map<string, Scope>): Clause {
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
      // Polar has no undefined: it comes from the engine following a relation on an object without its key.
      if (datum.value === undefined) {
        throw this.unsupported(
          condition,
          'the value is undefined: a relation was followed on an object that does not hold its key column',
        );
      }
      return { kind: 'value', value: datum.value };
    }
    const scope = scopes.get(datum.typeName);
    if (!scope) throw this.unsupported(condition, `it refers to ${datum.typeName}, which the query does not join`);
    const field = datum.fieldName;
    if (field === undefined) return { kind: 'row', scope };
    const part = this.columnPart(scope, field);
    if (part) return { kind: 'columns', part };
    const junction = junctionsOf(scope.table).get(field);
    if (junction) return { kind: 'members', scope, junction };
    throw this.unsupported(condition, `the table of ${datum.typeName} has no column or many-to-many field "${field}"`);
  }

  /** A column of a scope by schema key, read through the scope's alias. */
  private columnPart(scope: Scope, field: string): Part | undefined {
    const column = getTableColumns(scope.table)[field];
    return column ? { sql: this.ref(scope, field), column } : undefined;
  }

  /**
   * The engine rewrites a field used as a condition (`if i.flag`) into `true = i.flag`, and raises on a row whose
   * field is not a boolean (nil included) where `i.flag = true` is merely false. The two cannot be told apart, so
   * `true = column` raises unless every value of the column is a boolean: a NOT NULL boolean column.
   */
  private checkCondition(condition: FilterCondition, lhs: Operand, rhs: Operand): void {
    const [value, column] = lhs.kind === 'value' ? [lhs, rhs] : [rhs, lhs];
    if (value.kind !== 'value' || value.value !== true || column.kind !== 'columns') return;
    const part = column.part;
    const kind = this.kind(part);
    if (kind === 'boolean' && part.column.notNull) return;
    throw this.unsupported(
      condition,
      kind === 'boolean'
        ? 'the column may hold nil, on which the engine raises if the rule uses it as a condition (`if x.flag`), which ' +
            'reaches data filtering as `true = x.flag`; make the column NOT NULL, or write `x.flag != false and x.flag != nil`'
        : `${withArticle(kind)} column used as a condition (or compared with true): the engine raises on values that are not booleans`,
    );
  }

  /** `a = b`, with Polar's meaning of nil (nil = nil), whole rows as the engine compares objects, many-to-many by key. */
  private equal(lhs: Operand, rhs: Operand, condition: FilterCondition): Clause {
    if (lhs.kind === 'value' && rhs.kind === 'value') return defaultEqualityFn(lhs.value, rhs.value);
    if (rhs.kind === 'members') [lhs, rhs] = [rhs, lhs];
    if (lhs.kind === 'members') {
      if (rhs.kind === 'value') return this.membership(lhs, rhs.value, condition);
      throw this.unsupported(condition, 'a many-to-many field can only be compared with a value');
    }
    if (rhs.kind === 'value') [lhs, rhs] = [rhs, lhs];
    if (lhs.kind === 'value' && rhs.kind === 'columns') {
      return isObject(lhs.value) ? false : this.same(rhs.part, lhs.value, condition);
    }
    if (lhs.kind === 'value' && rhs.kind === 'row') return this.sameRow(rhs.scope, lhs.value, condition, false);
    if (lhs.kind === 'columns' && rhs.kind === 'columns') return this.sameColumns(lhs.part, rhs.part, condition);
    if (lhs.kind === 'row' && rhs.kind === 'row') {
      // Rows of one table are equal objects exactly when they are one row: by primary key.
      if (lhs.scope.table !== rhs.scope.table || lhs.scope.cls !== rhs.scope.cls) return false;
      const [a, b] = [lhs.scope, rhs.scope];
      if (a.primaryKey.length === 0)
        throw this.unsupported(condition, 'it compares rows of a table without a primary key');
      return this.and(a.primaryKey.map((column) => sql`${this.columnOf(a, column)} = ${this.columnOf(b, column)}`));
    }
    throw this.unsupported(condition, 'SQL cannot compare these two sides faithfully');
  }

  /** `a != b`: the negation of `a = b`, where nullable columns make plain SQL `<>` miss the rows holding nil. */
  private not(equal: Clause, lhs: Operand, rhs: Operand, condition: FilterCondition): Clause {
    if (rhs.kind === 'value') [lhs, rhs] = [rhs, lhs];
    // A plain column and a value: `!=` is checked on its own, since the engine raises where `=` is merely false.
    if (lhs.kind === 'value' && rhs.kind === 'columns' && !isObject(lhs.value)) {
      return this.distinct(rhs.part, lhs.value, condition);
    }
    if (lhs.kind === 'columns' && rhs.kind === 'columns') return this.distinctColumns(lhs.part, rhs.part, condition);
    if (lhs.kind === 'value' && rhs.kind === 'row') return this.sameRow(rhs.scope, lhs.value, condition, true);
    // Whole rows by primary key (never nil), many-to-many by EXISTS: plain negations.
    return this.negate(equal);
  }

  /**
   * A row equal to (or, `negated`, different from) an object as lodash's `isEqual` (the engine's equality of host
   * objects) finds them: an instance of the table's class with exactly the row's columns as own properties, each
   * equal to the column's value. (An actor made from a token, without every column, is never equal to a row.)
   */
  private sameRow(scope: Scope, value: unknown, condition: FilterCondition, negated: boolean): Clause {
    const columns = Object.entries(getTableColumns(scope.table));
    const object = value as Record<string, unknown>;
    const alike =
      isObject(value) &&
      typeof scope.cls === 'function' &&
      value.constructor === scope.cls &&
      Object.keys(value).length === columns.length &&
      // isEqual compares enumerable symbol properties too; a row has none.
      !Object.getOwnPropertySymbols(value).some((symbol) =>
        Object.prototype.propertyIsEnumerable.call(value, symbol),
      ) &&
      columns.every(([key]) => Object.prototype.hasOwnProperty.call(value, key) && object[key] !== undefined);
    if (!alike) return negated;
    if (columns.some(([key]) => Number.isNaN(object[key]))) {
      // isEqual finds NaN equal to NaN, which SQL (and Polar's unification) does not.
      throw this.unsupported(condition, 'the compared object holds NaN');
    }
    const each = columns.map(([key, column]) => {
      const part = { sql: this.ref(scope, key), column };
      const equal = this.same(part, object[key], condition);
      if (!negated) return equal;
      if (object[key] === null || typeof equal === 'boolean') return this.negate(equal);
      return column.notNull ? this.negate(equal) : this.or([this.negate(equal), sql`${part.sql} is null`]);
    });
    return negated ? this.or(each) : this.and(each);
  }

  /**
   * `a < b` (and `<= > >=`) as the engine orders: numbers and booleans (as 0 and 1) numerically, strings by code
   * point, and nil as JavaScript does (`nil < 2` is true: null counts as 0). Whatever SQL cannot order the same way
   * raises.
   */
  private order(lhs: Operand, rhs: Operand, condition: FilterCondition): Clause {
    let operator = condition.cmp as OrderOperator;
    if (lhs.kind === 'value' && rhs.kind === 'value') throw this.unsupported(condition, 'it compares two constants');
    if (lhs.kind === 'value') {
      [lhs, rhs] = [rhs, lhs];
      operator = FLIPPED[operator];
    }
    const plain = (operand: Operand) => (operand.kind === 'columns' ? operand.part : undefined);
    const column = plain(lhs);
    const other = rhs.kind === 'value' ? undefined : plain(rhs);
    if (!column || (rhs.kind !== 'value' && !other)) {
      throw this.unsupported(condition, `${SQL_ORDER[operator]} needs a column and a value or two columns`);
    }
    if (rhs.kind === 'value') return this.orderValue(column, operator, rhs.value, condition);
    return this.orderColumns(column, operator, other!, condition);
  }

  /** `column op value`, the column's nil rows included when the engine's `nil op value` is true. */
  private orderValue(part: Part, operator: OrderOperator, value: unknown, condition: FilterCondition): Clause {
    if (isObject(value)) throw this.unsupported(condition, 'only plain values can be ordered');
    const kind = this.kind(part);
    const family = polarFamily(kind);
    if (kind === 'opaque') throw this.opaque(condition, part);
    const op = (bound: unknown, operator_ = operator) =>
      sql`${part.sql} ${sql.raw(SQL_ORDER[operator_])} ${this.parameter(bound, part.column)}`;
    // The rows holding nil: JavaScript's `null op value` (the engine's host answers it), or a raise where the
    // engine's answer would depend on how the policy was written (`not x < "b"` reaches us as `x >= "b"`).
    const nilRows = (): boolean => {
      if (part.column.notNull) return false;
      if (typeof value === 'string' && Number.isNaN(Number(value))) {
        throw this.unsupported(
          condition,
          'nil and a non-numeric string are unordered in the engine (both < and >= are false), so whether nil rows pass ' +
            'depends on whether the rule was written negated',
        );
      }
      return this.polarOrder(operator, null, value, condition);
    };
    const withNil = (clause: Clause) => (nilRows() ? this.or([clause, sql`${part.sql} is null`]) : clause);
    if (value === null) {
      // `x op nil`: JavaScript compares x with null as with 0.
      const nil = this.polarOrder(operator, null, null, condition);
      if (family === 'number') return !part.column.notNull && nil ? this.or([op(0), sql`${part.sql} is null`]) : op(0);
      if (family === 'boolean') {
        return this.booleanChoice(part, (b) => this.polarOrder(operator, b, null, condition), nil);
      }
      throw this.unsupported(
        condition,
        `ordering ${withArticle(kind)} column against nil depends on JavaScript's conversion of each value`,
      );
    }
    if (family === 'boolean') {
      if (typeof value !== 'boolean' && typeof value !== 'number') throw this.typeError(condition, kind, value);
      return this.booleanChoice(part, (b) => this.polarOrder(operator, b, value, condition), nilRows());
    }
    if (family === 'number') {
      if (typeof value !== 'number' && typeof value !== 'boolean') throw this.typeError(condition, kind, value);
      let bound = +value;
      if (!Number.isFinite(bound)) throw this.unsupported(condition, 'the value is not a finite number');
      let operator_ = operator;
      // An integer column against 2.5: `< 2.5` is `<= 2`, `> 2.5` is `>= 3` (PostgreSQL would reject 2.5 as an integer).
      if (kind === 'integer' && !Number.isInteger(bound)) {
        [operator_, bound] =
          operator === 'Lt' || operator === 'Leq' ? ['Leq', Math.floor(bound)] : ['Geq', Math.ceil(bound)];
      }
      return withNil(op(bound, operator_));
    }
    if (typeof value !== 'string') throw this.typeError(condition, kind, value);
    if (kind === 'uuid') {
      // PostgreSQL orders uuids as their lowercase spelling; it would read another spelling as the same uuid.
      if (!holdsKindOf(kind, value)) throw this.unsupported(condition, 'the value is not a lowercase uuid');
      return withNil(op(value));
    }
    return withNil(this.stringOrder(part.sql, SQL_ORDER[operator], this.parameter(value, part.column)));
  }

  /** `a op b` on two columns: numbers and booleans with nil as 0 (as JavaScript compares null), strings by code point. */
  private orderColumns(a: Part, operator: OrderOperator, b: Part, condition: FilterCondition): Clause {
    const [kindA, kindB] = [this.kind(a), this.kind(b)];
    const [ka, kb] = [polarFamily(kindA), polarFamily(kindB)];
    const numeric = (family: string) => family === 'number' || family === 'boolean';
    if (kindA === 'opaque' || kindB === 'opaque' || kindA === 'uuid' || kindB === 'uuid') {
      throw this.unsupported(
        condition,
        `the engine orders ${kindA} and ${kindB} columns by the values the driver gives`,
      );
    }
    if (numeric(ka) && numeric(kb)) {
      return sql`${this.asNumber(a, ka)} ${sql.raw(SQL_ORDER[operator])} ${this.asNumber(b, kb)}`;
    }
    if (ka === 'string' && kb === 'string' && a.column.notNull && b.column.notNull) {
      return this.stringOrder(a.sql, SQL_ORDER[operator], b.sql);
    }
    throw this.unsupported(
      condition,
      ka === kb
        ? "nil in one of the columns is ordered by JavaScript's conversion of the other column's values"
        : `Polar cannot order ${withArticle(ka)} column against ${withArticle(kb)} column (the engine raises)`,
    );
  }

  /** A numeric or boolean column as the number JavaScript compares: nil as 0, booleans as 0 and 1. */
  private asNumber(part: Part, family: string): SQL {
    if (family === 'boolean') return sql`(case when ${part.sql} then 1 else 0 end)`;
    return part.column.notNull ? part.sql : sql`coalesce(${part.sql}, 0)`;
  }

  /** The rows of a boolean column whose value passes `test` (nil rows when `nil` is true). */
  private booleanChoice(part: Part, test: (value: boolean) => boolean, nil: boolean): Clause {
    const values = [false, true].filter(test);
    let rows: Clause = false;
    if (values.length === 2) rows = sql`${part.sql} is not null`;
    else if (values.length === 1) rows = sql`${part.sql} = ${this.parameter(values[0], part.column)}`;
    return nil && !part.column.notNull ? this.or([rows, sql`${part.sql} is null`]) : rows;
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
  private stringOrder(left: SQL, operator: string, right: SQL): SQL {
    const op = sql.raw(operator);
    if (this.dialect === 'postgres') return sql`${left} ${op} ${right} collate "C"`;
    if (this.dialect === 'mysql') return sql`cast(${left} as binary) ${op} cast(${right} as binary)`;
    return sql`${left} ${op} ${right} collate binary`;
  }

  /** Strings equal byte for byte: no case folding, no trailing-space padding, whatever the column's collation. */
  private stringEqual(left: SQL, right: SQL, list = false): SQL {
    if (this.dialect === 'postgres') return list ? sql`${left} in (${right})` : sql`${left} = ${right}`;
    if (this.dialect === 'mysql') {
      // The plain comparison can use an index; BINARY makes it exact (MariaDB pads and folds case otherwise).
      return list
        ? sql`(${left} in (${right}) and cast(${left} as binary) in (${right}))`
        : sql`(${left} = ${right} and cast(${left} as binary) = cast(${right} as binary))`;
    }
    return list ? sql`${left} collate binary in (${right})` : sql`${left} = ${right} collate binary`;
  }

  /** `element in collection` (or `not in`): a list value, or a many-to-many field. */
  private member(element: Operand, collection: Operand, condition: FilterCondition, negated: boolean): Clause {
    if (collection.kind === 'members' && element.kind === 'value') {
      const found = this.membership(collection, element.value, condition);
      return negated ? this.negate(found) : found;
    }
    if (collection.kind !== 'value' || !Array.isArray(collection.value)) {
      throw this.unsupported(condition, '"in" needs a list or a many-to-many field on its right');
    }
    const list = collection.value as unknown[];
    if (element.kind === 'value') {
      return list.some((item) => defaultEqualityFn(item, element.value)) !== negated;
    }
    if (!negated && list.includes(true)) {
      // Merged `true = x.flag` branches (see checkCondition), alone or with other values (`x.flag = false`).
      this.checkCondition(condition, { kind: 'value', value: true }, element);
    }
    if (element.kind === 'columns' && list.every((item) => !isObject(item))) {
      // A plain column and plain values: one IN list of the values the column's kind can unify with, and nil.
      const part = element.part;
      const kind = this.kind(part);
      if (kind === 'opaque' && list.some((item) => item !== null)) throw this.opaque(condition, part);
      const kept = [...new Set(list.filter((item) => item !== null && holdsKindOf(kind, item)))];
      const nil = list.includes(null);
      let found: Clause = false;
      if (kept.length > 0) {
        const values = sql.join(
          kept.map((item) => this.parameter(item, part.column)),
          sql`, `,
        );
        found = kind === 'string' ? this.stringEqual(part.sql, values, true) : sql`${part.sql} in (${values})`;
      }
      const nullable = !part.column.notNull;
      if (!negated) return this.or([found, nil && nullable ? sql`${part.sql} is null` : false]);
      // `x not in list`: none of the values, and nil rows unless nil is in the list.
      const notFound = this.negate(found);
      if (!nullable) return notFound;
      return nil ? this.and([notFound, sql`${part.sql} is not null`]) : this.or([notFound, sql`${part.sql} is null`]);
    }
    const each = list.map((value) => this.equal(element, { kind: 'value', value }, condition));
    if (!negated) return this.or(each);
    return this.and(list.map((value, i) => this.not(each[i]!, element, { kind: 'value', value }, condition)));
  }

  /** "One of the rows related to this one through the junction has this key", as an EXISTS subquery. */
  private membership(
    members: Extract<Operand, { kind: 'members' }>,
    value: unknown,
    condition: FilterCondition,
  ): Clause {
    const { junction, scope } = members;
    // The engine following the relation compares the key; an object would be compared as a whole row of the other
    // table, which this lookup does not read.
    if (isObject(value)) throw this.unsupported(condition, 'a many-to-many field can only be compared with a key');
    const link = this.aliasedScope(junction.table, undefined, []);
    const far = {
      sql: this.ref(link, junction.far.junction),
      column: getTableColumns(junction.table)[junction.far.junction]!,
    };
    const match = this.same(far, value, condition);
    if (match === false) return false;
    return this.exists(
      [this.fromItem(link)],
      this.and([sql`${this.ref(link, junction.near.junction)} = ${this.ref(scope, junction.near.key)}`, match]),
    );
  }

  /** `column = value` as Polar unifies: a value of another kind (`"2"` for an integer column) is never equal. */
  private same(part: Part, value: unknown, condition: FilterCondition): Clause {
    if (value === null) return part.column.notNull ? false : sql`${part.sql} is null`;
    if (isObject(value)) return false;
    const kind = this.kind(part);
    if (kind === 'opaque') throw this.opaque(condition, part);
    if (!holdsKindOf(kind, value)) return false;
    const parameter = this.parameter(value, part.column);
    return kind === 'string' ? this.stringEqual(part.sql, parameter) : sql`${part.sql} = ${parameter}`;
  }

  /** `column != value`: the negation of `=`, nil rows included (Polar says `nil != "x"`). */
  private distinct(part: Part, value: unknown, condition: FilterCondition): Clause {
    if (value === null || value === undefined) return part.column.notNull ? true : sql`${part.sql} is not null`;
    const kind = this.kind(part);
    if (kind === 'opaque') throw this.opaque(condition, part);
    if (polarFamily(kind) !== valueFamily(value)) {
      // The engine raises on `1 != "a"`, and `1 != true` differs from `not 1 = true`, which also reaches us as `!=`.
      throw this.typeError(condition, kind, value);
    }
    if (!holdsKindOf(kind, value)) return true;
    const parameter = this.parameter(value, part.column);
    const equal = kind === 'string' ? this.stringEqual(part.sql, parameter) : sql`${part.sql} = ${parameter}`;
    // Polar says `nil != "x"`; SQL says NULL <> 'x' is unknown, so nullable columns add the NULL rows back.
    return part.column.notNull ? sql`not (${equal})` : sql`(not (${equal}) or ${part.sql} is null)`;
  }

  /** `a = b` on two columns: values of one kind compared exactly, nil equal to nil, different kinds never equal. */
  private sameColumns(a: Part, b: Part, condition: FilterCondition): Clause {
    const bothNil: Clause =
      !a.column.notNull && !b.column.notNull ? sql`(${a.sql} is null and ${b.sql} is null)` : false;
    const [ka, kb] = [this.kind(a), this.kind(b)];
    if (ka === 'opaque' || kb === 'opaque') throw this.opaque(condition, ka === 'opaque' ? a : b);
    if (polarFamily(ka) !== polarFamily(kb)) return bothNil;
    if (converts(ka, kb)) throw this.converts(condition, ka, kb);
    const equal = ka === 'string' ? this.stringEqual(a.sql, b.sql) : sql`${a.sql} = ${b.sql}`;
    return this.or([equal, bothNil]);
  }

  private distinctColumns(a: Part, b: Part, condition: FilterCondition): Clause {
    const [ka, kb] = [this.kind(a), this.kind(b)];
    if (ka === 'opaque' || kb === 'opaque') throw this.opaque(condition, ka === 'opaque' ? a : b);
    if (polarFamily(ka) !== polarFamily(kb)) {
      throw this.unsupported(
        condition,
        `Polar cannot tell ${withArticle(ka)} column from ${withArticle(kb)} column with != (the engine raises or compares numbers)`,
      );
    }
    if (converts(ka, kb)) throw this.converts(condition, ka, kb);
    const different = ka === 'string' ? sql`not ${this.stringEqual(a.sql, b.sql)}` : sql`${a.sql} <> ${b.sql}`;
    if (a.column.notNull && b.column.notNull) return different;
    return sql`((${different}) or (${a.sql} is null and ${b.sql} is not null) or (${a.sql} is not null and ${b.sql} is null))`;
  }

  private and(clauses: Clause[]): Clause {
    if (clauses.includes(false)) return false;
    const kept = clauses.filter((clause): clause is SQL => clause !== true);
    if (kept.length <= 1) return kept[0] ?? true;
    return sql`(${sql.join(
      kept.map((clause) => sql`(${clause})`),
      sql` and `,
    )})`;
  }

  private or(clauses: Clause[]): Clause {
    if (clauses.includes(true)) return true;
    const kept = clauses.filter((clause): clause is SQL => clause !== false);
    if (kept.length <= 1) return kept[0] ?? false;
    return sql`(${sql.join(
      kept.map((clause) => sql`(${clause})`),
      sql` or `,
    )})`;
  }

  private negate(clause: Clause): Clause {
    return typeof clause === 'boolean' ? !clause : sql`not (${clause})`;
  }

  /** A bound value, encoded as the column's driver value (`true` is 1 for a SQLite boolean). */
  private parameter(value: unknown, column: Column): SQL {
    return sql`${sql.param(value, column)}`;
  }

  private kind(part: Part): ColumnKind {
    return drizzleColumnKind(part.column, this.dialect);
  }

  /** The table of a type, read as itself (the root) or through a fresh alias (inside a subquery). */
  private scopeOf(typeName: string, aliased: boolean): Scope {
    // An alias (`User~2`, one of two relations into User) is looked up as its type.
    const name = polarTypeName(this.filter, typeName);
    const cls = this.filter.types.get(typeName)?.cls;
    const registered = tableOfClass(cls);
    const table = this.tables[name] ?? registered?.table;
    if (table === undefined) {
      throw new DataFilteringError(
        `DrizzleAdapter: the Polar type ${name} has no Drizzle table; register it with drizzlePolarClasses(schema), ` +
          'or map it with the "tables" option',
      );
    }
    const primaryKey = registered?.table === table ? registered.primaryKey : primaryColumns(table);
    if (!aliased) return { table, ref: table, cls, primaryKey };
    return this.aliasedScope(table, cls, primaryKey);
  }

  private aliasedScope(table: Table, cls: unknown, primaryKey: Column[]): Scope {
    return { table, ref: aliasedTable(table, `${this.prefix}${this.count++}`), cls, primaryKey };
  }

  /** `"table" "alias"` for a subquery's FROM. */
  private fromItem(scope: Scope): SQL {
    return sql`${scope.table} ${sql.identifier(getTableName(scope.ref))}`;
  }

  private ref(scope: Scope, key: string): SQL {
    return sql`${(scope.ref as unknown as Record<string, Column>)[key]!}`;
  }

  private columnOf(scope: Scope, column: Column): SQL {
    const key = Object.entries(getTableColumns(scope.table)).find(([, own]) => own === column)![0];
    return this.ref(scope, key);
  }

  private converts(condition: FilterCondition, a: ColumnKind, b: ColumnKind): DataFilteringError {
    return this.unsupported(
      condition,
      `the database converts between ${a} and ${b} columns; Polar compares the strings`,
    );
  }

  private opaque(condition: FilterCondition, part: Part): DataFilteringError {
    return this.unsupported(
      condition,
      `the column "${part.column.name}" (${part.column.columnType}) reaches the engine as the driver converts it, which ` +
        'SQL cannot compare exactly; compare it with nil only, or use an integer, double, text, boolean or uuid column',
    );
  }

  private typeError(condition: FilterCondition, kind: ColumnKind, value: unknown): DataFilteringError {
    const what = `${typeof value} ${JSON.stringify(value)}`;
    return this.unsupported(
      condition,
      `Polar cannot compare ${withArticle(kind)} column with ${what} (the engine raises, or != and not = differ)`,
    );
  }

  private unsupported(condition: FilterCondition, reason: string): DataFilteringError {
    return new DataFilteringError(
      // Aliases (`User~2`, one of two relations into User) read as their type.
      `DrizzleAdapter: cannot filter ${this.filter.model} on the condition ${printFilterCondition(condition).replace(/~\d+\b/g, '')}: ${reason}`,
    );
  }
}

/** The primary key columns of a table registered without `drizzlePolarClasses` (single-column keys only). */
function primaryColumns(table: Table): Column[] {
  return Object.values(getTableColumns(table)).filter((column) => column.primary);
}

/** A uuid against a text column: the database would convert one into the other. */
function converts(a: ColumnKind, b: ColumnKind): boolean {
  return a !== b && (a === 'uuid' || b === 'uuid');
}

/** "an integer", "a string". */
function withArticle(kind: string): string {
  return /^[aeiou]/.test(kind) ? `an ${kind}` : `a ${kind}`;
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
