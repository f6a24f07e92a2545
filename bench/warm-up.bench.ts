/**
 * What the startup warm-up buys: the first checks of a fresh process, with and without it. Each sample is a new
 * process (the engine's WebAssembly tier-up is per process); the two kinds alternate.
 */
import { execFileSync } from 'node:child_process';
import { fixed, median, table } from './support/report.js';

const PROCESSES = Number(process.env.BENCH_PROCESSES ?? 6);
const child = new URL('./support/first-checks.js', import.meta.url).pathname;

const samples: Record<'on' | 'off', Array<{ first: number; first50: number }>> = { on: [], off: [] };
for (let i = 0; i < PROCESSES; i++) {
  for (const mode of i % 2 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
    samples[mode].push(JSON.parse(execFileSync(process.execPath, [child, mode], { encoding: 'utf8' })));
  }
}
const row = (mode: 'on' | 'off', label: string) => [
  label,
  fixed(median(samples[mode].map((s) => s.first)), 2),
  fixed(median(samples[mode].map((s) => s.first50)), 1),
];
console.log(
  `## Warm-up (medians over ${PROCESSES} fresh processes each)\n\n` +
    table(
      ['startup', 'first check, ms', 'first 50 checks, ms in all'],
      [row('off', 'warmUp: false'), row('on', 'warmUp: true (default)')],
    ),
);
