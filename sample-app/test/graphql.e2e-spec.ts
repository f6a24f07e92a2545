import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { createSampleApp, TOKENS, type DemoUser } from './create-sample-app.js';

interface GraphQLResponse {
  data: Record<string, unknown> | null;
  errors?: Array<{ message: string; path?: string[]; extensions?: Record<string, unknown> }>;
}

/**
 * The expenses app's GraphQL endpoint over real HTTP, on the same seed as the REST suite: Acme (1) has alice
 * (owner), bob (member) and carol (admin); Globex (2) has carol (member) and dave (admin). Expenses 1-2 are bob's
 * at Acme (1 with approver notes), 3 carol's at Acme, 4 carol's at Globex, 5 dave's at Globex.
 */
describe('the expenses sample app over GraphQL', () => {
  let app: INestApplication;
  beforeEach(async () => {
    app = await createSampleApp();
  });
  afterEach(() => app.close());

  const graphql = async (user: DemoUser | 'nobody' | undefined, query: string): Promise<GraphQLResponse> => {
    const req = request(app.getHttpServer()).post('/graphql').set('Content-Type', 'application/json');
    if (user === 'nobody') req.set('Authorization', 'Bearer not-a-token');
    else if (user) req.set('Authorization', `Bearer ${TOKENS[user]}`);
    // GraphQL answers 200 with errors in the body; anything else would be a transport failure.
    const res = await req.send({ query }).expect(200);
    return res.body as GraphQLResponse;
  };
  const codes = (response: GraphQLResponse) => response.errors?.map((error) => error.extensions?.code);

  it('answers a readable expense, with approverNotes only for an admin of its organization', async () => {
    const query = '{ expense(id: 1) { id description approverNotes actions } }';
    expect(await graphql('bob', query)).toEqual({
      data: {
        expense: { id: 1, description: 'Train to the customer', approverNotes: null, actions: ['read', 'update'] },
      },
    });
    expect(await graphql('carol', query)).toEqual({
      data: {
        expense: {
          id: 1,
          description: 'Train to the customer',
          approverNotes: 'Check the receipt',
          actions: ['approve', 'read', 'reject'],
        },
      },
    });
  });

  it('answers NOT_FOUND for an expense the user may not read, or that does not exist, and leaks nothing', async () => {
    for (const [user, id] of [
      ['bob', 4],
      ['bob', 999],
      [undefined, 1],
    ] as const) {
      const response = await graphql(user, `{ expense(id: ${id}) { id description approverNotes } }`);
      expect(response.data).toBeNull();
      expect(codes(response)).toEqual(['NOT_FOUND']);
      expect(JSON.stringify(response)).not.toMatch(/Globex|Laptop|receipt|has_permission|stack/i);
    }
  });

  it('answers UNAUTHENTICATED for a bad token', async () => {
    const response = await graphql('nobody', '{ expense(id: 1) { id } }');
    expect(response.data).toBeNull();
    expect(codes(response)).toEqual(['UNAUTHENTICATED']);
  });

  it('lists exactly the expenses the REST endpoint lists, filtered by the policy in SQL', async () => {
    for (const [user, orgId] of [
      ['bob', 1],
      ['carol', 2],
      ['dave', 2],
    ] as const) {
      const listed = await graphql(user, `{ organizationExpenses(orgId: ${orgId}) { id } }`);
      const rest = await request(app.getHttpServer())
        .get(`/organizations/${orgId}/expenses`)
        .set('Authorization', `Bearer ${TOKENS[user]}`)
        .expect(200);
      const ids = (listed.data?.organizationExpenses as Array<{ id: number }>).map((expense) => expense.id);
      expect(ids).toEqual(rest.body.items.map((expense: { id: number }) => expense.id));
      expect(ids.length).toBeGreaterThan(0);
    }
    expect(codes(await graphql('dave', '{ organizationExpenses(orgId: 1) { id } }'))).toEqual(['NOT_FOUND']);
  });

  it('lets an admin approve through the mutation, and answers FORBIDDEN to a member who may only read', async () => {
    const approve = (notes: string) =>
      `mutation { approveExpense(id: 2, notes: "${notes}") { id status approverNotes } }`;
    const denied = await graphql('bob', approve('mine'));
    expect(denied.data).toBeNull();
    expect(codes(denied)).toEqual(['FORBIDDEN']);
    expect(await graphql('carol', approve('fine'))).toEqual({
      data: { approveExpense: { id: 2, status: 'approved', approverNotes: 'fine' } },
    });
    // The member's attempt changed nothing: the admin's notes are the ones stored.
    const stored = await graphql('carol', '{ expense(id: 2) { approverNotes } }');
    expect(stored.data).toEqual({ expense: { approverNotes: 'fine' } });
  });
});
