/**
 * The Prisma adapter's compiler: oso's filter as ONE Prisma `where` object on the resource's model. Each rule is an
 * AND of conditions on the resource and of nested relation filters (`is` for a to-one relation, `some` for a
 * to-many one) holding the conditions on the related rows, which is the rule's EXISTS; the rules are an OR. Each
 * comparison is made as Polar makes it (by field type, nil as the engine's JavaScript), and whatever a `where` cannot
 * say exactly raises a `DataFilteringError` naming the condition.
 */
import type { Datum, Filter, FilterCondition } from 'oso';
import {
  describeRelation,
  filterBranches,
  mergeBranches,
  orderRelations,
  polarTypeName,
  type FilterBranch,
  type FilterComparison,
} from '../authorized-filter.js';
import { DataFilteringError } from '../../errors/data-filtering.error.js';
import { defaultEqualityFn } from '../../engine/oso-library.js';
import { printFilterCondition } from '../../engine/polar-printer.js';
import { AskEngine, compare, type ComparisonOperator } from '../../compiled-decisions/polar-values.js';
import { primaryKeyOf, type PrismaDatamodel, type PrismaField, type PrismaModel } from './prisma-datamodel.js';

/** A Prisma `where` object (`Prisma.ExpenseWhereInput` of a generated client). */
export type PrismaWhere = Record<string, unknown>;

/** Markers for "every row" and "no row", simplified away before the object is returned. */
const TRUE: PrismaWhere = Object.freeze({});
const FALSE: PrismaWhere = Object.freeze({ OR: [] });

type OrderOperator = 'Lt' | 'Leq' | 'Gt' | 'Geq';
const PRISMA_ORDER: Record<OrderOperator, string> = { Lt: 'lt', Leq: 'lte', Gt: 'gt', Geq: 'gte' };
const FLIPPED: Record<OrderOperator, OrderOperator> = { Lt: 'Gt', Leq: 'Geq', Gt: 'Lt', Geq: 'Leq' };

/** What Polar sees in a field of a row Prisma returns, for the comparisons made exact. */
type FieldKind = 'integer' | 'number' | 'string' | 'boolean' | 'enum' | 'opaque';

/** One row of a rule: the resource, or a related row reached through a relation field. */
interface Node {
  model: PrismaModel;
  conditions: PrismaWhere[];
  children: Array<{ field: PrismaField; node: Node }>;
}

type Operand =
  | { kind: 'value'; value: unknown }
  | { kind: 'column'; node: Node; field: PrismaField }
  /** A relation field (`Post.tags`): compared with a key, it means "the related row (one of them) has it". */
  | { kind: 'relation'; node: Node; field: PrismaField }
  /** The whole row (`d` itself). */
  | { kind: 'row'; node: Node };

/**
 * Compiles one filter into one `where` object (see `PrismaAdapter`).
 *
 * @internal
 */
export class PrismaWhereCompiler {
  constructor(
    private readonly datamodel: PrismaDatamodel,
    private readonly filter: Filter,
    private readonly models: Record<string, string> = {},
    /** The client's reference to a field (`prisma.expense.fields.amount`), for comparing two fields of one row. */
    private readonly fieldRef?: (model: string, field: string) => unknown,
  ) {}

  compile(): PrismaWhere {
    // Every rule is compiled, so that one the engine may raise on raises here too, whatever the other rules say (the
    // engine tries them in an order the filter does not keep).
    const all = mergeByOneValue(mergeBranches(filterBranches(this.filter))).map((branch) => this.branch(branch));
    // An unconditional rule: every row.
    if (all.includes(TRUE)) return {};
    const branches = all.filter((where) => where !== FALSE);
    if (branches.length === 0) return { OR: [] };
    return branches.length === 1 ? branches[0]! : { OR: branches };
  }

  /** The model of a Polar type name (an alias `User~2` is its type's). */
  modelOf(typeName: string): PrismaModel {
    const polar = polarTypeName(this.filter, typeName);
    const name = this.models[polar] ?? polar;
    const model = this.datamodel.models.find((candidate) => candidate.name === name);
    if (!model) {
      throw new DataFilteringError(
        `PrismaAdapter: the Polar type ${typeName} is not a model of the Prisma schema; register the model under its ` +
          'own name, or map the type with the "models" option',
      );
    }
    return model;
  }

