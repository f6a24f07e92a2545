import { SetMetadata, type Type } from '@nestjs/common';
import type { Relation } from 'oso';
import { OSO_POLAR_CLASS } from '../module/oso.constants.js';

/**
 * The field types of a Polar class, for data filtering: other classes, or oso `Relation`s.
 *
 * @example
 * const fields: PolarClassFields = { owner: User, org: new Relation('one', 'Organization', 'orgId', 'id') };
 * @publicApi
 */
export type PolarClassFields = Record<string, Type<unknown> | Relation>;

/**
 * Options of `@PolarClass()`.
 *
 * @example
 * @PolarClass('Expense', { fields: () => ({ owner: User }), isaCheck: (value) => value instanceof Expense })
 * @publicApi
 */
export interface PolarClassOptions {
  /**
   * Types of the class's fields, for data filtering. A function is called when the engine is built, so that
   * classes may refer to each other (`fields: () => ({ expenses: Expense })`).
   */
  fields?: PolarClassFields | (() => PolarClassFields);
  /** Custom `isa` check, for values that are not instances of the class (plain objects from an ORM). */
  isaCheck?: (instance: unknown) => boolean;
}

/**
 * What `@PolarClass()` stores on the class.
 *
 * @example
 * const metadata: PolarClassMetadata | undefined = polarClassMetadataOf(Expense);
 * @publicApi
 */
export interface PolarClassMetadata extends PolarClassOptions {
  /** The name policies use for the class; the class name when absent. */
  name?: string;
}

/**
 * Declares how an entity or model class appears in Polar: its name (default: the class name), its field types
 * for data filtering and its `isa` check. It only describes the class; it registers nothing by itself, so that
 * two apps (or two test modules) in one process never share classes. List the class in `OsoModule.forRoot({
 * classes })` or in `OsoModule.forFeature([...])` of the module that owns it.
 *
 * @example
 * @PolarClass('app::Expense', { fields: () => ({ submitter: User }) })
 * export class Expense { constructor(readonly id: number, readonly submitter: User) {} }
 *
 * @Module({ imports: [OsoModule.forFeature([Expense])] })
 * export class ExpensesModule {}
 * @publicApi
 */
export function PolarClass(
  nameOrOptions?: string | PolarClassOptions,
  options: PolarClassOptions = {},
): ClassDecorator {
  const metadata: PolarClassMetadata =
    typeof nameOrOptions === 'string' ? { ...options, name: nameOrOptions } : { ...nameOrOptions };
  return SetMetadata(OSO_POLAR_CLASS, metadata);
}

/**
 * The `@PolarClass()` metadata of a class itself (a subclass does not inherit its parent's Polar name).
 *
 * @example
 * polarClassMetadataOf(Expense)?.name; // 'app::Expense'
 * @publicApi
 */
export function polarClassMetadataOf(cls: Type<unknown>): PolarClassMetadata | undefined {
  return Reflect.getOwnMetadata(OSO_POLAR_CLASS, cls) as PolarClassMetadata | undefined;
}
