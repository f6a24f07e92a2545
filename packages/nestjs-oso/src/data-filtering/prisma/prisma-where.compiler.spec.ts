import type { Filter, FilterCondition } from 'oso';
import { DataFilteringError } from '../../errors/data-filtering.error.js';
import { Relation } from '../../engine/oso-library.js';
import { parseSchema } from './prisma-datamodel.js';
import { prismaPolarClasses } from './prisma-polar-classes.js';
import { PrismaWhereCompiler } from './prisma-where.compiler.js';

const SCHEMA = `
datasource db {
  provider = "sqlite"
}
/* A block comment with a model Fake { } inside */
model Org {
  id      Int      @id
  name    String
  tier    Int?     // nil for a new organization
  docs    Doc[]
}
model Doc {
  id      Int      @id @default(autoincrement())
  orgId   Int
  rank    Int?
  score   Float
  flag    Boolean?
  created DateTime @default(now())
  org     Org      @relation("DocOrg", fields: [orgId], references: [id])
  tags    Tag[]
}
model Tag {
  id    Int    @id
  docs  Doc[]
}
model Pair {
  a Int
  b Int
  @@id([a, b])
}
`.replace('"DocOrg", ', '');

const SQLITE = parseSchema(SCHEMA, 'sqlite');
const POSTGRES = parseSchema(SCHEMA, 'postgresql');

class Org {}
class Doc {}

function filterOf(
  conditions: FilterCondition[][],
  relations: Filter['relations'] = [],
  types: Filter['types'] = new Map(),
): Filter {
  return { model: 'Doc', relations, conditions, types };
}

const field = (typeName: string, fieldName?: string) => ({ typeName, fieldName }) as FilterCondition['lhs'];
const value = (v: unknown) => ({ value: v }) as FilterCondition['rhs'];
const condition = (lhs: FilterCondition['lhs'], cmp: string, rhs: FilterCondition['rhs']) =>
  ({ lhs, cmp, rhs }) as FilterCondition;
const toOrg = { fromTypeName: 'Doc', fromFieldName: 'org', toTypeName: 'Org' };

function compile(filter: Filter, datamodel = SQLITE) {
  return new PrismaWhereCompiler(datamodel, filter, {}, (model, name) => `${model}.${name}`).compile();
}

describe('prismaDatamodel reading a schema', () => {
  it('reads models, optional and list markers, ids, composite ids and relation arguments', () => {
    expect(SQLITE.models.map((model) => model.name)).toEqual(['Org', 'Doc', 'Tag', 'Pair']);
    const doc = SQLITE.models[1]!;
    expect(doc.fields.find((f) => f.name === 'rank')).toMatchObject({ isRequired: false, isList: false });
    expect(doc.fields.find((f) => f.name === 'id')).toMatchObject({ isId: true, kind: 'scalar' });
    expect(doc.fields.find((f) => f.name === 'tags')).toMatchObject({ kind: 'object', isList: true });
    expect(doc.fields.find((f) => f.name === 'org')).toMatchObject({
      relationFromFields: ['orgId'],
      relationToFields: ['id'],
    });
    expect(SQLITE.models[3]!.primaryKey).toEqual({ fields: ['a', 'b'] });
  });
});

describe('prismaPolarClasses', () => {
  it('gives each relation field the Relation the engine follows: to-one by key, to-many by the key held on the other side, many-to-many by the back relation', () => {
    const registrations = prismaPolarClasses(SQLITE, { classes: { Org, Doc }, models: ['Org', 'Doc', 'Tag'] });
    const fields = Object.fromEntries(registrations.map((r) => [r.name, r.fields]));
    expect(registrations.map((r) => r.class)).toEqual([Org, Doc, expect.any(Function)]);
    expect(registrations[2]!.class.name).toBe('Tag');
    expect(fields['Doc']!['org']).toEqual(new Relation('one', 'Org', 'orgId', 'id'));
    expect(fields['Org']!['docs']).toEqual(new Relation('many', 'Doc', 'id', 'orgId'));
    expect(fields['Doc']!['tags']).toEqual(new Relation('many', 'Tag', 'id', 'docs'));
  });

  it('refuses a model the schema does not have', () => {
    expect(() => prismaPolarClasses(SQLITE, { models: ['Nope'] })).toThrow(DataFilteringError);
  });
});