  /** One rule: its joins as a tree of nested relation filters, each condition on the row it reads. */
  private branch(branch: FilterBranch): PrismaWhere {
    const root: Node = { model: this.modelOf(this.filter.model), conditions: [], children: [] };
    const nodes = new Map<string, Node>([[this.filter.model, root]]);
    for (const relation of orderRelations(this.filter.model, branch.relations)) {
      const from = nodes.get(relation.fromTypeName)!;
      const field = from.model.fields.find((f) => f.name === relation.fromFieldName && f.kind === 'object');
      const to = this.modelOf(relation.toTypeName);
      if (!field || field.type !== to.name) {
        throw new DataFilteringError(
          `PrismaAdapter: cannot join ${describeRelation(relation)}: ${from.model.name} has no relation field ` +
            `"${relation.fromFieldName}" to ${to.name}`,
        );
      }
      if (!field.isList && !field.isRequired) throw optionalRelation(describeRelation(relation), field);
      if (nodes.has(relation.toTypeName)) {
        throw new DataFilteringError(
          `PrismaAdapter: cannot join ${describeRelation(relation)}: the rule reaches ${relation.toTypeName} twice`,
        );
      }
      const node: Node = { model: to, conditions: [], children: [] };
      from.children.push({ field, node });
      nodes.set(relation.toTypeName, node);
    }
    // Every condition is compiled before any is found false: one the engine may raise on raises here too.
    const compiled = branch.conditions.map((condition) => this.condition(condition, nodes));
    if (compiled.some(({ where }) => where === FALSE)) return FALSE;
    for (const { node, where } of compiled) if (where !== TRUE) node.conditions.push(where);
    return this.nodeWhere(root);
  }

  private nodeWhere(node: Node): PrismaWhere {
    const parts = [...node.conditions];
    for (const child of node.children) {
      const inner = this.nodeWhere(child.node);
      if (inner === FALSE) return FALSE;
      // `is` on a to-one relation, `some` on a to-many one: "a related row exists that passes the inner filter".
      parts.push({ [child.field.name]: child.field.isList ? { some: { ...inner } } : { is: { ...inner } } });
    }
    return and(parts);
  }

  /** A condition as a filter on one row of the rule (the one whose fields it reads). */
  private condition(condition: FilterCondition, nodes: Map<string, Node>): { node: Node; where: PrismaWhere } {
    let lhs = this.operand(condition.lhs, nodes, condition);
    let rhs = this.operand(condition.rhs, nodes, condition);
    const cmp = condition.cmp as FilterComparison;
    const nodeOf = (operand: Operand) => (operand.kind === 'value' ? undefined : operand.node);
    const [a, b] = [nodeOf(lhs), nodeOf(rhs)];
    if (a && b) {
      if (a !== b)
        throw this.unsupported(condition, 'it compares fields of two different rows, which a Prisma filter cannot');
      if (lhs.kind !== 'column' || rhs.kind !== 'column') {
        throw this.unsupported(condition, 'a Prisma filter compares two fields of one row only when both are scalar');
      }
      return { node: a, where: this.columns(lhs.field, cmp, rhs.field, condition) };
    }
    const node = a ?? b ?? nodes.get(this.filter.model)!;
    if (lhs.kind === 'value' && rhs.kind === 'value') {
      if (cmp === 'In' || cmp === 'Nin') {
        if (!Array.isArray(rhs.value)) throw this.unsupported(condition, 'the right side is not a list');
        const element = lhs.value;
        const found = rhs.value.some((item) => defaultEqualityFn(item, element));
        return { node, where: found !== (cmp === 'Nin') ? TRUE : FALSE };
      }
      if (cmp === 'Eq' || cmp === 'Neq') {
        return { node, where: defaultEqualityFn(lhs.value, rhs.value) === (cmp === 'Eq') ? TRUE : FALSE };
      }
      throw this.unsupported(condition, 'it compares two constants');
    }
    switch (cmp) {
      case 'Eq':
        if (rhs.kind === 'value') [lhs, rhs] = [rhs, lhs];
        return { node, where: this.equal((lhs as { value: unknown }).value, rhs, condition) };
      case 'Neq':
        if (rhs.kind === 'value') [lhs, rhs] = [rhs, lhs];
        return { node, where: this.distinct((lhs as { value: unknown }).value, rhs, condition) };
      case 'Lt':
      case 'Leq':
      case 'Gt':
      case 'Geq': {
        let operator: OrderOperator = cmp;
        if (lhs.kind === 'value') {
          [lhs, rhs] = [rhs, lhs];
          operator = FLIPPED[operator];
        }
        return { node, where: this.order(lhs, operator, (rhs as { value: unknown }).value, condition) };
      }
      case 'In':
      case 'Nin':
        return { node, where: this.member(lhs, rhs, condition, cmp === 'Nin') };
      default:
        throw this.unsupported(condition, `the comparison ${String(condition.cmp)} is not supported`);
    }
  }

