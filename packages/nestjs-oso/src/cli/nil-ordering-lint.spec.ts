import { nilOrderingWarnings } from './nil-ordering-lint.js';

describe('nilOrderingWarnings', () => {
  const shown = (text: string) =>
    nilOrderingWarnings(text).map((w) => `${w.line}:${w.column} ${w.message.split('"')[1]}`);

  it('warns about each ordered comparison of an attribute, with its line and column', () => {
    expect(shown('allow(_, "read", d: Doc) if d.rank < 2;')).toEqual(['1:29 d.rank <']);
    expect(shown('allow(_, "read", d: Doc) if\n  0 <= d.rank and d.score > d.rank;')).toEqual([
      '2:8 <= d.rank',
      '2:19 d.score >',
      '2:29 > d.rank',
    ]);
    expect(shown('allow(u, "read", d) if d.rank >= u.level;')).toEqual(['1:24 d.rank >=', '1:34 >= u.level']);
  });

  it('says how to keep nil out', () => {
    expect(nilOrderingWarnings('allow(_, _, d) if d.rank < 2;')[0]!.message).toContain(
      'add "d.rank != nil and" before it',
    );
  });

  it('stays quiet where the same rule compares the attribute with nil, and on other comparisons', () => {
    expect(shown('allow(_, _, d) if d.rank != nil and d.rank < 2;')).toEqual([]);
    expect(shown('allow(_, _, d) if nil != d.rank and d.rank < 2;')).toEqual([]);
    expect(shown('allow(_, _, d) if d.rank = 2 and d.name != "a" and d.x in [1, 2];')).toEqual([]);
    expect(shown('allow(_, _, d) if d.rank != nil; allow(_, _, d) if d.rank < 2;')).toEqual(['1:52 d.rank <']);
  });

  it('ignores strings and comments', () => {
    expect(shown('allow(_, _, d) if d.name = "d.rank < 2"; # d.rank > 1\n')).toEqual([]);
  });
});
