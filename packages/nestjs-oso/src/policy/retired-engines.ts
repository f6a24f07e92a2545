import type { Oso } from '../engine/oso-library.js';
import { trackEngineQueries, type EngineQueries } from '../engine/oso-internals.js';

/**
 * How long an engine replaced by a reload stays after its last query, and after the reload: beyond the checks that
 * still run on it (counted exactly), the grace covers a caller that took the engine (`OsoService.engine`, an in-memory
 * `authorizedQuery`) and asks it again after an await. With reloads every few milliseconds, about this long's worth
 * of engines is kept at once.
 */
export const RETIRED_ENGINE_GRACE_MS = 1_000;

/**
 * The engines the reloader built and then replaced, freed once nothing runs on them. oso keeps each engine's rules in
 * one WebAssembly memory shared by all engines, which JavaScript's garbage collector never reclaims: an engine not
 * freed keeps its share (about 60 KB for a small policy, 200 KB for 100 rules) until the process ends, so every reload grew the process.
 * An engine is freed once none of its queries runs and none has ended or started for the grace; a check that started
 * on it finishes on it, whatever the reloads since. The engine in place is never freed, nor one put back in place.
 */
export class RetiredEngines {
  private readonly queries = new WeakMap<Oso, EngineQueries>();
  private readonly waiting = new Set<NodeJS.Timeout>();

  constructor(
    private readonly inPlace: () => Oso,
    private readonly graceMs = RETIRED_ENGINE_GRACE_MS,
  ) {}

  /** Counts the queries of `engine`, built by the reloader, from before it is put in place. */
  track(engine: Oso): void {
    try {
      this.queries.set(engine, trackEngineQueries(engine));
    } catch {
      // An oso whose internals moved (oso-internals.spec.ts says which): the engine is kept for good, as before.
    }
  }

  /** Frees `engine` once nothing runs on it; an engine not tracked (the startup one, an app's own) is left as is. */
  retire(engine: Oso): void {
    const queries = this.queries.get(engine);
    if (queries) this.freeWhenIdle(engine, queries, Date.now());
  }

  /** Stops waiting (the app closes): what is not freed yet stays, as every engine did before. */
  close(): void {
    for (const timer of this.waiting) clearTimeout(timer);
    this.waiting.clear();
  }

  private freeWhenIdle(engine: Oso, queries: EngineQueries, retiredAt: number): void {
    const idleSince = Math.max(retiredAt, queries.lastEnded);
    const wait = queries.running > 0 ? this.graceMs : idleSince + this.graceMs - Date.now();
    if (wait > 0) {
      const timer = setTimeout(() => {
        this.waiting.delete(timer);
        this.freeWhenIdle(engine, queries, retiredAt);
      }, wait).unref();
      this.waiting.add(timer);
      return;
    }
    this.queries.delete(engine);
    if (this.inPlace() !== engine) engine.free();
  }
}