  private operand(datum: Datum, nodes: Map<string, Node>, condition: FilterCondition): Operand {
    if (!('typeName' in datum)) {
      // Polar has no undefined: it comes from the engine following a relation on an instance that lacks the key.
      if (datum.value === undefined) {
        throw this.unsupported(
          condition,
          'the value is undefined: a relation was followed on an instance that does not hold its key (select the ' +
            'foreign key field, or include the relation)',
        );
      }
      return { kind: 'value', value: datum.value };
    }
    const node = nodes.get(datum.typeName);
    if (!node) throw this.unsupported(condition, `it refers to ${datum.typeName}, which the rule does not join`);
    if (datum.fieldName === undefined) return { kind: 'row', node };
    const field = node.model.fields.find((candidate) => candidate.name === datum.fieldName);
    if (!field) throw this.unsupported(condition, `${node.model.name} has no field "${datum.fieldName}"`);
    if (field.kind === 'object') return { kind: 'relation', node, field };
    if (field.isList) throw this.unsupported(condition, `the list field "${field.name}" is not supported`);
    return { kind: 'column', node, field };
  }

  /** `value = operand`, with Polar's meaning of nil (nil = nil) and of types (`"2"` never equals 2). */
  private equal(value: unknown, operand: Operand, condition: FilterCondition): PrismaWhere {
    if (operand.kind === 'value') return defaultEqualityFn(value, operand.value) ? TRUE : FALSE;
    if (operand.kind === 'row') {
      if (value === null) return FALSE;
      if (isObject(value)) return this.sameRow(operand.node.model, value, condition);
      throw this.unsupported(condition, 'a whole row can only be compared with an instance of its class, or nil');
    }
    if (operand.kind === 'relation') return this.related(operand.field, value, condition, false);
    const field = operand.field;
    if (value === true) this.checkCondition(field, condition);
    if (value === null) return field.isRequired ? FALSE : { [field.name]: null };
    const kind = this.kind(field);
    if (kind === 'opaque') throw this.opaque(condition, field);
    if (!this.holds(field, kind, value)) return FALSE;
    if (kind === 'string' || kind === 'enum') this.exactStrings(condition);
    return { [field.name]: { equals: value } };
  }

  /** `value != operand`: the negation of `=`, nil rows included (Polar says `nil != "x"`). */
  private distinct(value: unknown, operand: Operand, condition: FilterCondition): PrismaWhere {
    if (operand.kind === 'value') return defaultEqualityFn(value, operand.value) ? FALSE : TRUE;
    if (operand.kind === 'row') {
      if (value === null) return TRUE;
      throw this.unsupported(condition, 'a whole row can only be compared with = (or with nil)');
    }
    if (operand.kind === 'relation') throw this.unsupported(condition, 'a relation can only be compared with =');
    const field = operand.field;
    if (value === null) return field.isRequired ? TRUE : { [field.name]: { not: null } };
    const kind = this.kind(field);
    if (kind === 'opaque') throw this.opaque(condition, field);
    const family = kind === 'integer' ? 'number' : kind === 'enum' ? 'string' : kind;
    if (family !== valueFamily(value)) {
      // The engine raises on `1 != "a"`, and `1 != true` differs from `not 1 = true`, which also reaches us as `!=`.
      throw this.typeError(condition, kind, value);
    }
    if (!this.holds(field, kind, value)) return TRUE;
    if (kind === 'string' || kind === 'enum') this.exactStrings(condition);
    // Prisma's `not` is SQL's `<>`, false on NULL: Polar says `nil != "x"`, so nullable fields add the nil rows back.
    const not = { [field.name]: { not: value } };
    return field.isRequired ? not : or([not, { [field.name]: null }]);
  }

