export {
  buildAuthorizedFilter,
  filterBranches,
  type AuthorizedFilter,
  type FilterBranch,
  type FilterRelation,
} from './authorized-filter.js';
export { buildAuthorizedQuery, fetchAuthorizedResources, filterAuthorizedItems } from './authorized-resources.js';
export { InMemoryAdapter, InMemoryQuery, type InMemoryAdapterOptions } from './in-memory/in-memory.adapter.js';
export { DataFilteringError } from '../errors/data-filtering.error.js';
export type { Adapter, Datum, Filter, FilterCondition, Immediate, Projection } from 'oso';
