/**
 * The differential check of compiled decisions: random (actor, action, resource) cases of `allow`, or (actor,
 * action, resource, field) cases of `allow_field`, each decided by the compiled predicate and by the engine, which
 * must agree, errors included.
 *
 * The engine costs about half a millisecond per check and the compiled predicate about a microsecond, so the two
 * sides are sized apart: each run draws a pool of random actors and resources (fixed seed), and every case picks
 * an actor, an action and a resource from them, as fresh deep copies. The compiled predicate decides every case;
 * the engine is asked once per distinct case (by a structural key of the whole case: classes, fields, missing
 * fields, values), which the pool sizes bound. A case the compiled predicate hands to the engine is decided by the
 * engine itself, so it cannot disagree; those are counted, not compared.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger, type Type } from '@nestjs/common';
import * as fc from 'fast-check';
import type { Oso } from 'oso';
import { CompiledDecisions, type CompiledDecisionInfo } from '../../../src/compiled-decisions/compiled-decisions.js';
import type { OsoModuleOptions, PolarClassRegistration } from '../../../src/module/oso-module-options.interface.js';
import { createOsoEngine } from '../../../src/policy/policy-loader.js';

/** A policy with the random cases to check it on. */
export interface Family {
  name: string;
  /** A folder of .polar files, or the policy text itself. */
  policy: { dir: string } | { text: string };
  classes: Array<Type<unknown> | PolarClassRegistration>;
  actors: fc.Arbitrary<unknown>;
  actions: unknown[];
  resources: fc.Arbitrary<unknown>;
  seed: number;
  /** `allow_field` families decide these fields (one per case); the others decide `allow`. */
  fields?: unknown[];
  /** More engine options (a data filtering adapter). */
  options?: Partial<OsoModuleOptions>;
}

/** How many cases, from pools of how many actors and resources. */
export interface DifferentialSize {
  cases: number;
  pool: number;
}

/** What a differential run found. */
export interface DifferentialReport {
  family: string;
  cases: number;
  /** Distinct cases (by structural key) asked of the engine. */
  engineChecks: number;
  compiled: number;
  handedToEngine: number;
  /** Among compiled decisions. */
  allowed: number;
  denied: number;
  /** Distinct cases on which the engine failed (500 in the module). */
  engineErrors: number;
  disagreements: Array<{ case: string; compiled: boolean; engine: boolean | 'error' }>;
  triples: CompiledDecisionInfo[];
  seconds: number;
}

/** Runs a family. */
export async function runDifferential(family: Family, size: DifferentialSize): Promise<DifferentialReport> {
  const started = performance.now();
  const engine = await engineOf(family);
  const logger = new Logger('differential');
  logger.debug = () => undefined;
  const compiled = new CompiledDecisions(logger, true);
  const engineAnswers = new Map<string, boolean | 'error'>();
  const report: DifferentialReport = {
    family: family.name,
    cases: 0,
    engineChecks: 0,
    compiled: 0,
    handedToEngine: 0,
    allowed: 0,
    denied: 0,
    engineErrors: 0,
    disagreements: [],
    triples: [],
    seconds: 0,
  };
  const actors = fc.sample(family.actors, { numRuns: size.pool, seed: family.seed });
  const resources = fc.sample(family.resources, { numRuns: size.pool, seed: family.seed + 1 });
  const fields = family.fields;
  const pick = fc.tuple(
    fc.nat(size.pool - 1),
    fc.constantFrom(...family.actions),
    fc.nat(size.pool - 1),
    fields ? fc.constantFrom(...fields) : fc.constant(undefined),
  );
  // Picked in batches, so that a million cases never sit in memory at once.
  const batch = 10_000;
  for (let done = 0; done < size.cases; done += batch) {
    const picks = fc.sample(pick, { numRuns: Math.min(batch, size.cases - done), seed: family.seed + 2 + done });
    for (const [a, action, r, field] of picks) {
      const actor = copy(actors[a]) ?? null;
      const resource = copy(resources[r]);
      report.cases++;
      const decision = fields
        ? compiled.decideField(engine, actor, action, resource, field)
        : compiled.decide(engine, actor, action, resource);
      const answer = decision instanceof Promise ? await decision : decision;
      if (answer === undefined) {
        report.handedToEngine++;
        continue;
      }
      report.compiled++;
      if (answer) report.allowed++;
      else report.denied++;
      const key = canonicalKey(fields ? [actor, action, resource, field] : [actor, action, resource]);
      let expected = engineAnswers.get(key);
      if (expected === undefined) {
        const query = fields
          ? engine.queryRuleOnce('allow_field', actor, action, resource, field)
          : engine.queryRuleOnce('allow', actor, action, resource);
        expected = await query.catch(() => 'error' as const);
        engineAnswers.set(key, expected);
        report.engineChecks++;
        if (expected === 'error') report.engineErrors++;
      }
      if (answer !== expected && report.disagreements.length < 20) {
        report.disagreements.push({ case: key, compiled: answer, engine: expected });
      }
    }
  }
  report.triples = compiled.describe(engine);
  report.seconds = (performance.now() - started) / 1000;
  return report;
}