  /**
   * `column op value` as the engine orders: numbers and booleans (as 0 and 1) numerically, strings by code point,
   * nil as JavaScript does (`nil < 2`: null counts as 0). Whatever a filter cannot order the same way raises.
   */
  private order(operand: Operand, operator: OrderOperator, value: unknown, condition: FilterCondition): PrismaWhere {
    if (operand.kind !== 'column') throw this.unsupported(condition, 'only a field can be ordered against a value');
    if (typeof value === 'object' && value !== null)
      throw this.unsupported(condition, 'only plain values can be ordered');
    const field = operand.field;
    const name = field.name;
    const kind = this.kind(field);
    if (kind === 'opaque' || kind === 'enum') {
      throw this.unsupported(condition, `the engine orders a ${field.type} field otherwise than the database`);
    }
    const nilRows = (): boolean => {
      if (field.isRequired) return false;
      if (typeof value === 'string' && Number.isNaN(Number(value))) {
        throw this.unsupported(
          condition,
          'nil and a non-numeric string are unordered in the engine (both < and >= are false), so whether nil rows pass ' +
            'depends on whether the rule was written negated',
        );
      }
      return this.polarOrder(operator, null, value, condition);
    };
    const withNil = (where: PrismaWhere) => (nilRows() ? or([where, { [name]: null }]) : where);
    if (value === null) {
      if (kind === 'integer' || kind === 'number') {
        const where = { [name]: { [PRISMA_ORDER[operator]]: 0 } };
        return !field.isRequired && this.polarOrder(operator, null, null, condition)
          ? or([where, { [name]: null }])
          : where;
      }
      if (kind === 'boolean') {
        const nil = this.polarOrder(operator, null, null, condition);
        return this.booleanChoice(field, (b) => this.polarOrder(operator, b, null, condition), nil);
      }
      throw this.unsupported(
        condition,
        `ordering a ${field.type} field against nil depends on JavaScript's conversion`,
      );
    }
    if (kind === 'boolean') {
      if (typeof value !== 'boolean' && typeof value !== 'number') throw this.typeError(condition, kind, value);
      return this.booleanChoice(field, (b) => this.polarOrder(operator, b, value, condition), nilRows());
    }
    if (kind === 'integer' || kind === 'number') {
      if (typeof value !== 'number' && typeof value !== 'boolean') throw this.typeError(condition, kind, value);
      let bound = +value;
      if (!Number.isFinite(bound)) throw this.unsupported(condition, 'the value is not a finite number');
      let op = operator;
      // An integer field against 2.5: `< 2.5` is `<= 2`, `> 2.5` is `>= 3` (Prisma rejects 2.5 for an Int).
      if (kind === 'integer' && !Number.isInteger(bound)) {
        [op, bound] = operator === 'Lt' || operator === 'Leq' ? ['Leq', Math.floor(bound)] : ['Geq', Math.ceil(bound)];
      }
      return withNil({ [name]: { [PRISMA_ORDER[op]]: bound } });
    }
    if (typeof value !== 'string') throw this.typeError(condition, kind, value);
    if (this.datamodel.provider !== 'sqlite') {
      throw this.unsupported(
        condition,
        `${this.datamodel.provider} orders strings by the column's collation, and a Prisma filter cannot ask for ` +
          'code point order (SQLite compares them byte for byte)',
      );
    }
    return withNil({ [name]: { [PRISMA_ORDER[operator]]: value } });
  }

  /**
   * `a op b` on two fields of one row, through Prisma's field references (fields of one type only): `=` with nil
   * equal to nil, `!=` with nil unequal to a value, and order only where neither field holds nil (JavaScript would
   * compare nil as 0, or by its conversion of the other value).
   */
  private columns(a: PrismaField, cmp: FilterComparison, b: PrismaField, condition: FilterCondition): PrismaWhere {
    const [ka, kb] = [this.kind(a), this.kind(b)];
    const family = (kind: FieldKind) => (kind === 'integer' ? 'number' : kind);
    if (ka === 'opaque' || kb === 'opaque' || ka === 'enum' || kb === 'enum') {
      throw this.unsupported(
        condition,
        `the engine compares ${a.type} and ${b.type} fields otherwise than the database`,
      );
    }
    const isNull = (field: PrismaField) => (field.isRequired ? FALSE : { [field.name]: null });
    const notNull = (field: PrismaField) => (field.isRequired ? TRUE : { [field.name]: { not: null } });
    const bothNil = and([isNull(a), isNull(b)]);
    if (cmp === 'Eq' && family(ka) !== family(kb)) return bothNil;
    if (family(ka) !== family(kb)) {
      throw this.unsupported(
        condition,
        `Polar cannot compare a ${a.type} field with a ${b.type} field (the engine raises, or compares numbers)`,
      );
    }
    if (ka !== kb)
      throw this.unsupported(
        condition,
        `a Prisma filter compares a field only with a field of its own type, not ${a.type} with ${b.type}`,
      );
    if (this.fieldRef === undefined)
      throw this.unsupported(condition, 'the adapter has no client to reference fields with');
    if (ka === 'string') this.exactStrings(condition);
    const ref = this.fieldRef(this.modelOfField(a), b.name);
    switch (cmp) {
      case 'Eq':
        return or([{ [a.name]: { equals: ref } }, bothNil]);
      case 'Neq':
        return or([
          // Prisma's `not` takes no field reference; NOT of `=` is exact once neither field holds nil.
          and([notNull(a), notNull(b), { NOT: { [a.name]: { equals: ref } } }]),
          and([isNull(a), notNull(b)]),
          and([notNull(a), isNull(b)]),
        ]);
      case 'Lt':
      case 'Leq':
      case 'Gt':
      case 'Geq':
        if (!a.isRequired || !b.isRequired) {
          throw this.unsupported(
            condition,
            "nil in one of the fields is ordered by JavaScript's conversion of the other field's value",
          );
        }
        if (ka === 'boolean') throw this.unsupported(condition, 'the engine orders booleans as 0 and 1');
        if (ka === 'string' && this.datamodel.provider !== 'sqlite') {
          throw this.unsupported(
            condition,
            `${this.datamodel.provider} orders strings by the column's collation, not by code point`,
          );
        }
        return { [a.name]: { [PRISMA_ORDER[cmp]]: ref } };
      default:
        throw this.unsupported(condition, `the comparison ${String(cmp)} of two fields is not supported`);
    }
  }

