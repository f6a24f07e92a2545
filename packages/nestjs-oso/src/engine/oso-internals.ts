/**
 * Every internal of the oso library that nestjs-oso uses, in one place: the classes the engine's partial results
 * are made of, its host (class registry and instance cache), its query loop, and its filter parser. They are not
 * part of oso's public API, so a new oso version may change them; `oso-internals.spec.ts` beside it checks each one the
 * library relies on, and the lint rule `no-restricted-imports` (eslint.config.js) keeps every other file from importing `oso/dist`.
 * The values are the ones oso itself uses (a CommonJS module is loaded once), so `instanceof` holds against what the
 * engine returns.
 */
export { Expression } from 'oso/dist/src/Expression.js';
export { Pattern } from 'oso/dist/src/Pattern.js';
export { Predicate } from 'oso/dist/src/Predicate.js';
export { Host } from 'oso/dist/src/Host.js';
export { Query } from 'oso/dist/src/Query.js';
export { ancestors } from 'oso/dist/src/helpers.js';
export { Dict, type HostTypes, type UserType } from 'oso/dist/src/types.js';
export { parseFilter, type FilterJson } from 'oso/dist/src/filter.js';