describe('PrismaWhereCompiler', () => {
  it('nothing allowed is no row; an unconditional rule is every row', () => {
    expect(compile(filterOf([]))).toEqual({ OR: [] });
    expect(compile(filterOf([[]]))).toEqual({});
  });

  it('a rule that follows a relation is a nested relation filter holding the related row’s conditions', () => {
    const where = compile(
      filterOf(
        [[condition(field('Org', 'name'), 'Eq', value('acme')), condition(field('Doc', 'score'), 'Gt', value(1))]],
        [toOrg],
      ),
    );
    expect(where).toEqual({ AND: [{ score: { gt: 1 } }, { org: { is: { name: { equals: 'acme' } } } }] });
  });

  it('rules that differ only in the value one field equals are one rule with `in`, whatever the order of conditions', () => {
    const rule = (tier: number) => [
      condition(field('Doc', 'score'), 'Gt', value(1)),
      condition(field('Org', 'tier'), 'Eq', value(tier)),
    ];
    const where = compile(filterOf([rule(1), [...rule(2)].reverse(), rule(3)], [toOrg]));
    expect(where).toEqual({ AND: [{ score: { gt: 1 } }, { org: { is: { tier: { in: [1, 2, 3] } } } }] });
    // `true = x.flag` keeps its own checks: not merged with `false = x.flag`.
    const flags = filterOf([
      [condition(field('Doc', 'flag'), 'Eq', value(false))],
      [condition(field('Doc', 'flag'), 'Eq', value(true))],
    ]);
    expect(() => compile(flags)).toThrow(/may hold nil/);
  });

  it('`in` on a Boolean field is one equality per value (Prisma has no `in` for booleans)', () => {
    expect(compile(filterOf([[condition(field('Doc', 'flag'), 'In', value([false, null]))]]))).toEqual({
      OR: [{ flag: { equals: false } }, { flag: null }],
    });
  });

  it('!= on a nullable field keeps the rows holding nil, as Polar says nil != 2', () => {
    expect(compile(filterOf([[condition(field('Doc', 'rank'), 'Neq', value(2))]]))).toEqual({
      OR: [{ rank: { not: 2 } }, { rank: null }],
    });
  });

  it('orders an integer field against 2.5 as the engine does, nil as 0', () => {
    expect(compile(filterOf([[condition(field('Doc', 'rank'), 'Lt', value(2.5))]]))).toEqual({
      OR: [{ rank: { lte: 2 } }, { rank: null }],
    });
  });

  it('a value of another type is never equal, and != of another type raises (the engine raises)', () => {
    expect(compile(filterOf([[condition(field('Doc', 'rank'), 'Eq', value('2'))]]))).toEqual({ OR: [] });
    expect(() => compile(filterOf([[condition(field('Doc', 'rank'), 'Neq', value('2'))]]))).toThrow(DataFilteringError);
  });

  it('compares two fields of one row through field references, nil equal to nil', () => {
    expect(compile(filterOf([[condition(field('Doc', 'rank'), 'Eq', field('Doc', 'orgId'))]]))).toEqual({
      rank: { equals: 'Doc.orgId' },
    });
  });

  it('raises on fields of two different rows, string order on PostgreSQL, and DateTime values', () => {
    const twoRows = filterOf([[condition(field('Doc', 'rank'), 'Eq', field('Org', 'tier'))]], [toOrg]);
    expect(() => compile(twoRows)).toThrow(/two different rows/);
    const stringOrder = filterOf([[condition(field('Org', 'name'), 'Lt', value('b'))]], [toOrg]);
    expect(() => compile(stringOrder, POSTGRES)).toThrow(/collation/);
    expect(compile(stringOrder)).toEqual({ org: { is: { name: { lt: 'b' } } } });
    const date = filterOf([[condition(field('Doc', 'created'), 'Eq', value('2026-01-01'))]]);
    expect(() => compile(date)).toThrow(DataFilteringError);
  });

  it('compares a relation with an object as the engine does (isEqual: the class and every field, not the key only)', () => {
    const types = new Map([
      ['Org', { name: 'Org', cls: Org }],
      ['Doc', { name: 'Doc', cls: Doc }],
    ]) as unknown as Filter['types'];
    const compare = (object: unknown) =>
      compile(filterOf([[condition(field('Doc', 'org'), 'Eq', value(object))]], [], types));
    const org = Object.assign(new Org(), { id: 7, name: 'acme', tier: null });
    expect(compare(org)).toEqual({
      org: { is: { AND: [{ id: { equals: 7 } }, { name: { equals: 'acme' } }, { tier: null }] } },
    });
    // The key only, another class, a plain object, an extra property, a field of another type: never the row.
    expect(compare(Object.assign(new Org(), { id: 7 }))).toEqual({ OR: [] });
    expect(compare({ id: 7, name: 'acme', tier: null })).toEqual({ OR: [] });
    expect(compare(Object.assign(new Org(), { id: 7, name: 'acme', tier: null, docs: [] }))).toEqual({ OR: [] });
    expect(compare(Object.assign(new Org(), { id: 7, name: 'acme', tier: '1' }))).toEqual({ OR: [] });
    // What a `where` cannot say exactly raises: NaN (isEqual finds it equal to itself), an object in a field.
    expect(() => compare(Object.assign(new Org(), { id: NaN, name: 'acme', tier: null }))).toThrow(DataFilteringError);
    expect(() => compare(Object.assign(new Org(), { id: 7, name: new String('acme'), tier: null }))).toThrow(
      DataFilteringError,
    );
  });
});