async function engineOf(family: Family): Promise<Oso> {
  let dir: string;
  if ('dir' in family.policy) dir = family.policy.dir;
  else {
    dir = await mkdtemp(join(tmpdir(), 'nestjs-oso-differential-'));
    await writeFile(join(dir, 'policy.polar'), family.policy.text);
  }
  return createOsoEngine({ ...family.options, policyDir: dir, classes: family.classes as never, warmUp: false });
}

/**
 * A structural key of a value graph: class names, own enumerable fields (a missing field and an `undefined` one
 * differ), numbers with -0 and NaN told apart, Sets, Maps and Dates by content, shared objects by position.
 */
/** A deep copy that keeps prototypes (so classes), arrays, Sets, Maps and Dates. */
export function copy<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(copy) as T;
  if (value instanceof Set) return new Set([...value].map(copy)) as T;
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [copy(k), copy(v)])) as T;
  if (value instanceof Date) return new Date(value.getTime()) as T;
  const object = Object.create(Object.getPrototypeOf(value)) as Record<string, unknown>;
  for (const key of Object.keys(value)) object[key] = copy((value as Record<string, unknown>)[key]);
  return object as T;
}

export function canonicalKey(value: unknown): string {
  const seen = new Map<object, number>();
  const walk = (v: unknown): string => {
    switch (typeof v) {
      case 'number':
        return Object.is(v, -0) ? 'n-0' : `n${v}`;
      case 'string':
        return JSON.stringify(v);
      case 'boolean':
        return v ? 'T' : 'F';
      case 'undefined':
        return 'U';
      case 'function':
        return `fn:${v.name}`;
      case 'bigint':
      case 'symbol':
        return `${typeof v}:${String(v)}`;
    }
    if (v === null) return 'N';
    const object = v as object;
    if (seen.has(object)) return `@${seen.get(object)}`;
    seen.set(object, seen.size);
    const name = (object.constructor as { name?: string } | undefined)?.name ?? '(no constructor)';
    if (Array.isArray(object)) return `${name}[${object.map(walk).join(',')}]`;
    if (object instanceof Set) return `Set{${[...object].map(walk).join(',')}}`;
    if (object instanceof Map) return `Map{${[...object].map(([k, x]) => `${walk(k)}=>${walk(x)}`).join(',')}}`;
    if (object instanceof Date) return `Date(${object.getTime()})`;
    const fields = Object.keys(object).map(
      (k) => `${JSON.stringify(k)}:${walk((object as Record<string, unknown>)[k])}`,
    );
    return `${name}{${fields.join(',')}}`;
  };
  return walk(value);
}

