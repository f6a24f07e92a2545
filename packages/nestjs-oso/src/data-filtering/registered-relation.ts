import type { Filter } from 'oso';
import type { FilterRelation } from './authorized-filter.js';

/** The fields of a registered oso `Relation`: how the engine itself follows it on an instance. */
export interface RegisteredRelation {
  kind: 'one' | 'many';
  otherType: string;
  myField: string;
  otherField: string;
}

/**
 * The `Relation` registered for a join's field, if any. Compared by shape rather than `instanceof`, so that a
 * `Relation` from another copy of the oso package is recognised too.
 *
 * @internal
 */
export function registeredRelation(types: Filter['types'], relation: FilterRelation): RegisteredRelation | undefined {
  const field = types.get(relation.fromTypeName)?.fields.get(relation.fromFieldName);
  if (field === null || typeof field !== 'object') return undefined;
  const { kind, otherType, myField, otherField } = field as Partial<RegisteredRelation>;
  if (typeof myField !== 'string' || typeof otherField !== 'string' || typeof otherType !== 'string') return undefined;
  return { kind: kind === 'one' ? 'one' : 'many', otherType, myField, otherField };
}