  /** The model a field belongs to. */
  private modelOfField(field: PrismaField): string {
    return this.datamodel.models.find((model) => model.fields.includes(field))!.name;
  }

  /** The rows of a boolean field whose value passes `test` (nil rows when `nil` is true). */
  private booleanChoice(field: PrismaField, test: (value: boolean) => boolean, nil: boolean): PrismaWhere {
    const values = [false, true].filter(test);
    let rows = FALSE;
    if (values.length === 2) rows = field.isRequired ? TRUE : { [field.name]: { not: null } };
    else if (values.length === 1) rows = { [field.name]: { equals: values[0] } };
    return nil && !field.isRequired ? or([rows, { [field.name]: null }]) : rows;
  }

  /** `element in collection` (or `not in`): a list value, or a to-many relation holding a key. */
  private member(element: Operand, collection: Operand, condition: FilterCondition, negated: boolean): PrismaWhere {
    if (collection.kind === 'relation' && element.kind === 'value') {
      return this.related(collection.field, element.value, condition, negated);
    }
    if (collection.kind !== 'value' || !Array.isArray(collection.value)) {
      throw this.unsupported(condition, '"in" needs a list or a to-many relation on its right');
    }
    const list = collection.value as unknown[];
    if (element.kind !== 'column') {
      if (negated) throw this.unsupported(condition, '"not in" needs a field on its left');
      return or(list.map((value) => this.equal(value, element, condition)));
    }
    const field = element.field;
    if (list.some((item) => typeof item === 'object' && item !== null)) {
      throw this.unsupported(condition, 'only plain values can be looked up in a list');
    }
    // A `true = x.flag` branch merged with others (`x.flag = false` too, by mergeBranches) keeps its check (see
    // checkCondition): the engine raises on nil there, whatever the other rules say.
    if (!negated && list.includes(true)) this.checkCondition(field, condition);
    const kind = this.kind(field);
    if (kind === 'opaque' && list.some((item) => item !== null)) throw this.opaque(condition, field);
    const kept = [...new Set(list.filter((item) => item !== null && this.holds(field, kind, item)))];
    if (kept.length > 0 && (kind === 'string' || kind === 'enum')) this.exactStrings(condition);
    const nil = list.includes(null);
    const nullable = !field.isRequired;
    // Prisma's Boolean filter has no `in`: one `equals` (or `not`, false on NULL as NOT IN is) per value.
    const boolean = kind === 'boolean';
    if (!negated) {
      const found =
        kept.length === 0
          ? FALSE
          : boolean
            ? or(kept.map((item) => ({ [field.name]: { equals: item } })))
            : { [field.name]: { in: kept } };
      return or([found, nil && nullable ? { [field.name]: null } : FALSE]);
    }
    // `x not in list`: none of the values (SQL's NOT IN leaves out NULL), and nil rows unless nil is in the list.
    const notFound =
      kept.length === 0
        ? TRUE
        : boolean
          ? and(kept.map((item) => ({ [field.name]: { not: item } })))
          : { [field.name]: { notIn: kept } };
    if (!nullable) return notFound;
    return nil ? and([notFound, { [field.name]: { not: null } }]) : or([notFound, { [field.name]: null }]);
  }

