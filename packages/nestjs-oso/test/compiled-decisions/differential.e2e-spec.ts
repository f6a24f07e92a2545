import { writeFile } from 'node:fs/promises';
import { FAMILIES, FIELD_FAMILIES } from './support/families.js';
import { reportTable, runDifferential, type DifferentialReport, type Family } from './support/differential.js';

/**
 * Compiled decisions agree with the engine on every case they answer: 100,000 random cases per policy family, with
 * fixed seeds, from pools of 40 random actors and 40 random resources, and 10,000 per `allow_field` family
 * (COMPILED_DIFFERENTIAL_CASES, COMPILED_DIFFERENTIAL_FIELD_CASES and COMPILED_DIFFERENTIAL_POOL change them; the
 * benchmark script sets COMPILED_DIFFERENTIAL_CASES, which then counts for both).
 */
const CASES = Number(process.env.COMPILED_DIFFERENTIAL_CASES ?? 100_000);
const FIELD_CASES = Number(
  process.env.COMPILED_DIFFERENTIAL_FIELD_CASES ?? process.env.COMPILED_DIFFERENTIAL_CASES ?? 10_000,
);
const POOL = Number(process.env.COMPILED_DIFFERENTIAL_POOL ?? 40);
const reports: DifferentialReport[] = [];

/** Runs a family on `cases` cases: no disagreement, errors included. */
const agreesOn = (cases: number) => async (_name: string, family: Family) => {
  const report = await runDifferential(family, { cases, pool: POOL });
  reports.push(report);
  expect(report.disagreements).toEqual([]);
  expect(report.cases).toBe(cases);
};
const named = (families: Family[]) => families.map((family) => [family.name, family] as const);

describe('compiled decisions against the engine', () => {
  afterAll(async () => {
    if (process.env.COMPILED_DIFFERENTIAL_REPORT)
      await writeFile(process.env.COMPILED_DIFFERENTIAL_REPORT, reportTable(reports) + '\n');
  });

  it.each(named(FAMILIES))('%s: every compiled decision equals the engine decision', agreesOn(CASES), 600_000);

  it.each(named(FIELD_FAMILIES))(
    '%s: every compiled allow_field decision equals the engine decision',
    agreesOn(FIELD_CASES),
    600_000,
  );
});
