import { Oso, type Adapter } from 'oso';
import type { DataSource, SelectQueryBuilder } from 'typeorm';
import {
  buildAuthorizedFilter,
  buildAuthorizedQuery,
  DataFilteringError,
  InMemoryAdapter,
  type AuthorizedFilter,
  type InMemoryQuery,
} from '../../../../src/data-filtering/index.js';
import { recordPolicySources } from '../../../../src/compiled-decisions/policy-sources.js';
import { typeOrmAdapter, typeOrmPolarClasses } from '../../../../src/data-filtering/typeorm/index.js';
import type { DatabaseKind } from '../../support/databases.js';
import { GD_ENTITIES, GdDoc } from './gd-entities.js';
import {
  renderPolicy,
  type ActorRow,
  type GeneratedCase,
  type GeneratedData,
  type GeneratedPolicy,
  type Perturbation,
} from './policy-grammar.js';
import { buildActor, buildWorld, ReferenceAdapter, seed, type World } from './world.js';

/** What a list call gave: ids, or an error (a `DataFilteringError` is a refusal of the shape). */
export type Outcome = { ids: number[]; count?: number } | { error: string; refused: boolean };

export type Backend = 'memory' | DatabaseKind;

/** One (policy, data) case that a backend got wrong. */
export interface Disagreement {
  backend: Backend;
  policy: string;
  data: GeneratedData;
  perturbations: Perturbation[];
  actor: ActorRow;
  expected: Outcome;
  got: Outcome;
  why: string;
}

export interface Tally {
  cases: number;
  /** Cases where the engine raised on some item, and the filter raised too. */
  engineErrors: number;
  /** Cases refused with a DataFilteringError, by message (first line, numbers and names blurred). */
  refused: Map<string, number>;
  disagreements: Disagreement[];
}

export function newTally(): Tally {
  return { cases: 0, engineErrors: 0, refused: new Map(), disagreements: [] };
}

/**
 * One backend's tally in a line: cases, time, the cases where the engine raised, then the refusals by message.
 * `name` says which backend (`memory`, `postgres`, `prisma on sqlite`, ...).
 */
export function summary(name: string, tally: Tally, ms: number): string {
  const refused = [...tally.refused].map(([message, count]) => `    ${count} × ${message}`).join('\n');
  return (
    `${name}: ${tally.cases} cases in ${(ms / 1000).toFixed(1)} s, ` +
    `${tally.engineErrors} where the engine raised (and so did the filter), ` +
    `${[...tally.refused.values()].reduce((a, b) => a + b, 0)} refused:\n${refused}`
  );
}

/** Every disagreement, counted by reason, then the first three in full (empty when there is none). */
export function report(tally: Tally): string {
  if (tally.disagreements.length === 0) return '';
  const reasons = new Map<string, number>();
  for (const d of tally.disagreements) reasons.set(d.why, (reasons.get(d.why) ?? 0) + 1);
  const counted = [...reasons].map(([why, count]) => `${count} × ${why}`).join('\n');
  const first = tally.disagreements
    .slice(0, 3)
    .map((d) => JSON.stringify(d, (_, v) => (v === undefined ? '<undefined>' : v), 1));
  return [counted, ...first].join('\n');
}

/** An engine for one generated policy: the entities registered from TypeORM metadata, relations followed by `adapter`. */
export async function engineFor(
  metadataSource: DataSource,
  policy: GeneratedPolicy,
  adapter: ReferenceAdapter,
): Promise<Oso> {
  const oso = new Oso();
  // As createOsoEngine does: the policy text tells which shapes the partial evaluator drops.
  recordPolicySources(oso);
  oso.setDataFilteringAdapter(adapter as Adapter<unknown, unknown>);
  for (const registration of typeOrmPolarClasses(metadataSource, GD_ENTITIES)) {
    oso.registerClass(registration.class, { name: registration.name, fields: registration.fields });
  }
  await oso.loadStr(renderPolicy(policy));
  return oso;
}

/** What `isAllowed` says of each doc, in order; the first error stops, as a list call must fail on it. */
export async function engineOutcome(oso: Oso, actor: unknown, docs: GdDoc[]): Promise<Outcome> {
  const ids: number[] = [];
  for (const doc of docs) {
    try {
      if (await oso.isAllowed(actor, 'read', doc)) ids.push(doc.id);
    } catch (error) {
      return { error: (error as Error).message, refused: false };
    }
  }
  return { ids };
}

async function outcomeOf(run: () => Promise<{ ids: number[]; count?: number }>): Promise<Outcome> {
  try {
    return await run();
  } catch (error) {
    return { error: (error as Error).message, refused: error instanceof DataFilteringError };
  }
}

/**
 * Compares a backend's outcome with the engine's. Exact ids (each once, `getCount()` agreeing), or an error where
 * the engine raised (in memory: the engine's own error), or a refusal of the shape; never rows where the engine
 * raised, never other rows.
 */
