/**
 * The larger run of the differential check of compiled decisions (the CI run is 100,000 cases per policy family
 * from pools of 40 actors and 40 resources): BENCH_DIFFERENTIAL_CASES cases per family (default 300,000) from
 * pools of BENCH_DIFFERENTIAL_POOL (default 100), by the same Jest suite, with the same fixed seeds.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CASES = Number(process.env.BENCH_DIFFERENTIAL_CASES ?? 300_000);
const POOL = Number(process.env.BENCH_DIFFERENTIAL_POOL ?? 100);
const root = new URL('../..', import.meta.url).pathname;

const dir = await mkdtemp(join(tmpdir(), 'nestjs-oso-differential-'));
try {
  const report = join(dir, 'report.md');
  const started = performance.now();
  let failed = false;
  try {
    execFileSync(
      process.execPath,
      [
        '--experimental-vm-modules',
        join(root, 'node_modules/jest/bin/jest.js'),
        'packages/nestjs-oso/test/compiled-decisions/differential.e2e-spec.ts',
      ],
      {
        cwd: root,
        stdio: ['ignore', 'ignore', 'inherit'],
        env: {
          ...process.env,
          COMPILED_DIFFERENTIAL_CASES: String(CASES),
          COMPILED_DIFFERENTIAL_POOL: String(POOL),
          COMPILED_DIFFERENTIAL_REPORT: report,
        },
      },
    );
  } catch {
    failed = true;
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `## Compiled decisions against the engine (${CASES.toLocaleString('en')} random cases per policy family, pools of ${POOL}, ${seconds.toFixed(0)} s)\n\n` +
      (await readFile(report, 'utf8').catch(() => '(no report)')).trim() +
      (failed ? '\n\n**The suite FAILED: see the Jest output above.**' : ''),
  );
  if (failed) process.exitCode = 1;
} finally {
  await rm(dir, { recursive: true, force: true });
}