  /**
   * `relation = value` (`in` for a to-many relation). An object is compared with each related row as the engine
   * compares them (see `sameRow`). A plain key is the engine following a relation on an
   * instance (`Tag.posts = 3` for `t in post.tags`), the only place it reaches a to-many relation; elsewhere a relation
   * is an object to the engine and never equal to a plain value, which a filter cannot say apart, so it raises.
   */
  private related(field: PrismaField, value: unknown, condition: FilterCondition, negated: boolean): PrismaWhere {
    if (!field.isList && !field.isRequired) throw optionalRelation(printFilterCondition(condition), field);
    const other = this.datamodel.models.find((model) => model.name === field.type)!;
    const match = isObject(value)
      ? this.sameRow(other, value, condition)
      : field.isList && value !== null && this.filter.relations.length === 0
        ? this.keyMatch(other, value, condition)
        : undefined;
    if (match === undefined) {
      throw this.unsupported(condition, "a relation can only be compared with an instance of its model's class");
    }
    if (!field.isList) {
      if (negated) throw this.unsupported(condition, '"not in" needs a to-many relation');
      return match === FALSE ? FALSE : { [field.name]: { is: match } };
    }
    if (match === FALSE) return negated ? TRUE : FALSE;
    return { [field.name]: negated ? { none: match } : { some: match } };
  }

  /**
   * The rows equal to `value` as the engine finds them: lodash's `isEqual` (the same constructor, exactly the same own
   * enumerable properties, each deeply equal), against the rows the engine loads (`executeQuery`'s instances of the
   * registered class, holding every scalar field and nothing else). A row is never equal to an object that shares its
   * key only, so every scalar field is compared, not the primary key; what cannot be compared exactly raises.
   */
  private sameRow(model: PrismaModel, value: object, condition: FilterCondition): PrismaWhere {
    const cls = this.classOf(model);
    if (cls === undefined) {
      throw this.unsupported(
        condition,
        `${model.name} has no registered class, so the rows the engine loads are not known`,
      );
    }
    // isEqual skips the constructor check when one side has none (`Object.create(null)`), and unwraps lodash wrappers.
    if (!('constructor' in value) || Object.prototype.hasOwnProperty.call(value, '__wrapped__')) {
      throw this.unsupported(condition, 'the compared object has no constructor, or is a lodash wrapper');
    }
    const scalars = model.fields.filter((field) => field.kind !== 'object');
    const own = (key: string) => Object.prototype.hasOwnProperty.call(value, key);
    if (!scalars.every((field) => own(field.name))) return FALSE;
    // A stand-in for the row: an instance of the class holding the object's own values. Its fields are the object's
    // (the same references), so the engine's own equality tells whether the structure (class, properties, symbols)
    // matches; a loaded row differs from it only in the fields' values, compared below.
    const probe = Object.create((cls as { prototype: object }).prototype) as Record<string, unknown>;
    for (const field of scalars) probe[field.name] = (value as Record<string, unknown>)[field.name];
    let alike: boolean;
    try {
      alike = defaultEqualityFn(probe, value);
    } catch (error) {
      throw this.unsupported(
        condition,
        `the engine cannot compare the object with a row (${(error as Error).message})`,
      );
    }
    if (!alike) return FALSE;
    return and(scalars.map((field) => this.fieldIs(field, probe[field.name], condition)));
  }

  /** `field = value` as `isEqual` compares a field of a loaded row (a primitive, or null) with `value`. */
  private fieldIs(field: PrismaField, value: unknown, condition: FilterCondition): PrismaWhere {
    const name = field.name;
    if (value === undefined) return FALSE;
    const kind = this.kind(field);
    if (value === null) {
      // Prisma reads a Json field's null as JSON null and database NULL alike, which `{ field: null }` does not say.
      if (field.type === 'Json') throw this.opaque(condition, field);
      return field.isRequired ? FALSE : { [name]: null };
    }
    if (typeof value === 'object' || typeof value === 'function') {
      // isEqual finds `new Number(1)` equal to 1, and compares a Date or Decimal by its own rules.
      throw this.unsupported(
        condition,
        `the compared object's ${name} is an object, which the engine compares by its own rules`,
      );
    }
    if (kind === 'opaque') throw this.opaque(condition, field);
    if (typeof value === 'number' && !Number.isFinite(value)) {
      // isEqual finds NaN equal to NaN, which SQL does not; a Float column may hold NaN and infinities (PostgreSQL).
      throw this.unsupported(condition, `the compared object's ${name} is ${String(value)}`);
    }
    if (!this.holds(field, kind, value)) return FALSE;
    if (kind === 'string' || kind === 'enum') this.exactStrings(condition);
    return { [name]: { equals: value } };
  }

