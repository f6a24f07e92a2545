import { jest } from '@jest/globals';
import { OsoService } from '../../src/index.js';
import {
  DRIVERS,
  queryFields,
  startFieldsApp,
  subscribeFields,
  type Driver,
  type FieldError,
  type FieldsApp,
} from './support/graphql-fields-app.js';

// The root resolvers skip authorization (@SkipAuthorization()): the field rules alone decide.
const ONE = '{ report(id: 1) { id title approverNotes auditTrail } }';
const LIST = '{ reports { id title approverNotes auditTrail } }';

/** The errors of a response as `path: code message`, sorted (Mercurius writes list indexes as strings). */
function errorsOf(errors: FieldError[] | undefined): string[] {
  return (errors ?? []).map((error) => `${error.path?.join('.')}: ${error.extensions?.code} ${error.message}`).sort();
}

describe.each(DRIVERS)('authorizeField() on %s', (driver: Driver) => {
  let started: FieldsApp;
  beforeAll(async () => {
    started = await startFieldsApp(driver);
  });
  afterAll(async () => {
    await started.app.close();
  });

  it('an actor the policy allows sees the guarded fields of one object and of every item of a list', async () => {
    const one = await queryFields(started, ONE, 'ann');
    expect(one.errors).toBeUndefined();
    expect(one.data).toEqual({
      report: { id: 1, title: 'report 1', approverNotes: 'notes-secret-1', auditTrail: 'trail-secret-1' },
    });
    const list = await queryFields(started, LIST, 'ann');
    expect(list.errors).toBeUndefined();
    expect(list.data?.reports).toEqual(
      [1, 2, 3, 4].map((id) => ({
        id,
        title: `report ${id}`,
        approverNotes: `notes-secret-${id}`,
        auditTrail: `trail-secret-${id}`,
      })),
    );
  });

  it('a rule that allows any field (an unbound field) allows every guarded field', async () => {
    const one = await queryFields(started, ONE, 'ada');
    expect(one.errors).toBeUndefined();
    expect(one.data).toEqual({
      report: { id: 1, title: 'report 1', approverNotes: 'notes-secret-1', auditTrail: 'trail-secret-1' },
    });
  });

  it('a denied field resolves null (whenDenied "null") or fails alone with FORBIDDEN (whenDenied "error")', async () => {
    const one = await queryFields(started, '{ report(id: 2) { id title approverNotes auditTrail } }', 'cid');
    expect(one.data).toEqual({ report: { id: 2, title: 'report 2', approverNotes: null, auditTrail: null } });
    expect(errorsOf(one.errors)).toEqual(['report.auditTrail: FORBIDDEN Forbidden']);
    expect(one.text).not.toContain('secret');
  });

  it('each item of a list is decided on its own, and only its denied "error" field fails', async () => {
    const list = await queryFields(started, LIST, 'cid');
    // cid wrote reports 1 and 3: their notes, and no audit trail anywhere.
    expect(list.data?.reports).toEqual([
      { id: 1, title: 'report 1', approverNotes: 'notes-secret-1', auditTrail: null },
      { id: 2, title: 'report 2', approverNotes: null, auditTrail: null },
      { id: 3, title: 'report 3', approverNotes: 'notes-secret-3', auditTrail: null },
      { id: 4, title: 'report 4', approverNotes: null, auditTrail: null },
    ]);
    expect(errorsOf(list.errors)).toEqual(
      [0, 1, 2, 3].map((index) => `reports.${index}.auditTrail: FORBIDDEN Forbidden`),
    );
    expect(list.text).not.toMatch(/trail-secret|notes-secret-[24]/);
  });

  it('a field guarded for another action is decided by the rules of that action', async () => {
    const document = '{ report(id: 1) { approverNotes score } }';
    expect((await queryFields(started, document, 'ann')).data).toEqual({
      report: { approverNotes: 'notes-secret-1', score: 1001 },
    });
    // ada may read any field, and audit none; cid reads the notes of the report he wrote.
    for (const user of ['ada', 'cid']) {
      const one = await queryFields(started, document, user);
      expect(one.errors).toBeUndefined();
      expect(one.data).toEqual({ report: { approverNotes: 'notes-secret-1', score: null } });
    }
  });

  it('without an actor, a denied field resolves null or fails with UNAUTHENTICATED', async () => {
    const one = await queryFields(started, ONE);
    expect(one.data).toEqual({ report: { id: 1, title: 'report 1', approverNotes: null, auditTrail: null } });
    expect(errorsOf(one.errors)).toEqual(['report.auditTrail: UNAUTHENTICATED Unauthorized']);
    expect(one.text).not.toContain('secret');
  });

  it('an engine failure fails each guarded field with the internal error, never its value, and logs the rule', async () => {
    started.logs.lines.length = 0;
    const one = await queryFields(started, ONE, 'bo');
    expect(one.data).toEqual({ report: { id: 1, title: 'report 1', approverNotes: null, auditTrail: null } });
    expect(errorsOf(one.errors)).toEqual([
      'report.approverNotes: INTERNAL_SERVER_ERROR Authorization could not be evaluated',
      'report.auditTrail: INTERNAL_SERVER_ERROR Authorization could not be evaluated',
    ]);
    expect(one.text).not.toMatch(/secret|clearance|\.polar|allow_field/);
    // One failed decision per guarded field of the object.
    expect(started.logs.errors()).toEqual([
      expect.stringMatching(/^error authorizeField failed in the policy engine: .*fields\.polar.*clearance > 1/),
      expect.stringMatching(/^error authorizeField failed in the policy engine: .*fields\.polar.*clearance > 1/),
    ]);
  });

  it('a subscription decides each event anew, even on the same object', async () => {
    const events = await subscribeFields(started, 'subscription { reportHandedOver { id approverNotes } }', 'cid');
    expect(events).toEqual([
      { data: { reportHandedOver: { id: 5, approverNotes: 'notes-secret-5' } } },
      { data: { reportHandedOver: { id: 5, approverNotes: null } } },
    ]);
  });

  it('each guarded field of an object is decided once per request, compiled: the engine is not asked', async () => {
    const oso = started.app.get(OsoService);
    // The first decision of each (actor class, action, resource class, field) compiles it.
    await queryFields(started, LIST, 'cid');
    await queryFields(started, '{ report(id: 1) { score } }', 'cid');
    const asked = jest.spyOn(oso, 'isFieldAllowed');
    const engine = jest.spyOn(oso.engine, 'query');
    try {
      await queryFields(started, LIST, 'cid');
      const calls = () =>
        asked.mock.calls.map(([, action, report, field]) => [action, (report as { id: number }).id, field]).sort();
      expect(calls()).toEqual(
        [1, 2, 3, 4].flatMap((id) => [
          ['read', id, 'approverNotes'],
          ['read', id, 'auditTrail'],
        ]),
      );
      // The answers are the request's own: the next request asks again, once per action and field.
      asked.mockClear();
      await queryFields(started, '{ report(id: 1) { approverNotes auditTrail score } }', 'cid');
      expect(calls()).toEqual([
        ['audit', 1, 'score'],
        ['read', 1, 'approverNotes'],
        ['read', 1, 'auditTrail'],
      ]);
      expect(engine).not.toHaveBeenCalled();
      expect(
        oso
          .compiledDecisions()
          .filter((d) => d.rule === 'allow_field' && d.actor === 'Reader')
          .map((d) => [d.action, d.field, d.status])
          .sort(),
      ).toEqual([
        ['audit', 'score', 'compiled'],
        ['read', 'approverNotes', 'compiled'],
        ['read', 'auditTrail', 'compiled'],
      ]);
    } finally {
      asked.mockRestore();
      engine.mockRestore();
    }
  });
});

describe.each(DRIVERS)('authorizeField() without OsoModule on %s', (driver: Driver) => {
  it('fails the guarded fields with a configuration error that names the fix, and never resolves them', async () => {
    const started = await startFieldsApp(driver, { oso: false });
    try {
      const one = await queryFields(started, ONE, 'ann');
      expect(one.data).toEqual({ report: { id: 1, title: 'report 1', approverNotes: null, auditTrail: null } });
      expect(one.errors?.map((error) => error.message).sort()).toEqual([
        expect.stringMatching(/^authorizeField\(\) on the field "approverNotes" found no OsoModule guard/),
        expect.stringMatching(/^authorizeField\(\) on the field "auditTrail" found no OsoModule guard/),
      ]);
      expect(one.text).not.toContain('secret');
    } finally {
      await started.app.close();
    }
  });
});
