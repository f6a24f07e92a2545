/**
 * `npm run bench`: runs every `*.bench.js` here (or those whose names contain the arguments), each in its own
 * process, prints their markdown and writes it to bench/results/latest.md with the date and machine.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { machine } from './support/report.js';

const here = new URL('.', import.meta.url).pathname;
const filters = process.argv.slice(2);
const benches = readdirSync(here)
  .filter((file) => file.endsWith('.bench.js'))
  .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
  .sort();

const sections = [`# nestjs-oso benchmarks\n\nMeasured ${machine()}.`];
for (const bench of benches) {
  console.error(`running ${bench} ...`);
  const output = execFileSync(process.execPath, [here + bench], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  console.log(output.trim() + '\n');
  sections.push(output.trim());
}
if (filters.length === 0) {
  writeFileSync(new URL('../results/latest.md', import.meta.url), sections.join('\n\n') + '\n');
  console.error('written to bench/results/latest.md');
}
