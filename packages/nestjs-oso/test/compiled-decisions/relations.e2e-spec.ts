import { Logger } from '@nestjs/common';
import { CompiledDecisions } from '../../src/compiled-decisions/compiled-decisions.js';
import { createOsoEngine } from '../../src/policy/policy-loader.js';
import { describeOnEachDatabase } from '../data-filtering/support/databases.js';
import { runDifferential, runListingDifferential, type ListingReport } from './support/differential.js';
import {
  RELATION_ENTITIES,
  RelExpense,
  RelOrganization,
  RelUser,
  relationFamily,
  seedRelations,
} from './support/relation-family.js';

/**
 * Compiled decisions over data filtering relations (TypeORM entities registered by `typeOrmPolarClasses`) agree
 * with the engine, which fetches `expense.organization` and `user.memberships` through `TypeOrmAdapter`: random
 * cases (fixed seed) with keys that match a row, match none, are null, odd or missing, and loaded relations that
 * agree with the database or contradict it. COMPILED_RELATION_CASES changes their number.
 */
const CASES = Number(process.env.COMPILED_RELATION_CASES ?? 20_000);
/** Listings (`authorizedActions`, `authorizedFields`) over the same relations: COMPILED_RELATION_LISTING_CASES each. */
const LISTING_CASES = Number(process.env.COMPILED_RELATION_LISTING_CASES ?? 4_000);

const printListing = (kind: string, report: ListingReport) =>
  process.stdout.write(
    `${report.family} (${kind}): ${report.cases} cases, ${report.compiled} compiled, ${report.handedToEngine} handed to the engine, ` +
      `${report.engineChecks} distinct cases asked of the engine, ${report.engineErrors} engine errors, ` +
      `${report.disagreements.length} disagreements, ${report.seconds.toFixed(1)} s\n`,
  );

describeOnEachDatabase(
  'compiled decisions over TypeORM relations',
  RELATION_ENTITIES,
  (dataSource, { kind }) => {
    beforeAll(() => Logger.overrideLogger(false));

    it('answer every case they compile as the engine does, errors included', async () => {
      const report = await runDifferential(relationFamily(dataSource()), { cases: CASES, pool: 60 });
      process.stdout.write(
        `relations (${kind}): ${report.cases} cases, ${report.compiled} compiled (${report.allowed} allowed, ${report.denied} denied), ` +
          `${report.handedToEngine} handed to the engine, ${report.engineChecks} distinct cases asked of the engine, ` +
          `${report.engineErrors} engine errors, ${report.disagreements.length} disagreements, ${report.seconds.toFixed(1)} s\n`,
      );
      expect(report.disagreements).toEqual([]);
      expect(report.cases).toBe(CASES);
      // Relations are followed by compiled predicates: both answers occur, and the engine's failures are handed over.
      expect(report.allowed).toBeGreaterThan(CASES / 20);
      expect(report.denied).toBeGreaterThan(CASES / 20);
      const read = report.triples.find((t) => t.actor === 'User' && t.action === 'read' && t.resource === 'Expense')!;
      expect(read).toMatchObject({ status: 'compiled' });
      expect(
        read.handedToEngine['a data filtering relation of kind "one" that did not find exactly one object'],
      ).toBeGreaterThan(0);
    }, 600_000);

    it('list actions and fields as the engine does, in order, following the relations, errors included', async () => {
      const family = relationFamily(dataSource());
      const actions = await runListingDifferential(
        { ...family, name: 'relation listings (authorizedActions)', actions: ['(any)'] },
        { cases: LISTING_CASES, pool: 60 },
      );
      const fields = await runListingDifferential(
        { ...family, name: 'relation listings (authorizedFields)', actions: ['read', 'update'], fields: [] },
        { cases: LISTING_CASES, pool: 60 },
      );
      for (const report of [actions, fields]) {
        printListing(kind, report);
        expect(report.disagreements).toEqual([]);
        expect(report.cases).toBe(LISTING_CASES);
        // The listings follow the relations: most cases are compiled, the engine's failures are handed over.
        expect(report.compiled).toBeGreaterThan(LISTING_CASES / 2);
        expect(report.handedToEngine).toBeGreaterThan(0);
      }
    }, 600_000);

    it('read the relation the engine reads, never a loaded one: a stale or forged organization allows nothing', async () => {
      const family = relationFamily(dataSource());
      const engine = await createOsoEngine({
        ...family.options,
        policyDir: (family.policy as { dir: string }).dir,
        classes: family.classes as never,
      });
      const compiled = new CompiledDecisions(new Logger('relations'), true);
      const bob = Object.assign(new RelUser(), { id: 2, name: 'bob' });
      // Bob is a member of organization 1 only; the expense belongs to organization 2 but carries organization 1.
      const forged = Object.assign(new RelExpense(), {
        id: 1,
        amount: 1,
        status: 'submitted',
        organizationId: 2,
        submittedById: 1,
        organization: Object.assign(new RelOrganization(), { id: 1, name: 'acme' }),
      });
      expect(await compiled.decide(engine, bob, 'read', forged)).toBe(false);
      expect(await engine.isAllowed(bob, 'read', forged)).toBe(false);
      forged.organizationId = 1;
      expect(await compiled.decide(engine, bob, 'read', forged)).toBe(true);
      expect(await engine.isAllowed(bob, 'read', forged)).toBe(true);
      // A key that matches no row: the engine fails ("Wrong number of parents"), so the decision is its own.
      forged.organizationId = 99;
      expect(await compiled.decide(engine, bob, 'read', forged)).toBeUndefined();
      await expect(engine.isAllowed(bob, 'read', forged)).rejects.toThrow();
      engine.free();
    });
  },
  seedRelations,
);
