import { Oso } from 'oso';
import { buildAuthorizedQuery, DataFilteringError } from '../../../src/data-filtering/index.js';
import { recordPolicySources } from '../../../src/compiled-decisions/policy-sources.js';
import { drizzleAdapter, drizzlePolarClasses, type DrizzleQuery } from '../../../src/data-filtering/drizzle/index.js';
import { describeOnEachDrizzle, type DrizzleKind } from './support/drizzle-databases.js';
import { createTable, drizzleTable } from './support/drizzle-tables.js';

/**
 * Each column kind the Drizzle adapter compares, on each database: the filtered list is exactly what `isAllowed`
 * accepts row by row, or the adapter refuses with a DataFilteringError naming the condition (decimals, a nullable
 * boolean used as a condition). The generated differential covers integers, doubles, text and booleans in
 * combination; this adds uuids, decimals and the edges of each kind one at a time.
 */
class Kind {
  id!: number;
}

const COLUMNS = { id: 'int', n: 'int', d: 'double?', s: 'text?', b: 'bool', nb: 'bool?', dec: 'decimal?', u: 'uuid?' };
const U1 = '0a1b2c3d-0000-4000-8000-000000000001';
const U2 = '7f000000-0000-4000-8000-000000000002';
const ROWS = [
  [1, 1, 1.5, 'a', true, true, '1.50', U1],
  [2, 2, 2, 'A', false, null, '2.00', U2],
  [3, 3, null, 'a ', true, false, null, null],
  [4, -1, -0.5, null, false, true, '0.10', U1],
  [5, 0, 2.5, 'ab', true, null, null, null],
];

/** Rules by action; `refused` ones must raise a DataFilteringError naming `condition`. */
const RULES: Record<string, { rule: string; refused?: string }> = {
  'integer-fractional': { rule: 'k.n < 2.5 and k.n > 0.5' },
  'integer-as-string': { rule: 'k.n = "2"' },
  'double-equal': { rule: 'k.d = 2' },
  'double-nil-order': { rule: 'k.d < 2' },
  'double-not-equal': { rule: 'k.d != 1.5' },
  'text-exact': { rule: 'k.s = "a"' },
  'text-not-equal': { rule: 'k.s != "a"' },
  'text-in': { rule: 'k.s in ["A", "ab", nil]' },
  'text-order': { rule: 'k.s < "b"', refused: 'Kind.s < "b"' },
  'boolean-condition': { rule: 'k.b' },
  'boolean-order': { rule: 'k.b > false' },
  'nullable-boolean-condition': { rule: 'k.nb', refused: 'Kind.nb = true' },
  'nullable-boolean-false': { rule: 'k.nb = false' },
  // Two rules, merged into `Kind.nb in [false, true]`: the second raises on nil, so the list must too.
  'nullable-boolean-false-or-condition': {
    rule: 'k.nb = false;\nallow(_, "nullable-boolean-false-or-condition", k: Kind) if k.nb',
    refused: 'Kind.nb',
  },
  'decimal-equal': { rule: 'k.dec = "1.50"', refused: 'Kind.dec = "1.50"' },
  'decimal-nil': { rule: 'k.dec = nil' },
  'uuid-equal': { rule: `k.u = "${U1}"` },
  'uuid-other-spelling': { rule: `k.u = "${U1.toUpperCase()}"` },
  'columns-equal': { rule: 'k.n = k.d' },
  'columns-order': { rule: 'k.n < k.d' },
};
const POLICY = Object.entries(RULES)
  .map(([action, { rule }]) => `allow(_, "${action}", k: Kind) if ${rule};`)
  .join('\n');

/** The table of every kind, with its rows, in `kind`'s dialect. */
function kindsTable(kind: DrizzleKind) {
  const literal = (value: unknown) =>
    value === null
      ? 'NULL'
      : typeof value === 'string'
        ? `'${value}'`
        : typeof value === 'boolean'
          ? kind === 'postgres'
            ? String(value)
            : value
              ? '1'
              : '0'
          : String(value);
  return {
    schema: { kinds: drizzleTable(kind, 'kinds', COLUMNS) },
    ddl: [
      createTable(kind, 'kinds', COLUMNS),
      `INSERT INTO kinds VALUES ${ROWS.map((row) => `(${row.map(literal).join(', ')})`).join(', ')}`,
    ],
  };
}

describeOnEachDrizzle('the Drizzle adapter compares each column kind exactly', kindsTable, (database, schema) => {
  let oso: Oso;
  const { kinds } = schema;
  beforeAll(async () => {
    oso = new Oso();
    recordPolicySources(oso);
    oso.setDataFilteringAdapter(drizzleAdapter(database().db));
    for (const { class: cls, name, fields } of drizzlePolarClasses(schema, { classes: { kinds: Kind } })) {
      oso.registerClass(cls, { name, fields });
    }
    await oso.loadStr(POLICY);
  });

  it.each(Object.entries(RULES))('%s: %o', async (action, { refused }) => {
    const attempt = buildAuthorizedQuery<DrizzleQuery>(oso, 'x', action, Kind);
    if (refused) {
      await expect(attempt).rejects.toThrow(DataFilteringError);
      await expect(attempt).rejects.toThrow(refused);
      return;
    }
    const rows = (await database().db.select().from(kinds)) as Array<Record<string, unknown>>;
    const engine: number[] = [];
    for (const row of rows) {
      if (await oso.isAllowed('x', action, Object.assign(new Kind(), row))) engine.push(row['id'] as number);
    }
    const { table, where } = await attempt;
    const listed = ((await database().db.select().from(table).where(where)) as Array<{ id: number }>).map((r) => r.id);
    expect(listed.sort()).toEqual(engine.sort());
  });
});
