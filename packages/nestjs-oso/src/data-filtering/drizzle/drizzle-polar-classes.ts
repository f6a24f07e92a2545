import type { Type } from '@nestjs/common';
import {
  createTableRelationsHelpers,
  extractTablesRelationalConfig,
  getTableUniqueName,
  is,
  normalizeRelation,
  One,
  Table,
  type Column,
  type Relation as DrizzleRelation,
  type TableRelationalConfig,
} from 'drizzle-orm';
import { Relation } from '../../engine/oso-library.js';
import type { PolarClassRegistration } from '../../module/oso-module-options.interface.js';
import { DataFilteringError } from '../../errors/data-filtering.error.js';
import { junctionsOf, recordTable, type DrizzleJunction } from './drizzle-schema-registry.js';

/**
 * A many-to-many relation through a junction table, as Drizzle's `relations()` spell it: two `one` relations of the
 * junction (`from` back to the table that gets the field, `to` on to the other table).
 *
 * @example
 * const tags: DrizzleManyToMany = { through: 'postsToTags', from: 'post', to: 'tag', inverse: 'posts' };
 * @publicApi
 */
export interface DrizzleManyToMany {
  /** The schema key of the junction table. */
  through: string;
  /** The junction's `one` relation to the table that gets the field. */
  from: string;
  /** The junction's `one` relation to the other table. */
  to: string;
  /** A field for the other direction on the other table's class (`t.posts`); none by default. */
  inverse?: string;
}

/**
 * Options of `drizzlePolarClasses`.
 *
 * @example
 * drizzlePolarClasses(schema, { classes: { expenses: Expense }, names: { users: 'app::User' } })
 * @publicApi
 */
export interface DrizzlePolarClassesOptions {
  /**
   * Your classes, by schema key of their table. Their names are the Polar names; a table without one gets a class of
   * its own, named after its schema key with a capital (`expenses` gives `Expenses`).
   */
  classes?: Record<string, Type<unknown>>;
  /** Polar names by schema key, when not the class name. */
  names?: Record<string, string>;
  /** Many-to-many fields through junction tables, by schema key of the table that gets the field, then field name. */
  manyToMany?: Record<string, Record<string, DrizzleManyToMany>>;
  /** Fields to add to (or replace in) what the schema gives, by Polar name. */
  fields?: Record<string, Record<string, Type<unknown> | Relation>>;
}

/**
 * Polar class registrations for the tables of a Drizzle schema (the object you give `drizzle(client, { schema })`),
 * with a `Relation` field for each relation declared with `relations()` (`one` and `many`, the `many` side read
 * from its `one`), and for each `manyToMany` through a junction table. Policies can then follow `expense.organization`
 * or `m in org.memberships` without hand-written `Relation` declarations. Pass the result as the `classes` option of
 * `OsoModule`, with `drizzleAdapter(db)` as `dataFiltering`; the adapter finds each class's table here.
 *
 * Polar sees rows as instances of these classes: `drizzleAdapter` returns them so, and a row you load yourself
 * becomes one with `Object.assign(new Expense(), row)`. Relation fields name the columns by their schema keys
 * (`organizationId`), which is how Drizzle rows hold them.
 *
 * @example
 * OsoModule.forRootAsync({
 *   inject: [DRIZZLE],
 *   useFactory: (db: AppDatabase) => ({
 *     policyDir,
 *     classes: drizzlePolarClasses(schema, { classes: { expenses: Expense, users: User } }),
 *     dataFiltering: drizzleAdapter(db),
 *   }),
 * })
 * @throws {DataFilteringError} when an option names a table or relation the schema does not have, or a relation
 * has no single-column key.
 * @publicApi
 */