/** The markdown table of some reports. */
export function reportTable(reports: DifferentialReport[]): string {
  const rows = reports.map((r) =>
    [
      r.family,
      r.cases,
      r.engineChecks,
      `${((r.compiled / r.cases) * 100).toFixed(1)}%`,
      r.allowed,
      r.denied,
      r.handedToEngine,
      r.engineErrors,
      r.disagreements.length,
      r.seconds.toFixed(1),
    ].join(' | '),
  );
  return [
    '| policy family | cases | distinct cases asked of the engine | compiled | allowed | denied | handed to engine | engine errors | disagreements | s |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((row) => `| ${row} |`),
  ].join('\n');
}

/** What a differential run of listings (`authorizedActions`, or `authorizedFields` for `allow_field` families) found. */
export interface ListingReport {
  family: string;
  cases: number;
  engineChecks: number;
  compiled: number;
  handedToEngine: number;
  wildcards: number;
  engineErrors: number;
  /** The answers compared in order (a Set's order), errors included. */
  disagreements: Array<{ case: string; compiled: unknown[]; engine: unknown[] | 'error' }>;
  seconds: number;
}

/**
 * Runs a family's listings: each case (an actor, a resource, `allowWildcard`, and an action for `allow_field`
 * families) is listed by the compiled listing and by the engine (once per distinct case), in order.
 */
export async function runListingDifferential(family: Family, size: DifferentialSize): Promise<ListingReport> {
  const started = performance.now();
  const engine = await engineOf(family);
  const logger = new Logger('differential');
  logger.debug = (message: string) => void (process.env.COMPILED_DIFFERENTIAL_VERBOSE && console.log(message));
  const compiled = new CompiledDecisions(logger, true);
  const engineAnswers = new Map<string, unknown[] | 'error'>();
  const fields = family.fields !== undefined;
  const report: ListingReport = {
    family: family.name,
    cases: 0,
    engineChecks: 0,
    compiled: 0,
    handedToEngine: 0,
    wildcards: 0,
    engineErrors: 0,
    disagreements: [],
    seconds: 0,
  };
  const actors = fc.sample(family.actors, { numRuns: size.pool, seed: family.seed });
  const resources = fc.sample(family.resources, { numRuns: size.pool, seed: family.seed + 1 });
  const pick = fc.tuple(fc.nat(size.pool - 1), fc.constantFrom(...family.actions), fc.nat(size.pool - 1), fc.boolean());
  const batch = 10_000;
  for (let done = 0; done < size.cases; done += batch) {
    const picks = fc.sample(pick, { numRuns: Math.min(batch, size.cases - done), seed: family.seed + 3 + done });
    for (const [a, action, r, allowWildcard] of picks) {
      const actor = copy(actors[a]) ?? null;
      const resource = copy(resources[r]);
      report.cases++;
      const listing = fields
        ? compiled.list('allow_field', engine, actor, action, resource, allowWildcard)
        : compiled.list('allow', engine, actor, undefined, resource, allowWildcard);
      const answer = listing instanceof Promise ? await listing : listing;
      if (answer === undefined) {
        report.handedToEngine++;
        continue;
      }
      report.compiled++;
      if (answer.has('*')) report.wildcards++;
      const key = canonicalKey(fields ? [actor, action, resource, allowWildcard] : [actor, resource, allowWildcard]);
      let expected = engineAnswers.get(key);
      if (expected === undefined) {
        const query = fields
          ? engine.authorizedFields(actor, action, resource, { allowWildcard })
          : engine.authorizedActions(actor, resource, { allowWildcard });
        expected = await query.then(
          (set) => [...set],
          () => 'error' as const,
        );
        engineAnswers.set(key, expected);
        report.engineChecks++;
        if (expected === 'error') report.engineErrors++;
      }
      const same =
        expected !== 'error' &&
        expected.length === answer.size &&
        [...answer].every((item, index) => Object.is(item, (expected as unknown[])[index]));
      if (!same && report.disagreements.length < 20) {
        report.disagreements.push({ case: key, compiled: [...answer], engine: expected });
      }
    }
  }
  report.seconds = (performance.now() - started) / 1000;
  return report;
}
