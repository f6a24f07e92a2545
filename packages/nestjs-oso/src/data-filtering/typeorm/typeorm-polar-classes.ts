import type { Type } from '@nestjs/common';
import { Relation } from '../../engine/oso-library.js';
import type { DataSource, EntityMetadata, RelationMetadata } from 'typeorm';
import type { PolarClassRegistration } from '../../module/oso-module-options.interface.js';
import { DataFilteringError } from '../../errors/data-filtering.error.js';

/**
 * Options of `typeOrmPolarClasses`.
 *
 * @example
 * typeOrmPolarClasses(dataSource, [Expense], { names: { Expense: 'app::Expense' } })
 * @publicApi
 */
export interface TypeOrmPolarClassesOptions {
  /** Polar names of entities whose Polar name is not their class name, by class name. */
  names?: Record<string, string>;
  /** Fields to add to (or replace in) what the metadata gives, by Polar name: `{ Foo: { numbers: new Relation(...) } }`. */
  fields?: Record<string, Record<string, Type<unknown> | Relation>>;
}

/**
 * Polar class registrations for TypeORM entities, with a `Relation` field for each of their TypeORM relations (to
 * an entity of the list), so that policies can follow `expense.organization` or `tag in post.tags` without
 * hand-written `Relation` declarations. Pass the result as the `classes` option of `OsoModule`.
 *
 * To-one relations use the foreign key property when the entity declares one (`@Column() organizationId` or a
 * `@RelationId`), else the relation property, which `isAllowed` on an instance can then only follow when it is
 * loaded. A many-to-many relation is followed through its junction table by `TypeOrmAdapter`; the in-memory adapter
 * cannot follow it.
 *
 * @example
 * OsoModule.forRootAsync({
 *   inject: [DataSource],
 *   useFactory: (dataSource: DataSource) => ({
 *     policyDir,
 *     classes: [User, ...typeOrmPolarClasses(dataSource, [Organization, Expense])],
 *     dataFiltering: typeOrmAdapter(dataSource),
 *   }),
 * })
 * @throws {DataFilteringError} when the DataSource is not initialized or a class is not one of its entities.
 * @publicApi
 */
export function typeOrmPolarClasses(
  dataSource: DataSource,
  entities?: Array<Type<unknown>>,
  options: TypeOrmPolarClassesOptions = {},
): PolarClassRegistration[] {
  if (!dataSource.isInitialized && dataSource.entityMetadatas.length === 0) {
    throw new DataFilteringError(
      'typeOrmPolarClasses: initialize the DataSource first; its entity metadata is built then',
    );
  }
  const classes =
    entities ??
    dataSource.entityMetadatas.map((m) => m.target).filter((t): t is Type<unknown> => typeof t === 'function');
  const metadatas = classes.map((cls) => {
    if (!dataSource.hasMetadata(cls)) {
      throw new DataFilteringError(`typeOrmPolarClasses: class ${cls.name} is not an entity of this DataSource`);
    }
    return dataSource.getMetadata(cls);
  });
  const polarName = (metadata: EntityMetadata) => {
    const cls = metadata.target as Type<unknown>;
    return options.names?.[cls.name] ?? cls.name;
  };
  const included = new Set(metadatas.map((metadata) => metadata.target));

  return metadatas.map((metadata) => {
    const name = polarName(metadata);
    const fields: Record<string, Type<unknown> | Relation> = {};
    for (const relation of metadata.relations) {
      if (!included.has(relation.inverseEntityMetadata.target)) continue;
      const field = relationField(relation, name, polarName(relation.inverseEntityMetadata));
      if (field) fields[relation.propertyPath] = field;
    }
    Object.assign(fields, options.fields?.[name]);
    return { class: metadata.target as Type<unknown>, name, fields };
  });
}

/** The oso `Relation` equivalent to a TypeORM relation, or nothing for composite keys. */
function relationField(relation: RelationMetadata, ownName: string, otherName: string): Relation | undefined {
  if (relation.isManyToMany) {
    const [key] = relation.entityMetadata.primaryColumns;
    if (!key || relation.entityMetadata.primaryColumns.length !== 1) return undefined;
    // The engine looks the related rows up by `otherField`; the other side's property, or "Owner#property" when
    // there is none, tells TypeOrmAdapter which junction table to go through.
    const otherField = relation.inverseRelation?.propertyPath ?? `${ownName}#${relation.propertyPath}`;
    return new Relation('many', otherName, key.propertyPath, otherField);
  }
  if (relation.joinColumns.length > 0) {
    // To-one owner side (many-to-one, one-to-one with the join column).
    if (relation.joinColumns.length !== 1) return undefined;
    const [column] = relation.joinColumns;
    return new Relation('one', otherName, foreignKeyProperty(relation), column!.referencedColumn!.propertyPath);
  }
  const inverse = relation.inverseRelation;
  if (!inverse || inverse.joinColumns.length !== 1) return undefined;
  // One-to-many, or the inverse side of a one-to-one: the other side holds the key.
  const kind = relation.isOneToMany ? 'many' : 'one';
  return new Relation(
    kind,
    otherName,
    inverse.joinColumns[0]!.referencedColumn!.propertyPath,
    foreignKeyProperty(inverse),
  );
}

/** The property that holds a to-one relation's key on an instance: its own column, a `@RelationId`, or the relation. */
function foreignKeyProperty(relation: RelationMetadata): string {
  const [joinColumn] = relation.joinColumns;
  const explicit = relation.entityMetadata.columns.find(
    // The relation's own join column is named after the relation (`organization`, path `organization.id`).
    (column) => column.databaseName === joinColumn!.databaseName && column.propertyName !== relation.propertyName,
  );
  if (explicit) return explicit.propertyPath;
  const relationId = relation.entityMetadata.relationIds.find((id) => id.relation === relation);
  return relationId?.propertyName ?? relation.propertyPath;
}
