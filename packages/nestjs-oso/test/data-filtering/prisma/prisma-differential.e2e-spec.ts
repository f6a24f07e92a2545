import * as fc from 'fast-check';
import { Oso, type Adapter } from 'oso';
import { buildAuthorizedFilter, DataFilteringError, type AuthorizedFilter } from '../../../src/data-filtering/index.js';
import { recordPolicySources } from '../../../src/compiled-decisions/policy-sources.js';
import { PrismaAdapter, prismaPolarClasses } from '../../../src/data-filtering/prisma/index.js';
import { GdComment, GdDoc, GdMembership, GdOrg, GdTag, GdUser } from '../generated/support/gd-entities.js';
import { caseArb, renderPolicy, type GeneratedCase } from '../generated/support/policy-grammar.js';
import { engineOutcome, newTally, record, report, summary, type Outcome } from '../generated/support/differential.js';
import { buildActor, buildWorld, ReferenceAdapter } from '../generated/support/world.js';
import { gdTables, seedGd } from './support/gd-tables.js';
import { generatedClient, openPrisma, PRISMA_DATABASES, type OpenPrisma } from './support/prisma-client.js';

/**
 * The generated differential suite (issue 15) through the Prisma adapter: the same grammar of policies and data, the
 * engine registered from the Prisma schema (`prismaPolarClasses`), and every filtered list (`findMany` and `count`
 * with the adapter's `where`) compared with `isAllowed` on each row, errors included. `isAllowed` itself is run twice:
 * following relations through a plain scan of the data, and through the adapter on the seeded rows; both agree. A `DataFilteringError` is a
 * refusal; any other difference is a disagreement. Zero disagreements.
 *
 * PRISMA_DIFFERENTIAL_CASES (default: DIFFERENTIAL_CASES, else 2,000) sets the number of (policy, data) cases.
 */
const CASES = Number(process.env.PRISMA_DIFFERENTIAL_CASES ?? process.env.DIFFERENTIAL_CASES ?? 2000);
const SETS_PER_POLICY = 4;
const SEED = Number(process.env.DIFFERENTIAL_SEED ?? 1515);
const GENERATED: GeneratedCase[] = fc.sample(caseArb(SETS_PER_POLICY), {
  seed: SEED,
  numRuns: Math.ceil(CASES / SETS_PER_POLICY),
});
const TIMEOUT = Math.max(120_000, CASES * 150);
const CLASSES = { GdUser, GdOrg, GdMembership, GdDoc, GdComment, GdTag };

interface GdDelegate {
  findMany(args: object): Promise<Array<{ id: number }>>;
  count(args: object): Promise<number>;
}

async function outcomeOf(run: () => Promise<{ ids: number[]; count?: number }>): Promise<Outcome> {
  try {
    return await run();
  } catch (error) {
    return { error: (error as Error).message, refused: error instanceof DataFilteringError };
  }
}

describe.each(PRISMA_DATABASES)('the generated differential suite through Prisma on $kind', (database) => {
  if (database.skip) {
    it.skip(`skipped: ${database.skip}`, () => undefined);
    return;
  }
  let open: OpenPrisma | undefined;
  beforeAll(async () => {
    if (database.unavailable) throw new Error(`CI requires ${database.kind}: ${database.unavailable}`);
    const module = await generatedClient('gd.prisma', database.provider);
    open = await openPrisma(module, database.provider, gdTables);
  }, 120_000);
  afterAll(async () => {
    await open?.close();
  });

  it(
    `${CASES} cases agree with isAllowed`,
    async () => {
      const prisma = open!.prisma;
      const adapter = new PrismaAdapter(prisma);
      const registrations = prismaPolarClasses(prisma, { classes: CLASSES });
      const docs = prisma['gdDoc'] as GdDelegate;
      const tally = newTally();
      const start = Date.now();
      for (const generated of GENERATED) {
        // The engine, with classes registered from the Prisma schema; it follows relations on the rows through a
        // plain scan of the world (the reference adapter), independent of the adapter under test.
        const reference = new ReferenceAdapter();
        const oso = new Oso();
        recordPolicySources(oso);
        oso.setDataFilteringAdapter(reference as Adapter<unknown, unknown>);
        for (const registration of registrations) {
          oso.registerClass(registration.class, { name: registration.name, fields: registration.fields });
        }
        await oso.loadStr(renderPolicy(generated.policy));
        const actor = buildActor(generated.actor);
        let where: object | Outcome;
        try {
          where = adapter.buildQuery(await buildAuthorizedFilter(oso, actor, 'read', 'GdDoc'));
        } catch (error) {
          where = { error: (error as Error).message, refused: error instanceof DataFilteringError } as Outcome;
        }
        for (const [i, set] of generated.sets.entries()) {
          const world = buildWorld(set.data);
          reference.world = world;
          oso.setDataFilteringAdapter(reference as Adapter<unknown, unknown>);
          const expected = await engineOutcome(oso, actor, world.docs);
          await seedGd(prisma, database.provider, set.data);
          // The engine following relations through the adapter itself (`findMany` on the seeded rows, in key order,
          // as instances of the registered classes) must answer as it does through the plain scan: checked on the
          // first data set of each case, which keeps the suite's time reasonable (a query per relation followed).
          oso.setDataFilteringAdapter(adapter as Adapter<unknown, unknown>);
          const followed = i === 0 ? await engineOutcome(oso, actor, world.docs) : expected;
          if (
            'error' in followed !== 'error' in expected ||
            ('ids' in followed && 'ids' in expected && followed.ids.join() !== expected.ids.join())
          ) {
            tally.disagreements.push({
              backend: database.kind,
              policy: renderPolicy(generated.policy),
              data: set.data,
              perturbations: [],
              actor: generated.actor,
              expected,
              got: followed,
              why: 'isAllowed following relations through the adapter differs from the plain scan',
            });
          }
          let got: Outcome;
          if ('error' in where) {
            got = where as Outcome;
          } else {
            const built = where;
            got = await outcomeOf(async () => {
              const [rows, count] = await Promise.all([
                docs.findMany({ where: built, select: { id: true } }),
                docs.count({ where: built }),
              ]);
              return { ids: rows.map((row) => row.id), count };
            });
          }
          record(
            tally,
            database.kind,
            { policy: generated.policy, data: set.data, actor: generated.actor, perturbations: [] },
            expected,
            got,
          );
        }
        oso.clearRules();
      }
      console.info(summary(`prisma on ${database.kind}`, tally, Date.now() - start));
      expect(report(tally)).toBe('');
      expect(tally.cases).toBeGreaterThanOrEqual(CASES);
    },
    TIMEOUT,
  );
});

/** Kept for the type of `buildAuthorizedFilter`'s answer in this file's readers' editors. */
export type { AuthorizedFilter };