  /** `key = value` on a model's (single) primary key field. */
  private keyMatch(model: PrismaModel, value: unknown, condition: FilterCondition, name?: string): PrismaWhere {
    const key = name === undefined ? primaryKeyOf(model) : [name];
    if (key.length !== 1) throw this.unsupported(condition, `${model.name} has a composite primary key`);
    const field = model.fields.find((candidate) => candidate.name === key[0])!;
    if (value === undefined) throw this.unsupported(condition, `the compared object has no ${field.name}`);
    const kind = this.kind(field);
    if (kind === 'opaque') throw this.opaque(condition, field);
    return value === null || !this.holds(field, kind, value) ? FALSE : { [field.name]: { equals: value } };
  }

  /** The class registered for a model (under its Polar name). */
  private classOf(model: PrismaModel): (abstract new (...args: never[]) => unknown) | undefined {
    for (const [name, type] of this.filter.types) {
      const polar = typeof type.name === 'string' ? type.name : String(name);
      if ((this.models[polar] ?? polar) === model.name && typeof type.cls === 'function') {
        return type.cls as abstract new (...args: never[]) => unknown;
      }
    }
    return undefined;
  }

  /**
   * The engine rewrites a field used as a condition (`if i.flag`) into `true = i.flag`, and raises on a row whose
   * field is not a boolean (nil included) where `i.flag = true` is merely false. The two cannot be told apart, so
   * `true = field` raises unless every value of the field is a boolean: a required Boolean field.
   */
  private checkCondition(field: PrismaField, condition: FilterCondition): void {
    const kind = this.kind(field);
    if (kind === 'boolean' && field.isRequired) return;
    throw this.unsupported(
      condition,
      kind === 'boolean'
        ? 'the field may hold nil, on which the engine raises if the rule uses it as a condition (`if x.flag`), which ' +
            'reaches data filtering as `true = x.flag`; make the field required, or write `x.flag != false and x.flag != nil`'
        : `a ${field.type} field used as a condition (or compared with true): the engine raises on values that are not booleans`,
    );
  }

  private kind(field: PrismaField): FieldKind {
    if (field.kind === 'enum') return 'enum';
    switch (field.type) {
      case 'Int':
        return 'integer';
      case 'Float':
        return 'number';
      case 'String':
        return 'string';
      case 'Boolean':
        return 'boolean';
      default:
        // BigInt (a JavaScript bigint), Decimal (a Decimal.js object), DateTime, Json, Bytes: Polar compares what the
        // client returns otherwise than the database compares what it stores.
        return 'opaque';
    }
  }

  /** Whether a plain value can be equal to some value of a field of `kind`. */
  private holds(field: PrismaField, kind: FieldKind, value: unknown): boolean {
    switch (kind) {
      case 'integer':
        // Prisma's Int is 32 bits: a larger number is never stored, and the client would reject it in a filter.
        return typeof value === 'number' && Number.isInteger(value) && Math.abs(value) <= 2 ** 31 - 1;
      case 'number':
        return typeof value === 'number' && Number.isFinite(value);
      case 'string':
        return typeof value === 'string';
      case 'boolean':
        return typeof value === 'boolean';
      case 'enum':
        return typeof value === 'string' && (this.datamodel.enums?.[field.type]?.includes(value) ?? false);
      default:
        return false;
    }
  }