export function judge(backend: Backend, expected: Outcome, got: Outcome): string | undefined {
  if ('error' in got && got.refused) return undefined;
  if ('error' in expected) {
    if (!('error' in got)) return 'the engine raises on an item, the filter returned rows';
    if (backend === 'memory' && got.error !== expected.error) return 'the filter raised another error than the engine';
    return undefined;
  }
  if ('error' in got) return 'the filter raised where the engine answers';
  if (new Set(got.ids).size !== got.ids.length) return 'a row is returned twice';
  if (got.count !== undefined && got.count !== got.ids.length) return 'getCount() differs from the number of rows';
  const sorted = (ids: number[]) => [...ids].sort((a, b) => a - b).join(',');
  if (sorted(got.ids) !== sorted(expected.ids)) return 'other rows than isAllowed accepts';
  return undefined;
}

/** One data set of a case, as a disagreement reports it. */
export interface CaseSet {
  policy: GeneratedPolicy;
  data: GeneratedData;
  actor: ActorRow;
  perturbations: Perturbation[];
}

export function record(tally: Tally, backend: Backend, c: CaseSet, expected: Outcome, got: Outcome) {
  tally.cases++;
  const why = judge(backend, expected, got);
  if (why) {
    tally.disagreements.push({ ...c, backend, policy: renderPolicy(c.policy), expected, got, why });
    return;
  }
  if ('error' in got && got.refused) {
    const key = got.error
      .split('\n')[0]!
      .replace(/\d+/g, 'N')
      .replace(/"[^"]*"/g, '"…"')
      .slice(0, 160);
    tally.refused.set(key, (tally.refused.get(key) ?? 0) + 1);
  } else if ('error' in expected) {
    tally.engineErrors++;
  }
}

/** What a case's runs share: the engine's outcomes on the clean data sets, and the filter of the policy for the actor. */
export interface Expected {
  outcomes: Outcome[];
  filter: AuthorizedFilter | { error: string; refused: boolean };
}

/**
 * The in-memory backend on every data set of a case: on the data as the databases hold it, and on the same data with
 * the set's perturbations (absent properties, values of other types). The query is built once per case, by
 * `buildAuthorizedQuery` over an adapter whose collections are the current world's; `authorizedItems` is what
 * `filterAuthorizedItems` and `OsoService.authorizedResources` run. Returns what the databases are checked against.
 */
export async function runInMemory(
  metadataSource: DataSource,
  generated: GeneratedCase,
  tally: Tally,
): Promise<Expected> {
  const reference = new ReferenceAdapter();
  const oso = await engineFor(metadataSource, generated.policy, reference);
  const actor = buildActor(generated.actor);
  let world: World | undefined;
  const collections = Object.fromEntries(
    ['GdUser', 'GdOrg', 'GdMembership', 'GdDoc', 'GdComment', 'GdTag'].map((name) => [
      name,
      () => world!.collections[name]!,
    ]),
  );
  const memory = new InMemoryAdapter({ collections });
  let query: InMemoryQuery<GdDoc> | { error: string; refused: boolean };
  let filter: Expected['filter'];
  try {
    filter = await buildAuthorizedFilter(oso, actor, 'read', GdDoc);
  } catch (error) {
    filter = { error: (error as Error).message, refused: error instanceof DataFilteringError };
  }
  try {
    query = await buildAuthorizedQuery(
      oso,
      actor,
      'read',
      GdDoc,
      memory as unknown as Adapter<InMemoryQuery<GdDoc>, unknown>,
    );
  } catch (error) {
    query = { error: (error as Error).message, refused: error instanceof DataFilteringError };
  }
  const outcomes: Outcome[] = [];
  for (const set of generated.sets) {
    for (const perturbations of [[], set.perturbations]) {
      world = buildWorld(set.data, perturbations);
      reference.world = world;
      const expected = await engineOutcome(oso, actor, world.docs);
      const built = query;
      const got =
        'error' in built
          ? built
          : await outcomeOf(async () => ({ ids: (await built.authorizedItems(world!.docs)).map((doc) => doc.id) }));
      record(
        tally,
        'memory',
        { policy: generated.policy, data: set.data, actor: generated.actor, perturbations },
        expected,
        got,
      );
      if (perturbations.length === 0) outcomes.push(expected);
    }
  }
  return { outcomes, filter };
}

/**
 * A database backend on every data set of a case, against the engine's outcomes on the same data. The query is the
 * adapter's `buildQuery` of the case's filter: what `buildAuthorizedQuery` does, without evaluating the policy again.
 */
export async function runOnDatabase(
  dataSource: DataSource,
  kind: DatabaseKind,
  generated: GeneratedCase,
  expected: Expected,
  tally: Tally,
): Promise<void> {
  const sql = typeOrmAdapter(dataSource);
  const built = expected.filter;
  for (const [i, set] of generated.sets.entries()) {
    let got: Outcome;
    if ('error' in built && !('branches' in built)) {
      // Refused before any SQL: nothing to seed.
      got = built as Outcome;
    } else {
      await seed(dataSource, kind, set.data);
      got = await outcomeOf(async () => {
        const query = sql.buildQuery(built as AuthorizedFilter) as unknown as SelectQueryBuilder<GdDoc>;
        const [rows, count] = await Promise.all([query.getMany(), query.getCount()]);
        return { ids: rows.map((row) => row.id), count };
      });
    }
    record(
      tally,
      kind,
      { policy: generated.policy, data: set.data, actor: generated.actor, perturbations: [] },
      expected.outcomes[i]!,
      got,
    );
  }
}
