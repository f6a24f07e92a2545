/**
 * Where the instructions of a request go, by function: reads what `instructions-per-request.sh` keeps with
 * `KEEP=<dir>` (callgrind's counts, and the names V8 gave its compiled code in `--perf-basic-prof`'s map) and prints
 * the functions' own instructions per request, largest first. Given a second kept directory, prints each function's
 * difference (second minus first), largest first: what one route adds to another. Not part of `npm run bench`.
 *
 *   KEEP=/tmp/floor bench/instructions-per-request.sh fastify plain /plain/loading-guard/1 4000
 *   KEEP=/tmp/route bench/instructions-per-request.sh fastify oso /oso/decorator/1 4000
 *   node bench/dist/instructions-by-function.js /tmp/floor /tmp/route
 *
 * `EVENT=I1mr` (or `D1mr`) prints first-level cache misses per request instead, from runs with `CACHE_SIM=1`.
 *
 * Functions V8 compiled are named as in its map (`*` optimised, `^` baseline, `~` interpreted); code it freed and
 * reused keeps the name written last for that address. Builtins and the C++ of Node and V8 are named by callgrind.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface CodeRange {
  start: number;
  end: number;
  name: string;
  /** Position in the map: of two ranges holding an address, the later one is the code there now. */
  order: number;
}

const ROWS = 40;
/** The callgrind event counted: `Ir` (instructions), or a cache event of a run with `CACHE_SIM=1`. */
const EVENT = process.env.EVENT ?? 'Ir';

/** The compiled code of V8's map (`/tmp/perf-<pid>.map` lines: start, size, name, in hex), sorted by start. */
function readCodeMap(file: string): CodeRange[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line, order) => {
      const [start, size, ...name] = line.split(' ');
      const from = Number.parseInt(start!, 16);
      return { start: from, end: from + Number.parseInt(size!, 16), name: shortName(name.join(' ')), order };
    })
    .sort((a, b) => a.start - b.start);
}

/** `JS:*decide file:///work/main/packages/.../oso.service.js:12:3` -> `JS:*decide oso.service.js:12:3`. */
function shortName(name: string): string {
  return name.replace(/ (?:file:\/\/)?\S*\/([^/\s]+)$/, ' $1');
}

/** The code holding `address`, the latest written where ranges overlap. */
function codeAt(ranges: CodeRange[], address: number): string | undefined {
  let low = 0;
  let high = ranges.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (ranges[mid]!.start <= address) low = mid + 1;
    else high = mid;
  }
  let found: CodeRange | undefined;
  for (let i = low - 1; i >= 0 && i >= low - 500; i--) {
    const range = ranges[i]!;
    if (address < range.end && (!found || range.order > found.order)) found = range;
  }
  return found?.name;
}

/** The own count (of `EVENT`) per request of each function of one kept run. */
function instructionsByFunction(dir: string): Map<string, number> {
  const requests = Number(readFileSync(join(dir, 'requests'), 'utf8'));
  const mapFile = readdirSync(dir).find((file) => /^perf-\d+\.map$/.test(file));
  const ranges = mapFile ? readCodeMap(join(dir, mapFile)) : [];
  const counts = readdirSync(dir).filter((file) => /^callgrind\.out\.\d+$/.test(file));
  const annotated = counts.map((file) =>
    execFileSync(
      'callgrind_annotate',
      ['--inclusive=no', '--threshold=100', `--show=${EVENT}`, `--sort=${EVENT}`, join(dir, file)],
      {
        encoding: 'utf8',
        maxBuffer: 1 << 28,
      },
    ),
  );
  const byFunction = new Map<string, number>();
  for (const line of annotated.join('\n').split('\n')) {
    const row = /^\s*([\d,]+) \([^)]*\)\s+(.+)$/.exec(line);
    if (!row || row[2]!.includes('PROGRAM TOTALS')) continue;
    const unnamed = /^\?\?\?:0x([0-9a-f]+)/.exec(row[2]!);
    const name = unnamed
      ? (codeAt(ranges, Number.parseInt(unnamed[1]!, 16)) ?? 'code not in the map')
      : row[2]!.replace(/ \[[^\]]*\]$/, '').replace(/^\?\?\?:/, '');
    const instructions = Number(row[1]!.replaceAll(',', '')) / requests;
    byFunction.set(name, (byFunction.get(name) ?? 0) + instructions);
  }
  return byFunction;
}

const total = (counts: Map<string, number>) => [...counts.values()].reduce((sum, count) => sum + count, 0);
const row = (count: number, name: string) => `${count.toFixed(0).padStart(9)}  ${name}`;

const [first, second] = process.argv.slice(2);
if (!first) throw new Error('usage: node bench/dist/instructions-by-function.js <kept dir> [<second kept dir>]');
const base = instructionsByFunction(first);
if (!second) {
  console.log(row(total(base), `${EVENT} per request in all (${first})`));
  const sorted = [...base].sort((a, b) => b[1] - a[1]);
  for (const [name, count] of sorted.slice(0, ROWS)) console.log(row(count, name));
} else {
  const other = instructionsByFunction(second);
  console.log(row(total(other) - total(base), `${EVENT} per request, ${second} minus ${first}`));
  const names = new Set([...base.keys(), ...other.keys()]);
  const differences = [...names].map((name) => [name, (other.get(name) ?? 0) - (base.get(name) ?? 0)] as const);
  differences.sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]));
  for (const [name, difference] of differences.slice(0, ROWS)) console.log(row(difference, name));
}
