import { buildAuthorizedQuery, DataFilteringError } from '../../src/data-filtering/index.js';
import { describeOnEachDatabase } from './support/databases.js';
import { osoFor } from './support/parity.js';
import { expectSqlParity } from './support/sql-exactness-check.js';
import { SX_ENTITIES, SX_NAMES, SxDoc, SxProject, SxUser, seedSqlExactness } from './support/sql-exactness-entities.js';

/**
 * Issue 15, defect 1: rules that reach one type through different relations. oso's filter names joined rows by
 * type, so the two ways into `User` must not be merged into one row: the query returns exactly the rows `isAllowed`
 * accepts.
 */
describeOnEachDatabase(
  'SQL exactness: two ways into one type',
  SX_ENTITIES,
  (dataSource) => {
    const oso = (policy: string) => osoFor(dataSource(), SX_ENTITIES, policy, SX_NAMES);
    const users = () => dataSource().getRepository(SxUser).find();

    it('two rules reaching User through Doc.author and Comment.author each keep their own User', async () => {
      const engine = await oso(`
        allow(_, "read", d: Doc) if d.author.isAdmin = true;
        allow(_, "read", d: Doc) if c in d.comments and c.author.isAdmin = true;`);
      expect(await expectSqlParity(engine, dataSource(), 'x', 'read', SxDoc)).toEqual([1, 2]);
    });

    it('two rules reaching User through Project.lead and the many-to-many Project.teams -> members', async () => {
      const engine = await oso(`
        allow(u: User, "read", p: Project) if p.lead = u;
        allow(u: User, "read", p: Project) if t in p.teams and u in t.members;`);
      const [admin] = await users();
      expect(await expectSqlParity(engine, dataSource(), admin, 'read', SxProject)).toEqual([1, 2]);
      for (const user of await users()) await expectSqlParity(engine, dataSource(), user, 'read', SxProject);
    });

    it("keeps the resource's own strings byte-exact inside a join's subquery (MariaDB caches subqueries by padded values)", async () => {
      // Two rules, so the subqueries stay subqueries under OR; docs 2 and 3 share their author, codes "a" and "a ".
      const engine = await oso(`
        allow(_, "coded", d: Doc) if d.code = "a" and d.author.isAdmin = false;
        allow(_, "coded", d: Doc) if d.code = "b" and d.author.isAdmin = true;`);
      expect(await expectSqlParity(engine, dataSource(), 'x', 'coded', SxDoc)).toEqual([2]);
    });

    it('refuses, as the engine does, an element of a collection reached through another element (t in p.teams and m in t.members)', async () => {
      const engine = await oso(`
        allow(_, "admins", p: Project) if p.lead.isAdmin = true;
        allow(_, "admins", p: Project) if t in p.teams and m in t.members and m.isAdmin = true;`);
      await expect(buildAuthorizedQuery(engine, 'x', 'admins', SxProject)).rejects.toThrow(DataFilteringError);
      await expect(buildAuthorizedQuery(engine, 'x', 'admins', SxProject)).rejects.toThrow(/unknown type for `_m_\d+`/);
    });

    it('one rule reaching User through two relations constrains each User alone', async () => {
      const engine = await oso(`
        allow(_, "mixed", d: Doc) if d.author.isAdmin = false and c in d.comments and c.author.isAdmin = true;
        allow(_, "same", d: Doc) if d.author.isAdmin = false and c in d.comments and c.author.isAdmin = false;
        allow(u: User, "mine", d: Doc) if d.author = u and c in d.comments and c.author != u;`);
      expect(await expectSqlParity(engine, dataSource(), 'x', 'mixed', SxDoc)).toEqual([2]);
      expect(await expectSqlParity(engine, dataSource(), 'x', 'same', SxDoc)).toEqual([3]);
      for (const user of await users()) await expectSqlParity(engine, dataSource(), user, 'mine', SxDoc);
    });

    it('keeps the refusal where one row is reached twice, or a path is type-checked', async () => {
      const engine = await oso(`
        allow(_, "twice", d: Doc) if u = d.author and c in d.comments and u = c.author;
        allow(_, "typed", d: Doc) if d.author matches User and d.author.isAdmin = false and c in d.comments and c.author.isAdmin = true;`);
      await expect(buildAuthorizedQuery(engine, 'x', 'twice', SxDoc)).rejects.toThrow(
        /Type `User` occurs more than once/,
      );
      // The type check names User, which an alias would not match.
      await expect(buildAuthorizedQuery(engine, 'x', 'typed', SxDoc)).rejects.toThrow(
        /Type `User` occurs more than once/,
      );
    });

    it("refuses oso's own Oso.authorizedQuery filter, whose joins into User cannot be told apart", async () => {
      const engine = await oso(`
        allow(_, "read", d: Doc) if d.author.isAdmin = true;
        allow(_, "read", d: Doc) if c in d.comments and c.author.isAdmin = true;`);
      await expect(engine.authorizedQuery('x', 'read', SxDoc)).rejects.toThrow(DataFilteringError);
      await expect(engine.authorizedQuery('x', 'read', SxDoc)).rejects.toThrow(
        /reaches one type through two relations/,
      );
    });

    it('rules mixing one and two ways into User, with the actor compared to each', async () => {
      const engine = await oso(`
        allow(u: User, "touch", d: Doc) if d.author = u;
        allow(u: User, "touch", d: Doc) if c in d.comments and c.author = u;
        allow(u: User, "touch", d: Doc) if u.isAdmin and c in d.comments and c.author.isAdmin = false;`);
      for (const user of await users()) await expectSqlParity(engine, dataSource(), user, 'touch', SxDoc);
    });
  },
  seedSqlExactness,
);
