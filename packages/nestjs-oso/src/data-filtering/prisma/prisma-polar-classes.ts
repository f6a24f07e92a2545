import type { Type } from '@nestjs/common';
import { Relation } from '../../engine/oso-library.js';
import type { PolarClassRegistration } from '../../module/oso-module-options.interface.js';
import { DataFilteringError } from '../../errors/data-filtering.error.js';
import {
  oppositeField,
  primaryKeyOf,
  prismaDatamodel,
  type PrismaDatamodel,
  type PrismaField,
  type PrismaModel,
} from './prisma-datamodel.js';

/**
 * Options of `prismaPolarClasses`.
 *
 * @example
 * prismaPolarClasses(prisma, { classes: { Expense, User }, models: ['Expense', 'User', 'Organization'] })
 * @publicApi
 */
export interface PrismaPolarClassesOptions {
  /**
   * The class of each model, by model name: policies match on it (`e: Expense`), so the rows an app checks with
   * `isAllowed` must be its instances (`Object.assign(new Expense(), row)`). A model without one gets an empty class
   * of its name.
   */
  classes?: Record<string, Type<unknown>>;
  /** The models to register (default: all of the schema's). */
  models?: string[];
  /** Custom `isa` checks by model name, for plain rows: `{ Expense: (row) => 'amount' in row }`. */
  isaChecks?: Record<string, (instance: unknown) => boolean>;
  /** Fields to add to (or replace in) what the schema gives, by model name. */
  fields?: Record<string, Record<string, Type<unknown> | Relation>>;
}

/**
 * Polar class registrations for the models of a Prisma schema, with a `Relation` field for each relation field (to
 * a registered model), so that policies can follow `expense.organization`, `c in post.comments` or `t in post.tags`
 * (an implicit many-to-many) without hand-written `Relation` declarations. Pass the result as the `classes` option of
 * `OsoModule`, next to `prismaAdapter`.
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
 * @throws {DataFilteringError} when a model of `models` or `classes` is not in the schema.
 * @publicApi
 */
export function prismaPolarClasses(source: object, options: PrismaPolarClassesOptions = {}): PolarClassRegistration[] {
  const datamodel = prismaDatamodel(source);
  const byName = new Map(datamodel.models.map((model) => [model.name, model]));
  const chosen = options.models ?? datamodel.models.map((model) => model.name);
  for (const name of [...chosen, ...Object.keys(options.classes ?? {})]) {
    if (!byName.has(name)) throw new DataFilteringError(`prismaPolarClasses: the schema has no model ${name}`);
  }
  const included = new Set(chosen);
  return chosen.map((name) => {
    const model = byName.get(name)!;
    const fields: Record<string, Type<unknown> | Relation> = {};
    for (const field of model.fields) {
      if (field.kind !== 'object' || !included.has(field.type)) continue;
      const relation = relationField(datamodel, model, field);
      if (relation) fields[field.name] = relation;
    }
    Object.assign(fields, options.fields?.[name]);
    const registration: PolarClassRegistration = { class: options.classes?.[name] ?? namedClass(name), name, fields };
    const isaCheck = options.isaChecks?.[name];
    if (isaCheck) registration.isaCheck = isaCheck;
    return registration;
  });
}

/** An empty class named after a model, for a model the app has no class of. */
function namedClass(name: string): Type<unknown> {
  return { [name]: class {} }[name] as Type<unknown>;
}

/**
 * The oso `Relation` of a Prisma relation field, or nothing for composite keys: the engine follows it on an instance
 * by looking up `Other.otherField = instance[myField]`.
 */
function relationField(datamodel: PrismaDatamodel, model: PrismaModel, field: PrismaField): Relation | undefined {
  const from = field.relationFromFields ?? [];
  if (from.length > 0) {
    // The side holding the foreign key: a to-one relation.
    if (from.length !== 1 || field.relationToFields?.length !== 1) return undefined;
    return new Relation('one', field.type, from[0]!, field.relationToFields[0]!);
  }
  const opposite = oppositeField(datamodel, model, field);
  if (!opposite) return undefined;
  const oppositeFrom = opposite.relationFromFields ?? [];
  if (oppositeFrom.length === 1 && opposite.relationToFields?.length === 1) {
    // The other side holds the key: one-to-many, or the back side of a one-to-one.
    return new Relation(field.isList ? 'many' : 'one', field.type, opposite.relationToFields[0]!, oppositeFrom[0]!);
  }
  if (field.isList && opposite.isList) {
    // An implicit many-to-many: the engine looks the other rows up by their relation field back to this model,
    // which `PrismaAdapter` reads as "one of its rows has this key".
    const key = primaryKeyOf(model);
    if (key.length !== 1) return undefined;
    return new Relation('many', field.type, key[0]!, opposite.name);
  }
  return undefined;
}
