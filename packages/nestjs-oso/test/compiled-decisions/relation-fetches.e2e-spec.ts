import { Logger } from '@nestjs/common';
import * as fc from 'fast-check';
import type { Oso } from 'oso';
import { CompiledDecisions } from '../../src/compiled-decisions/compiled-decisions.js';
import { createOsoEngine } from '../../src/policy/policy-loader.js';
import { describeOnEachDatabase } from '../data-filtering/support/databases.js';
import { instance } from './support/arbitraries.js';
import { RELATION_ENTITIES, RelExpense, RelUser, relationFamily, seedRelations } from './support/relation-family.js';

/**
 * The relations one call fetches for its compiled decisions are shared (issue 19, item 1): the checks of a page fetch
 * each (relation, key) once, concurrently or not, and answer what the engine answers. COMPILED_SHARED_FETCH_CASES
 * changes the number of generated pages.
 */
const CASES = Number(process.env.COMPILED_SHARED_FETCH_CASES ?? 150);

/** The adapter queries an engine makes from now on. */
function countAdapterQueries(engine: Oso): { count: number } {
  const adapter = engine.getHost().adapter;
  const counter = { count: 0 };
  const execute = adapter.executeQuery.bind(adapter);
  adapter.executeQuery = (query: unknown) => {
    counter.count++;
    return execute(query);
  };
  return counter;
}

/** The engine's answer, or its failure as 'error' (the compiled check then hands the decision over). */
async function engineAnswer(
  engine: Oso,
  actor: unknown,
  action: string,
  resource: unknown,
): Promise<boolean | 'error'> {
  try {
    return await engine.isAllowed(actor, action, resource);
  } catch {
    return 'error';
  }
}

/** The family's engine, on its policy directory. */
function engineOf(family: ReturnType<typeof relationFamily>): Promise<Oso> {
  const { dir } = family.policy as { dir: string };
  return createOsoEngine({ ...family.options, classes: family.classes, policyDir: dir });
}

describeOnEachDatabase(
  'relations shared by the compiled decisions of one call',
  RELATION_ENTITIES,
  (dataSource) => {
    beforeAll(() => Logger.overrideLogger(false));

    it('answer a generated page of checks as the engine does, each check alone', async () => {
      const family = relationFamily(dataSource());
      const engine = await engineOf(family);
      const compiled = new CompiledDecisions(new Logger('test'), true);
      const page = fc.record({
        actor: family.actors,
        items: fc.array(fc.tuple(family.resources, fc.constantFrom(...family.actions)), { minLength: 1, maxLength: 8 }),
      });
      let decided = 0;
      const disagreements: unknown[] = [];
      for (const { actor, items } of fc.sample(page, { seed: 4242, numRuns: CASES })) {
        const call = {};
        // Made together, as a page's checks are (`Promise.all`) in one call: a fetch in flight is shared too.
        const answers = await Promise.all(
          items.map(([resource, action]) => compiled.decide(engine, actor, action, resource, call)),
        );
        for (const [i, answer] of answers.entries()) {
          if (answer === undefined) continue;
          decided++;
          const [resource, action] = items[i]!;
          const expected = await engineAnswer(engine, actor, String(action), resource);
          if (expected !== answer) disagreements.push({ actor, action, resource, answer, expected });
        }
      }
      expect(disagreements).toEqual([]);
      expect(decided).toBeGreaterThan(CASES);
    }, 300_000);

    it('fetch the organization of a page of 100 expenses and the memberships of its reader once', async () => {
      const family = relationFamily(dataSource());
      const engine = await engineOf(family);
      const compiled = new CompiledDecisions(new Logger('test'), true);
      const reader = instance(RelUser, { id: 2, name: 'u2' });
      const page = Array.from({ length: 100 }, (_, i) =>
        instance(RelExpense, { id: i + 1, amount: 1, status: 'submitted', organizationId: 1, submittedById: 1 }),
      );
      // Warm-up: the compilation makes its own queries.
      await compiled.decide(engine, reader, 'read', page[0]);
      const queries = countAdapterQueries(engine);
      const call = {};
      const answers = await Promise.all(page.map((expense) => compiled.decide(engine, reader, 'read', expense, call)));
      expect({ answers: new Set(answers), queries: queries.count }).toEqual({ answers: new Set([true]), queries: 2 });
      // Without sharing, as outside a call: two queries per check.
      queries.count = 0;
      await Promise.all(page.slice(0, 10).map((expense) => compiled.decide(engine, reader, 'read', expense)));
      expect(queries.count).toBe(20);
    });
  },
  seedRelations,
);
