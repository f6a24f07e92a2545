import * as fc from 'fast-check';
import { DATABASES, openDatabase, skipReason, type OpenDatabase } from '../support/databases.js';
import { GD_ENTITIES } from './support/gd-entities.js';
import { caseArb, type GeneratedCase } from './support/policy-grammar.js';
import { newTally, report, runInMemory, runOnDatabase, summary, type Expected } from './support/differential.js';

/**
 * The generated differential suite (issue 15): policies from a grammar, data to match, and every filtered list
 * compared with the engine's answer on each item (`isAllowed`, errors included). In memory on the rows as the
 * databases hold them and on perturbed items (absent properties, values of other types); on SQLite, PostgreSQL and
 * MariaDB with the rows seeded for each case. Zero disagreements.
 *
 * DIFFERENTIAL_CASES sets the number of (policy, data) cases per backend (default 2,000; 20,000 for a long run).
 */
const CASES = Number(process.env.DIFFERENTIAL_CASES ?? 2000);
const SETS_PER_POLICY = 4;
const SEED = Number(process.env.DIFFERENTIAL_SEED ?? 1515);
const POLICIES = Math.ceil(CASES / SETS_PER_POLICY);
const GENERATED: GeneratedCase[] = fc.sample(caseArb(SETS_PER_POLICY), { seed: SEED, numRuns: POLICIES });

/** Milliseconds per 1,000 cases allowed for each backend, generously above what a loaded 2-core machine takes. */
const TIMEOUT = Math.max(120_000, CASES * 120);

describe('the generated differential suite', () => {
  const metadata: { open?: OpenDatabase } = {};
  /** The engine's outcomes on the clean data, per case and data set: computed once, with the in-memory run. */
  const expected: Expected[] = [];

  beforeAll(async () => {
    // The SQLite DataSource's metadata registers the entities (the same classes on every database).
    metadata.open = await openDatabase('sqlite', GD_ENTITIES);
  });
  afterAll(async () => {
    await metadata.open?.close();
  });

  it(
    `in memory, ${CASES} cases on the rows and as many on perturbed items, agree with isAllowed`,
    async () => {
      const tally = newTally();
      const start = Date.now();
      for (const generated of GENERATED) expected.push(await runInMemory(metadata.open!.dataSource, generated, tally));
      console.info(summary('memory', tally, Date.now() - start));
      expect(report(tally)).toBe('');
      expect(tally.cases).toBeGreaterThanOrEqual(2 * CASES);
    },
    TIMEOUT,
  );

  describe.each(DATABASES)('on $kind', (database) => {
    const skip = skipReason(database);
    if (skip) {
      it.skip(`skipped: ${skip}`, () => undefined);
      return;
    }
    let open: OpenDatabase | undefined;
    beforeAll(async () => {
      if (database.unavailable) throw new Error(`CI requires ${database.kind}: ${database.unavailable}`);
      open = database.kind === 'sqlite' ? metadata.open : await openDatabase(database.kind, GD_ENTITIES);
    });
    afterAll(async () => {
      if (open !== metadata.open) await open?.close();
    });

    it(
      `${CASES} cases agree with isAllowed`,
      async () => {
        if (expected.length !== GENERATED.length)
          throw new Error('the in-memory run computes the expected outcomes; run the whole file');
        const tally = newTally();
        const start = Date.now();
        for (const [i, generated] of GENERATED.entries()) {
          await runOnDatabase(open!.dataSource, database.kind, generated, expected[i]!, tally);
        }
        console.info(summary(database.kind, tally, Date.now() - start));
        expect(report(tally)).toBe('');
        expect(tally.cases).toBeGreaterThanOrEqual(CASES);
      },
      TIMEOUT,
    );
  });
});
