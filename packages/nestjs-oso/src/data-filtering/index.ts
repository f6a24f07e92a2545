export {
  buildAuthorizedFilter,
  filterBranches,
  type AuthorizedFilter,
  type FilterBranch,
  type FilterRelation,
} from './authorized-filter.js';
export { buildAuthorizedQuery, fetchAuthorizedResources, filterAuthorizedItems } from './authorized-resources.js';
export { DataFilteringError } from './data-filtering.error.js';
export { InMemoryAdapter, InMemoryQuery, type InMemoryAdapterOptions } from './in-memory.adapter.js';
