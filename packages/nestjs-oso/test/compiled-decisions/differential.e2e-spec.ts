import { writeFile } from 'node:fs/promises';
import { FAMILIES } from './support/families.js';
import { reportTable, runDifferential, type DifferentialReport } from './support/differential.js';

/**
 * Compiled decisions agree with the engine on every case they answer: 100,000 random cases per policy family, with
 * fixed seeds, from pools of 40 random actors and 40 random resources (COMPILED_DIFFERENTIAL_CASES and
 * COMPILED_DIFFERENTIAL_POOL change them; the benchmark script runs a larger set).
 */
const CASES = Number(process.env.COMPILED_DIFFERENTIAL_CASES ?? 100_000);
const POOL = Number(process.env.COMPILED_DIFFERENTIAL_POOL ?? 40);
const reports: DifferentialReport[] = [];

describe('compiled decisions against the engine', () => {
  afterAll(async () => {
    if (process.env.COMPILED_DIFFERENTIAL_REPORT)
      await writeFile(process.env.COMPILED_DIFFERENTIAL_REPORT, reportTable(reports) + '\n');
  });

  it.each(FAMILIES.map((family) => [family.name, family] as const))(
    '%s: every compiled decision equals the engine decision',
    async (_name, family) => {
      const report = await runDifferential(family, { cases: CASES, pool: POOL });
      reports.push(report);
      expect(report.disagreements).toEqual([]);
      expect(report.cases).toBe(CASES);
    },
    600_000,
  );
});
