import { FAMILIES, FIELD_FAMILIES } from './support/families.js';
import { fieldListingFamily, listingFamily } from './support/listing-families.js';
import { runListingDifferential, type Family } from './support/differential.js';

/**
 * Compiled listings (`authorizedActions`, `authorizedFields`) agree with the engine, in order, on every case they
 * answer: COMPILED_DIFFERENTIAL_CASES cases per family (2,000 by default; the large run sets 100,000), fixed seeds,
 * from pools of COMPILED_DIFFERENTIAL_POOL actors and resources.
 */
const CASES = Number(process.env.COMPILED_DIFFERENTIAL_CASES ?? 2_000);
const POOL = Number(process.env.COMPILED_DIFFERENTIAL_POOL ?? 12);
const named = (families: Family[]) => families.map((family) => [family.name, family] as const);

const agrees = async (_name: string, family: Family) => {
  const report = await runListingDifferential(family, { cases: CASES, pool: POOL });
  if (process.env.COMPILED_DIFFERENTIAL_VERBOSE)
    console.log(JSON.stringify({ ...report, disagreements: report.disagreements.length }));
  expect(report.disagreements).toEqual([]);
  expect(report.cases).toBe(CASES);
};

describe('compiled listings against the engine', () => {
  it.each(named([...FAMILIES, listingFamily]))('%s: authorizedActions equals the engine, in order', agrees, 600_000);
  it.each(named([...FIELD_FAMILIES, fieldListingFamily]))(
    '%s: authorizedFields equals the engine, in order',
    agrees,
    600_000,
  );
});
