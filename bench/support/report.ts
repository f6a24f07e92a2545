import { cpus, totalmem } from 'node:os';

/** The median of some numbers (the mean of the middle two for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** A markdown table. */
export function table(header: string[], rows: Array<Array<string | number>>): string {
  const line = (cells: Array<string | number>) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** What the figures were measured on. */
export function machine(): string {
  const cpu = cpus();
  return (
    `${new Date().toISOString().slice(0, 10)}, ${cpu[0]?.model ?? 'unknown CPU'} (${cpu.length} cores), ` +
    `${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`
  );
}

/** Formats a number with a fixed count of decimals. */
export const fixed = (value: number, digits = 1) => value.toFixed(digits);

/**
 * A markdown table of timings, one row per way: the runs, then the median, fastest and slowest run in ms.
 *
 * @example timingTable([['through the adapter', adapterMs], ['by hand', handMs]])
 */
export function timingTable(ways: Array<[way: string, ms: number[]]>): string {
  return table(
    ['way', 'runs', 'median ms', 'min ms', 'max ms'],
    ways.map(([way, ms]) => [
      way,
      ms.length,
      fixed(median(ms), 2),
      fixed(Math.min(...ms), 2),
      fixed(Math.max(...ms), 2),
    ]),
  );
}
