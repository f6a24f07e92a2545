/**
 * Two routes side by side for many rounds, to settle a ratio that `npm run bench` reads with a few percent of
 * spread (each of its HTTP rows is one pair of processes, and pairs differ). Not part of `npm run bench`; run that
 * once first so that bench/dist exists.
 *
 *   node bench/dist/side-by-side.js <express|fastify> <rounds> <app> <path> [<reference app> <reference path>]
 *   node bench/dist/side-by-side.js express 15 oso /oso/route
 *
 * Apps and paths are those of support/http-server.ts and oso-apps.ts; the reference defaults to the plain app's
 * route without authorization. Prints the median of the per-round throughput ratios (route / reference), and each.
 *
 * Two processes of the same code differ by a few percent for their whole life, more than rounds of one pair do:
 * `PAIRS=5` measures on 5 fresh pairs of processes, one after the other, and prints the median over all their rounds
 * and each pair's median.
 */
import { load, pinLoadGenerator, Server } from './support/http-load.js';
import { fixed, median } from './support/report.js';

const [
  platform = 'express',
  rounds = '15',
  app = 'oso',
  path = '/oso/route',
  referenceApp = 'plain',
  referencePath = '/plain/none/1',
] = process.argv.slice(2);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const PAIRS = Number(process.env.PAIRS ?? 1);

pinLoadGenerator();
const ratios: number[] = [];
const pairMedians: number[] = [];
for (let pair = 0; pair < PAIRS; pair++) {
  const [server, reference] = [await Server.start(platform, app), await Server.start(platform, referenceApp)];
  try {
    await Promise.all([load(server, path, 1), load(reference, referencePath, 1)]); // warm-up
    const pairRatios: number[] = [];
    for (let round = 0; round < Number(rounds); round++) {
      const [measured, base] = await Promise.all([
        load(server, path, SECONDS),
        load(reference, referencePath, SECONDS),
      ]);
      pairRatios.push(measured.rps / base.rps);
    }
    ratios.push(...pairRatios);
    pairMedians.push(median(pairRatios));
  } finally {
    await Promise.all([server.stop(), reference.stop()]);
  }
}
const sorted = (values: number[]) => [...values].sort((a, b) => a - b).map((ratio) => fixed(ratio, 3));
console.log(
  `${platform} ${app} ${path} / ${referenceApp} ${referencePath}: median ${fixed(median(ratios), 3)} ` +
    `[${sorted(ratios).join(' ')}]` +
    (PAIRS > 1 ? `; each pair's median: ${sorted(pairMedians).join(' ')}` : ''),
);