  /** String equality is exact on SQLite and PostgreSQL; MySQL's usual collations fold case and pad spaces. */
  private exactStrings(condition: FilterCondition): void {
    if (['sqlite', 'postgresql', 'postgres', 'cockroachdb'].includes(this.datamodel.provider)) return;
    throw this.unsupported(
      condition,
      `${this.datamodel.provider} compares strings by the column's collation (case and trailing spaces), and a ` +
        'Prisma filter cannot ask for a byte comparison',
    );
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

  private opaque(condition: FilterCondition, field: PrismaField): DataFilteringError {
    return this.unsupported(
      condition,
      `a ${field.type} field reaches the engine as the client's ${field.type === 'DateTime' ? 'Date' : 'value'}, which ` +
        'the engine compares otherwise than the database; compare it with nil only, or use an Int, Float, String or Boolean field',
    );
  }

  private typeError(condition: FilterCondition, kind: FieldKind, value: unknown): DataFilteringError {
    return this.unsupported(
      condition,
      `Polar cannot compare a field of kind ${kind} with ${typeof value} ${JSON.stringify(value)} (the engine raises, ` +
        'or != and not = differ)',
    );
  }

  private unsupported(condition: FilterCondition, reason: string): DataFilteringError {
    return new DataFilteringError(
      // Aliases (`User~2`, one of two relations into User) read as their type.
      `PrismaAdapter: cannot filter ${this.filter.model} on the condition ${printFilterCondition(condition).replace(/~\d+\b/g, '')}: ${reason}`,
    );
  }
}

/**
 * Rules that differ only in the value one field equals (`m.role in ["member", "admin"]` reaches us as two rules, one
 * per value) merged into one rule with `field in [values]`: the same rows, with one relation filter instead of one
 * per value. Only plain values other than `true` are merged (`true = x.flag` has checks of its own), and only rules
 * whose other conditions compare plain values, which can be told equal by their text.
 */
function mergeByOneValue(branches: FilterBranch[]): FilterBranch[] {
  interface Entry {
    branch: FilterBranch;
    /** For each condition that could take the values of other rules: its key, position and value. */
    keys: Map<string, { index: number; value: unknown }>;
    chosen?: { key: string; index: number; values: unknown[] };
  }
  const text = (condition: FilterCondition) => JSON.stringify([condition.lhs, condition.cmp, condition.rhs]);
  const entries: Entry[] = [];
  for (const branch of branches) {
    const keys = new Map<string, { index: number; value: unknown }>();
    const plain = branch.conditions.every((condition) =>
      [condition.lhs, condition.rhs].every((datum) => !('value' in datum) || isPlain(datum.value)),
    );
    if (plain) {
      const relations = branch.relations.map(describeRelation).sort();
      for (const [index, condition] of branch.conditions.entries()) {
        const equality = fieldEquals(condition);
        if (!equality) continue;
        const others = branch.conditions
          .filter((_, j) => j !== index)
          .map(text)
          .sort();
        keys.set(JSON.stringify([relations, equality.field, others]), { index, value: equality.value });
      }
    }
    const match = entries
      .flatMap((entry) => [...keys.keys()].map((key) => ({ entry, key })))
      .find(({ entry, key }) => entry.keys.has(key) && (entry.chosen === undefined || entry.chosen.key === key));
    if (!match) {
      entries.push({ branch, keys });
      continue;
    }
    const { entry, key } = match;
    if (!entry.chosen) {
      const own = entry.keys.get(key)!;
      entry.chosen = { key, index: own.index, values: [own.value] };
    }
    entry.chosen.values.push(keys.get(key)!.value);
  }
  return entries.map(({ branch, chosen }) => {
    if (!chosen) return branch;
    const field = fieldEquals(branch.conditions[chosen.index]!)!.field;
    const merged = { lhs: field, cmp: 'In', rhs: { value: chosen.values } } as unknown as FilterCondition;
    return {
      relations: branch.relations,
      conditions: branch.conditions.map((condition, i) => (i === chosen.index ? merged : condition)),
    };
  });
}

/** `field = value` (either way round) with a plain value other than `true`. */
function fieldEquals(condition: FilterCondition): { field: FilterCondition['lhs']; value: unknown } | undefined {
  if (condition.cmp !== 'Eq') return undefined;
  for (const [a, b] of [
    [condition.lhs, condition.rhs],
    [condition.rhs, condition.lhs],
  ] as const) {
    if ('typeName' in a && a.fieldName !== undefined && 'value' in b && isPlain(b.value) && b.value !== true) {
      return { field: a, value: b.value };
    }
  }
  return undefined;
}

/** A value whose JSON text tells it apart from every other (not NaN or Infinity, which JSON spells `null`). */
function isPlain(value: unknown): boolean {
  return (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value))
  );
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

/**
 * An optional to-one relation (`reviewer Member?`): the engine following it on a row where it is nil raises ("Wrong
 * number of parents: 0"), which a `where` cannot do, so a rule that follows one is refused.
 */
function optionalRelation(what: string, field: PrismaField): DataFilteringError {
  return new DataFilteringError(
    `PrismaAdapter: cannot filter on ${what.replace(/~\d+\b/g, '')}: the relation field "${field.name}" is optional, ` +
      'and the engine raises on a row where it is nil ("Wrong number of parents"); compare its foreign key field instead',
  );
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function and(parts: PrismaWhere[]): PrismaWhere {
  if (parts.includes(FALSE)) return FALSE;
  const kept = parts.filter((part) => part !== TRUE);
  return kept.length === 0 ? TRUE : kept.length === 1 ? kept[0]! : { AND: kept };
}

function or(parts: PrismaWhere[]): PrismaWhere {
  if (parts.includes(TRUE)) return TRUE;
  const kept = parts.filter((part) => part !== FALSE);
  return kept.length === 0 ? FALSE : kept.length === 1 ? kept[0]! : { OR: kept };
}
