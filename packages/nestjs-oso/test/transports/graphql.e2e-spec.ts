import { LogCollector } from '../fixtures/log-collector.js';
import {
  DRIVERS,
  ExpenseResolver,
  LateAuthExpenseResolver,
  PublicExpenseResolver,
  OperationsResolver,
  RoutedResolver,
  SECRET,
  graphqlRequest,
  startGraphQLApp,
  type Driver,
  type GraphQLApp,
  type GraphQLResponse,
} from './support/graphql-apps.js';

/** What no response may carry: policy text, engine details, stack traces. */
const LEAKS = /secret policy text|noSuchAttribute|\.polar|at line|allow\(|has_permission|stacktrace|\bat \w+ \(/;

/** The one error of a failed field, as a client reads it; asserts that the response shows nothing else. */
function failure(response: GraphQLResponse) {
  expect(response.text).not.toMatch(LEAKS);
  expect(response.text).not.toContain(SECRET);
  expect(response.errors).toHaveLength(1);
  const [error] = response.errors!;
  return { message: error!.message, code: error!.extensions?.code, status: error!.extensions?.status };
}

const UNAUTHENTICATED = { message: 'Unauthorized', code: 'UNAUTHENTICATED', status: 401 };
const NOT_FOUND = { message: 'Not Found', code: 'NOT_FOUND', status: 404 };
const FORBIDDEN = { message: 'Forbidden', code: 'FORBIDDEN', status: 403 };

const EXPENSE = '{ expense(id: $id) { id amount submitterId description } }';

describe.each(DRIVERS)('GraphQL on %s, over a socket', (driver: Driver) => {
  let started: GraphQLApp | undefined;
  afterEach(async () => {
    await started?.app.close();
    started = undefined;
  });

  const send = (document: string, user?: string, variables?: Record<string, unknown>) =>
    graphqlRequest(started!, document, { user, variables });
  const expense = (id: number, user?: string) => send(`query($id: Int!) ${EXPENSE}`, user, { id });

  describe('with requireAuthorization', () => {
    let logs: LogCollector;
    beforeEach(async () => {
      logs = new LogCollector();
      started = await startGraphQLApp(driver, {
        resolvers: [ExpenseResolver, OperationsResolver],
        oso: { requireAuthorization: true },
        logger: logs,
      });
    });

    it('@Authorize(action, { resource }) answers the resource it loaded from the arguments to an allowed actor', async () => {
      const response = await expense(1, 'bob');
      expect([response.status, response.errors, response.data]).toEqual([
        200,
        undefined,
        { expense: { id: 1, amount: 120, submitterId: 2, description: 'train tickets' } },
      ]);
    });

    it.each([
      ['no actor', 1, undefined, UNAUTHENTICATED],
      ['an expense the actor may not read', 2, 'bob', NOT_FOUND],
      ['an expense that does not exist', 99, 'bob', NOT_FOUND],
    ])('a denied query (%s) answers its code, and its field is null', async (_case, id, user, expected) => {
      const response = await expense(id, user);
      expect(failure(response)).toEqual(expected);
      expect(response.errors![0]!.path).toEqual(['expense']);
      expect(response.data).toEqual({ expense: null });
    });

    it('a mutation the actor may read but not do answers FORBIDDEN; an approver gets its result', async () => {
      const approve = 'mutation { approveExpense(id: 1) { id } }';
      const denied = await send(approve, 'bob');
      expect(failure(denied)).toEqual(FORBIDDEN);
      expect(denied.data).toEqual({ approveExpense: null });
      expect((await send(approve, 'alice')).data).toEqual({ approveExpense: { id: 1 } });
    });

    it('@Authorize() without a resource checks the GraphQLOperation, its arguments, and the operation type as action', async () => {
      const report = (year: number, user?: string) => send(`{ auditReport(year: ${year}) }`, user);
      expect((await report(2026, 'dave')).data).toEqual({ auditReport: `${SECRET} 2026` });
      // The rule matches on the arguments: another year is denied, and so is an actor who is no auditor.
      expect(failure(await report(2025, 'dave'))).toEqual(FORBIDDEN);
      expect(failure(await report(2026, 'bob'))).toEqual(FORBIDDEN);
      expect(failure(await report(2026))).toEqual(UNAUTHENTICATED);
      // The policy allows "mutation" on closeYear: the action is the operation type, not the HTTP method (POST).
      expect((await send('mutation { closeYear(year: 2026) }', 'dave')).data).toEqual({ closeYear: 'closed 2026' });
      expect(failure(await send('mutation { closeYear(year: 2026) }', 'bob'))).toEqual(FORBIDDEN);
    });

    it('a rule that raises inside the engine fails the field without policy text; the details are only in the log', async () => {
      const response = await send('{ explodingExpense(id: 3) { id } }', 'alice');
      expect(failure(response).message).toBe('Authorization could not be evaluated');
      expect(response.data).toEqual({ explodingExpense: null });
      expect(logs.errors()).toEqual([expect.stringContaining('isAllowed failed in the policy engine')]);
      expect(logs.errors()[0]).toContain('noSuchAttribute');
    });

    it('@SkipAuthorization() answers without an actor', async () => {
      const response = await send('{ health }');
      expect([response.errors, response.data]).toEqual([undefined, { health: 'ok' }]);
    });

    it('a resolver that never authorizes fails, its data null, and the log names it', async () => {
      const response = await send('{ forgotten }', 'bob');
      expect(failure(response).message).toBe('Internal Server Error');
      expect(response.data).toEqual({ forgotten: null });
      expect(logs.errors()).toEqual([
        expect.stringContaining('OperationsResolver.forgotten completed without authorizing'),
      ]);
    });

    // Mercurius codes no HttpException itself (Apollo's autoTransformHttpErrors does): nestjs-oso codes these.
    it.each([
      ['an engine failure', '{ explodingExpense(id: 3) { id } }', 'alice'],
      ['a resolver that never authorizes', '{ forgotten }', 'bob'],
    ])('%s is coded INTERNAL_SERVER_ERROR', async (_case, document, user) => {
      expect(failure(await send(document, user)).code).toBe('INTERNAL_SERVER_ERROR');
    });

    it.each([
      { id: 1, action: 'read', user: 'bob', expected: undefined },
      { id: 2, action: 'read', user: 'bob', expected: NOT_FOUND },
      { id: 1, action: 'approve', user: 'bob', expected: FORBIDDEN },
      { id: 1, action: 'read', user: undefined, expected: UNAUTHENTICATED },
    ])(
      'OsoService.authorize() in a resolver counts as authorizing, and its denial is coded: $action expense $id as $user',
      async ({ id, action, user, expected }) => {
        const response = await send(
          'query($id: Int!, $action: String!) { expenseThroughService(id: $id, action: $action) { id } }',
          user,
          { id, action },
        );
        if (expected) {
          expect(failure(response)).toEqual(expected);
          expect(response.data).toEqual({ expenseThroughService: null });
        } else {
          expect([response.errors, response.data]).toEqual([undefined, { expenseThroughService: { id } }]);
        }
      },
    );

    it('a field resolver with @Authorize() is checked on its parent: only an approver sees the notes', async () => {
      const notes = '{ expense(id: 1) { id approverNotes } }';
      expect((await send(notes, 'alice')).data).toEqual({ expense: { id: 1, approverNotes: 'check the receipt' } });
      const denied = await send(notes, 'bob');
      expect(failure(denied)).toEqual(FORBIDDEN);
      expect(denied.errors![0]!.path).toEqual(['expense', 'approverNotes']);
      expect(denied.data).toEqual({ expense: { id: 1, approverNotes: null } });
    });

    it.each([
      ['alice', [1, 3]],
      ['bob', [1, 3]],
      ['carol', [2]],
      ['dave', []],
    ])('a list through OsoService.authorizedResources() shows %s what the policy allows', async (user, ids) => {
      const response = await send('{ expenses { id } }', user);
      expect([response.errors, response.data]).toEqual([undefined, { expenses: ids.map((id) => ({ id })) }]);
    });
  });

  describe('with routeAuthorization', () => {
    beforeEach(async () => {
      started = await startGraphQLApp(driver, { resolvers: [RoutedResolver], oso: { routeAuthorization: true } });
    });

    it('an undecorated query is checked on its GraphQLOperation', async () => {
      expect((await send('{ whoAmI }', 'bob')).data).toEqual({ whoAmI: 'bob' });
      expect(failure(await send('{ whoAmI }'))).toEqual(UNAUTHENTICATED);
      const undeclared = await send('{ undeclared }', 'bob');
      expect(failure(undeclared)).toEqual(FORBIDDEN);
      expect(undeclared.data).toEqual({ undeclared: null });
    });
  });

  describe('fieldResolverEnhancers', () => {
    it('without them, an app with @Authorize() on a field resolver refuses to start, naming the option', async () => {
      await expect(
        startGraphQLApp(driver, { resolvers: [ExpenseResolver], fieldResolverEnhancers: [] }),
      ).rejects.toThrow(/@Authorize\(\) on ExpenseResolver\.approverNotes.*fieldResolverEnhancers/s);
    });

    // With guards only there is no interceptor (nor its async context): the guard keeps the call's state on the field's
    // resolve info, which the parameter decorator sees too.
    it("with 'guards' alone, @AuthorizedResource() on a field resolver gets its resource", async () => {
      const outcome = await startGraphQLApp(driver, {
        resolvers: [ExpenseResolver],
        fieldResolverEnhancers: ['guards'],
      }).then(
        async (app) => {
          started = app;
          const response = await send('{ expense(id: 1) { approverNotes } }', 'alice');
          return `answered: ${JSON.stringify(response.data)} ${JSON.stringify(response.errors ?? [])}`;
        },
        (error: unknown) => `refused: ${String(error)}`,
      );
      expect(outcome).toBe('answered: {"expense":{"approverNotes":"check the receipt"}} []');
    });

    // The global guard sees no actor yet (the resolver's own authentication guard sets it later). It may leave the
    // check for later only where OsoModule's interceptor runs: with 'guards' alone it does not on field resolvers.
    it.each([[['guards'] as const], [['guards', 'interceptors'] as const]])(
      'with %j and an authentication guard on the resolver, a field resolver is still checked',
      async (fieldResolverEnhancers) => {
        started = await startGraphQLApp(driver, {
          resolvers: [LateAuthExpenseResolver, PublicExpenseResolver],
          fieldResolverEnhancers: [...fieldResolverEnhancers],
        });
        // The root query runs no authentication guard: the field resolver's call is the first to set the actor.
        const notes = '{ publicExpense(id: 1) { id approverNotes } }';
        const denied = await graphqlRequest(started, notes, { lateUser: 'bob' });
        expect(denied.text).not.toContain('check the receipt');
        expect(denied.data).toEqual({ publicExpense: { id: 1, approverNotes: null } });
        expect(denied.errors?.map((error) => error.extensions?.code)).toEqual([
          expect.stringMatching(/^(FORBIDDEN|UNAUTHENTICATED)$/),
        ]);
        const allowed = await graphqlRequest(started, notes, { lateUser: 'alice' });
        expect(allowed.data).toEqual({ publicExpense: { id: 1, approverNotes: 'check the receipt' } });
      },
    );
  });
});
