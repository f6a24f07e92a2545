/**
 * Every internal of the oso library that nestjs-oso uses, in one place: the classes the engine's partial results
 * are made of, its host (class registry and instance cache), its query loop, its filter parser, and its WebAssembly
 * `Polar` (to count an engine's running queries). They are not part of oso's public API, so a new oso version may
 * change them; `oso-internals.spec.ts` beside it checks each one the library relies on, and the lint rule
 * `no-restricted-imports` (eslint.config.js) keeps every other file from importing `oso/dist`.
 * The values are the ones oso itself uses (a CommonJS module is loaded once), so `instanceof` holds against what the
 * engine returns.
 */
import type { Oso } from 'oso';
import type { Query as FfiQuery } from 'oso/dist/src/polar_wasm_api.js';
import * as polarWasmApi from 'oso/dist/src/polar_wasm_api.js';

export { Expression } from 'oso/dist/src/Expression.js';
export { Pattern } from 'oso/dist/src/Pattern.js';
export { Predicate } from 'oso/dist/src/Predicate.js';
export { Host } from 'oso/dist/src/Host.js';
export { Query } from 'oso/dist/src/Query.js';
export { ancestors } from 'oso/dist/src/helpers.js';
export { Dict, type HostTypes, type UserType } from 'oso/dist/src/types.js';
export { parseFilter, type FilterJson } from 'oso/dist/src/filter.js';

/** The queries running on one engine, as `trackEngineQueries` counts them. */
export interface EngineQueries {
  /** Queries made and not yet freed by oso. */
  readonly running: number;
  /** When the last of them ended (`Date.now()`), or when counting started. */
  readonly lastEnded: number;
}

/**
 * Counts the queries running on `engine` from now on. Every query of an engine, oso's own and the partial
 * evaluations of compiled decisions alike, is made by its WebAssembly `Polar` (`newQueryFromTerm`,
 * `newQueryFromStr`), and oso frees it when it ends (also on an error, or when its caller stops early). A query made
 * and never started is never freed, so it counts as running for good: the engine then stays, as before.
 *
 * @example
 * const queries = trackEngineQueries(engine);
 * if (queries.running === 0) engine.free();
 */
export function trackEngineQueries(engine: Oso): EngineQueries {
  const ffi = engine.getFfi();
  const state = { running: 0, lastEnded: Date.now() };
  const counted = (query: FfiQuery): FfiQuery => {
    state.running++;
    const free = query.free.bind(query);
    let freed = false;
    query.free = () => {
      if (!freed) {
        freed = true;
        state.running--;
        state.lastEnded = Date.now();
      }
      free();
    };
    return query;
  };
  const fromTerm = ffi.newQueryFromTerm.bind(ffi);
  const fromString = ffi.newQueryFromStr.bind(ffi);
  ffi.newQueryFromTerm = (term: unknown) => counted(fromTerm(term));
  ffi.newQueryFromStr = (text: string) => counted(fromString(text));
  return state;
}

/**
 * The bytes of the WebAssembly memory that every engine of the process shares. It only grows: an engine freed leaves
 * room that the next ones reuse.
 *
 * @example
 * const before = polarMemoryBytes();
 */
export function polarMemoryBytes(): number {
  const { __wasm } = polarWasmApi as unknown as { __wasm: { memory: { buffer: ArrayBuffer } } };
  return __wasm.memory.buffer.byteLength;
}
