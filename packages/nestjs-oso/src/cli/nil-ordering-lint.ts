/**
 * `nestjs-oso check` warnings for a trap of the engine: oso's Node host orders nil as JavaScript orders `null`, so
 * `d.rank < 2` is true for a resource whose `rank` is nil (`null < 2`), and `d.rank >= 0` too. isAllowed, compiled
 * decisions and data filtering all follow the engine, so such a rule lets nil through everywhere. The check cannot
 * tell which attributes may be nil, so it warns about every ordered comparison of an attribute that the same rule
 * does not first compare with `!= nil`.
 */
import { POLAR_PATH } from '../compiled-decisions/policy-sources.js';

const PATH = POLAR_PATH;
const ORDERED = String.raw`<=|>=|<|>`;
const LEFT = new RegExp(String.raw`(?<![\w.])(${PATH})\s*(${ORDERED})(?!=)`, 'g');
const RIGHT = new RegExp(String.raw`(?<![<>=!])(${ORDERED})\s*(${PATH})(?![\w.(\[])`, 'g');

/** One warning: where in the file, and what it says. */
export interface NilOrderingWarning {
  line: number;
  column: number;
  message: string;
}

/**
 * The warnings for one policy file's text.
 *
 * @example
 * nilOrderingWarnings('allow(_, "read", d: Doc) if d.rank < 2;');
 * // [{ line: 1, column: 29, message: '"d.rank <" orders an attribute that may be nil: ...' }]
 */
export function nilOrderingWarnings(text: string): NilOrderingWarning[] {
  const code = blankStringsAndComments(text);
  const warnings: NilOrderingWarning[] = [];
  let start = 0;
  for (const rule of code.split(';')) {
    const guarded = new Set<string>();
    for (const [, a, b] of rule.matchAll(new RegExp(String.raw`(${PATH})\s*!=\s*nil\b|\bnil\s*!=\s*(${PATH})`, 'g'))) {
      guarded.add((a ?? b)!);
    }
    const found: Array<{ index: number; path: string; shown: string }> = [];
    for (const match of rule.matchAll(LEFT))
      found.push({ index: match.index!, path: match[1]!, shown: `${match[1]} ${match[2]}` });
    for (const match of rule.matchAll(RIGHT)) {
      found.push({
        index: match.index! + match[0].length - match[2]!.length,
        path: match[2]!,
        shown: `${match[1]} ${match[2]}`,
      });
    }
    for (const { index, path, shown } of found.sort((a, b) => a.index - b.index)) {
      if (guarded.has(path)) continue;
      const { line, column } = position(text, start + index);
      warnings.push({
        line,
        column,
        message:
          `"${shown}" orders an attribute that may be nil: the engine orders nil as JavaScript orders null ` +
          `(nil < 2 and nil >= 0 are true), and so do compiled decisions and data filtering; add "${path} != nil and" ` +
          'before it if nil must not pass',
      });
    }
    start += rule.length + 1;
  }
  return warnings;
}

/** The text with string literals and comments replaced by spaces, so that offsets stay those of the file. */
function blankStringsAndComments(text: string): string {
  return text.replace(/"(?:[^"\\\n]|\\.)*"|#[^\n]*/g, (match) => match.replace(/[^\n]/g, ' '));
}

/** 1-based line and column of an offset. */
function position(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}
