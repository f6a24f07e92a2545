import * as fc from 'fast-check';
import { Oso, type Adapter } from 'oso';
import type { DataSource } from 'typeorm';
import { buildAuthorizedFilter, DataFilteringError, type AuthorizedFilter } from '../../../src/data-filtering/index.js';
import { recordPolicySources } from '../../../src/compiled-decisions/policy-sources.js';
import { drizzleAdapter } from '../../../src/data-filtering/drizzle/index.js';
import { caseArb, renderPolicy, type GeneratedCase } from '../generated/support/policy-grammar.js';
import { engineOutcome, newTally, record, report, summary, type Outcome } from '../generated/support/differential.js';
import { buildActor, buildWorld, ReferenceAdapter, seed } from '../generated/support/world.js';
import { countOf, describeOnEachDrizzle } from './support/drizzle-databases.js';
import { gdDdl, gdPolarClasses, gdSchema, gdTables } from './support/gd-drizzle-schema.js';

/**
 * The generated differential suite (issue 15) against the Drizzle adapter (issue 20): the same policies, data and
 * seed as generated/generated-differential.e2e-spec.ts, the classes registered from the Drizzle schema by
 * `drizzlePolarClasses`, and every filtered list (`db.select().from(table).where(where)`, and its count) compared
 * with `isAllowed` on each row, errors included, on SQLite (better-sqlite3), PostgreSQL (pg) and MariaDB (mysql2).
 * Zero disagreements.
 *
 * DIFFERENTIAL_CASES sets the number of (policy, data) cases per database (default 2,000).
 */
const CASES = Number(process.env.DIFFERENTIAL_CASES ?? 2000);
const SETS_PER_POLICY = 4;
const SEED = Number(process.env.DIFFERENTIAL_SEED ?? 1515);
const GENERATED: GeneratedCase[] = fc.sample(caseArb(SETS_PER_POLICY), {
  seed: SEED,
  numRuns: Math.ceil(CASES / SETS_PER_POLICY),
});
/** Milliseconds allowed per database: PostgreSQL takes about a minute for 2,000 cases, two on a loaded machine. */
const TIMEOUT = Math.max(240_000, CASES * 240);
const LOOKUP_EVERY = 5;
/** The schema the engine's classes are registered from (each database registers its own dialect's too). */
const ENGINE_SCHEMA = gdSchema('better-sqlite3');

interface Expected {
  outcomes: Outcome[];
  filter: AuthorizedFilter | { error: string; refused: boolean };
}

/** An engine for a case's policy, the classes registered from `schema`, relations followed by `adapter`. */
async function engineFor(generated: GeneratedCase, schema: Record<string, unknown>, adapter: unknown): Promise<Oso> {
  const oso = new Oso();
  recordPolicySources(oso);
  oso.setDataFilteringAdapter(adapter as Adapter<unknown, unknown>);
  for (const { class: cls, name, fields } of gdPolarClasses(schema)) oso.registerClass(cls, { name, fields });
  await oso.loadStr(renderPolicy(generated.policy));
  return oso;
}

/** The engine's answers on each data set of a case, and the filter of its policy for its actor. */
async function expectedOf(generated: GeneratedCase): Promise<Expected> {
  const reference = new ReferenceAdapter();
  const oso = await engineFor(generated, ENGINE_SCHEMA, reference);
  const actor = buildActor(generated.actor);
  let filter: Expected['filter'];
  try {
    filter = await buildAuthorizedFilter(oso, actor, 'read', 'GdDoc');
  } catch (error) {
    filter = { error: (error as Error).message, refused: error instanceof DataFilteringError };
  }
  const outcomes: Outcome[] = [];
  for (const set of generated.sets) {
    const world = buildWorld(set.data);
    reference.world = world;
    outcomes.push(await engineOutcome(oso, actor, world.docs));
  }
  return { outcomes, filter };
}

describe('the generated differential suite against the Drizzle adapter', () => {
  const expected: Expected[] = [];

  it(
    `the engine's answers for ${CASES} cases, with the classes registered from the Drizzle schema`,
    async () => {
      const start = Date.now();
      for (const generated of GENERATED) expected.push(await expectedOf(generated));
      const refused = expected.filter((e) => 'error' in e.filter).length;
      console.info(
        `expected outcomes of ${GENERATED.length} policies in ${(Date.now() - start) / 1000} s; ${refused} refused`,
      );
      expect(expected.flatMap((e) => e.outcomes)).toHaveLength(GENERATED.length * SETS_PER_POLICY);
    },
    TIMEOUT,
  );

  describeOnEachDrizzle(
    'the lists',
    (kind) => ({ schema: gdSchema(kind), ddl: gdDdl(kind) }),
    (current, schema, database) => {
      it(
        `${CASES} cases agree with isAllowed`,
        async () => {
          if (expected.length !== GENERATED.length) throw new Error('the first test computes the expected outcomes');
          // This dialect's junctions, and its tables by Polar name (the engine's classes are registered from SQLite's).
          const tables = gdTables(schema);
          const adapter = drizzleAdapter(current().db, { tables });
          const db = { query: (statement: string) => current().run(statement) } as unknown as DataSource;
          const tally = newTally();
          let withRows = 0;
          // The engine itself following relations through the adapter (executeQuery: junction lookups, rows as
          // instances) on the seeded rows, against the reference lookups on the same data: one case in LOOKUP_EVERY,
          // since every answer queries the database once per relation it follows.
          const lookups = newTally();
          const start = Date.now();
          for (const [i, generated] of GENERATED.entries()) {
            const built = expected[i]!.filter;
            let engine: Oso | undefined;
            for (const [j, set] of generated.sets.entries()) {
              let got: Outcome;
              if ('error' in built) {
                got = built;
              } else {
                await seed(db, database.kind, set.data);
                try {
                  const query = adapter.buildQuery(built);
                  const [rows, count] = await Promise.all([
                    current().db.select().from(query.table).where(query.where),
                    countOf(current(), query.table, query.where),
                  ]);
                  got = { ids: (rows as Array<{ id: number }>).map((row) => row.id), count };
                  if (count > 0) withRows++;
                } catch (error) {
                  got = { error: (error as Error).message, refused: error instanceof DataFilteringError };
                }
              }
              const c = { policy: generated.policy, data: set.data, actor: generated.actor, perturbations: [] };
              record(tally, database.kind, c, expected[i]!.outcomes[j]!, got);
              if (!('error' in built) && i % LOOKUP_EVERY === 0) {
                engine ??= await engineFor(generated, schema, adapter);
                const actor = buildActor(generated.actor);
                const outcome = await engineOutcome(engine, actor, buildWorld(set.data).docs);
                record(lookups, database.kind, c, expected[i]!.outcomes[j]!, outcome);
              }
            }
          }
          console.info(
            `${summary(`drizzle on ${database.kind}`, tally, Date.now() - start)}\n  ${withRows} lists with rows`,
          );
          console.info(`  ${lookups.cases} engine answers with relations followed through the adapter`);
          expect(report(tally)).toBe('');
          expect(report(lookups)).toBe('');
          expect(lookups.cases).toBeGreaterThan(CASES / LOOKUP_EVERY / 2);
          expect(tally.cases).toBeGreaterThanOrEqual(CASES);
          // Most lists hold rows: the filters are tested on more than empty answers.
          expect(withRows).toBeGreaterThan(CASES / 5);
        },
        TIMEOUT,
      );
    },
  );
});