export function drizzlePolarClasses(
  schema: Record<string, unknown>,
  options: DrizzlePolarClassesOptions = {},
): PolarClassRegistration[] {
  const { tables, tableNamesMap } = extractTablesRelationalConfig(schema, createTableRelationsHelpers);
  const tableOf = (key: string) => {
    const table = schema[key];
    if (!is(table, Table)) throw new DataFilteringError(`drizzlePolarClasses: the schema has no table "${key}"`);
    return table;
  };
  const classes = new Map<string, Type<unknown>>();
  const names = new Map<string, string>();
  for (const key of Object.keys(tables)) {
    const given = options.classes?.[key];
    const name = options.names?.[key] ?? given?.name ?? key.charAt(0).toUpperCase() + key.slice(1);
    const cls = given ?? ({ [name]: class {} } as Record<string, Type<unknown>>)[name]!;
    classes.set(key, cls);
    names.set(key, name);
    recordTable(cls, tableOf(key), tables[key]!.primaryKey);
  }
  for (const key of Object.keys(options.classes ?? {})) tableOf(key);
  const keyOfTable = (table: Table) => tableNamesMap[getTableUniqueName(table)];
  const fields = new Map<string, Record<string, Type<unknown> | Relation>>([...names.keys()].map((key) => [key, {}]));

  for (const [key, config] of Object.entries(tables)) {
    for (const [field, relation] of Object.entries(config.relations as Record<string, DrizzleRelation>)) {
      const other = keyOfTable(relation.referencedTable);
      if (other === undefined) continue;
      const { fields: mine, references } = normalizeRelation(tables, tableNamesMap, relation);
      if (mine.length !== 1 || references.length !== 1) continue;
      fields.get(key)![field] = new Relation(
        is(relation, One) ? 'one' : 'many',
        names.get(other)!,
        columnKey(tables[key]!, mine[0]!),
        columnKey(tables[other]!, references[0]!),
      );
    }
  }
  for (const [key, declared] of Object.entries(options.manyToMany ?? {})) {
    tableOf(key);
    for (const [field, spec] of Object.entries(declared)) {
      const junction = tables[spec.through];
      const near = junction?.relations[spec.from] as DrizzleRelation | undefined;
      const far = junction?.relations[spec.to] as DrizzleRelation | undefined;
      if (!junction || !near || !far) {
        throw new DataFilteringError(
          `drizzlePolarClasses: ${key}.${field} goes through "${spec.through}", which needs relations "${spec.from}" and "${spec.to}"`,
        );
      }
      const [a, b] = [near, far].map((r) => normalizeRelation(tables, tableNamesMap, r));
      const other = keyOfTable(far.referencedTable)!;
      if (a!.fields.length !== 1 || b!.fields.length !== 1 || keyOfTable(near.referencedTable) !== key) {
        throw new DataFilteringError(
          `drizzlePolarClasses: ${key}.${field}: "${spec.from}" must lead back to ${key}, and both relations of ` +
            `"${spec.through}" must have one column`,
        );
      }
      const inverse = spec.inverse ?? `${names.get(key)}#${field}`;
      const table = tableOf(spec.through);
      const junctionSide = (side: NormalizedPair, to: string) => ({
        junction: columnKey(junction, side.fields[0]!),
        key: columnKey(tables[to]!, side.references[0]!),
      });
      const forward: DrizzleJunction = {
        table,
        other: tableOf(other),
        near: junctionSide(a!, key),
        far: junctionSide(b!, other),
      };
      junctionsOf(tableOf(key)).set(field, forward);
      junctionsOf(tableOf(other)).set(inverse, { table, other: tableOf(key), near: forward.far, far: forward.near });
      fields.get(key)![field] = new Relation('many', names.get(other)!, forward.near.key, inverse);
      if (spec.inverse) fields.get(other)![inverse] = new Relation('many', names.get(key)!, forward.far.key, field);
    }
  }
  return [...names].map(([key, name]) => ({
    class: classes.get(key)!,
    name,
    fields: { ...fields.get(key), ...options.fields?.[name] },
  }));
}

type NormalizedPair = ReturnType<typeof normalizeRelation>;

/** The schema key of a column: how Drizzle rows (and so Polar) name it. */
function columnKey(config: TableRelationalConfig, column: Column): string {
  const found = Object.entries(config.columns).find(([, own]) => own === column);
  if (!found) throw new DataFilteringError(`drizzlePolarClasses: column ${column.name} is not one of ${config.tsName}`);
  return found[0];
}
