import { describe, expect, it } from '@jest/globals';
import { Oso, Variable } from './oso-library.js';
import { ancestors, Dict, Expression, Host, parseFilter, Pattern, Predicate, Query } from './oso-internals.js';

class Base {}
class Doc extends Base {}

/**
 * The canary on oso's internals: each one nestjs-oso takes from `oso/dist` still has the shape the library relies
 * on. A failure here after an oso upgrade names the internal that moved.
 */
describe('oso internals', () => {
  it('the engine answers a partial query with Expression, Pattern and Variable values of these very classes', async () => {
    const oso = new Oso();
    oso.registerClass(Doc, { name: 'Doc' });
    oso.loadStr('allow(_actor, "read", doc: Doc) if doc.public = true;');
    const host = Host.clone(oso.getHost(), { acceptExpression: true });
    expect(host).toBeInstanceOf(Host);
    expect(host.types.get('Doc')?.name).toBe('Doc');
    const bindings = new Map([
      [
        'doc',
        new Expression('And', [new Expression('Isa', [new Variable('doc'), new Pattern({ tag: 'Doc', fields: {} })])]),
      ],
    ]);
    const results = oso.queryRule({ bindings, acceptExpression: true }, 'allow', 'alice', 'read', new Variable('doc'));
    const answers = [];
    for await (const result of results) answers.push(result.get('doc'));
    expect(answers).toHaveLength(1);
    const constraint = answers[0] as Expression;
    expect(constraint).toBeInstanceOf(Expression);
    expect(constraint.operator).toBe('And');
    expect(
      constraint.args.some(
        (arg) => arg instanceof Expression && arg.operator === 'Isa' && arg.args[1] instanceof Pattern,
      ),
    ).toBe(true);
  });

  it('a Query is built on the FFI query, a host and bindings, and yields the results one by one', async () => {
    const oso = new Oso();
    oso.loadStr('f(1); f(2);');
    const term = oso.getHost().toPolar(new Predicate('f', [new Variable('x')]));
    const query = new Query(oso.getFfi().newQueryFromTerm(term), oso.getHost(), new Map());
    const values = [];
    for await (const result of query.results) values.push(result.get('x'));
    expect(values).toEqual([1, 2]);
  });

  it('Dict, Predicate and ancestors keep their constructors and meaning', () => {
    const dict = new Dict({ a: 1 });
    expect(dict).toEqual(expect.objectContaining({ a: 1 }));
    expect(new Predicate('f', [1]).name).toBe('f');
    expect(ancestors(Doc)).toEqual(expect.arrayContaining([Doc, Base]));
  });

  it("parseFilter turns the engine's filter JSON into a Filter of projections and immediates", async () => {
    const oso = new Oso();
    oso.registerClass(Doc, { name: 'Doc', fields: { public: Boolean } });
    const filter = await parseFilter(
      {
        root: 'Doc',
        relations: [],
        conditions: [[[{ Field: ['Doc', 'public'] }, 'Eq', { Immediate: { Boolean: true } }]]],
      },
      oso.getHost(),
    );
    expect(filter.model).toBe('Doc');
    expect(filter.conditions).toEqual([
      [{ lhs: { typeName: 'Doc', fieldName: 'public' }, cmp: 'Eq', rhs: { value: true } }],
    ]);
  });
});
