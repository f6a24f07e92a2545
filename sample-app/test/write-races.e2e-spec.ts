import { setTimeout as sleep } from 'node:timers/promises';
import type { CallHandler, ExecutionContext, INestApplication, NestInterceptor } from '@nestjs/common';
import { from, switchMap } from 'rxjs';
import { DataSource } from 'typeorm';
import { Expense } from '../src/expenses/expense.entity.js';
import { createSampleApp, TOKENS, type DemoUser } from './create-sample-app.js';
import { IN_CI, openSampleDatabase, SAMPLE_DATABASES, type SampleDatabaseKind } from './support/sample-databases.js';

const PAIRS = 20;
/** Each test sends its pairs one after the other, 60 ms apiece at least; a busy machine may need more than 30 s. */
const TIMEOUT = 90_000;

/**
 * Every write to an expense that is already decided is a bug in this app (no endpoint may change it), so the tests
 * let the database itself record them: a trigger writes each one to `race_violations`. It observes, it never
 * blocks, so the app's answers are its own.
 */
const VIOLATION_TRIGGERS: Record<SampleDatabaseKind, string[]> = {
  sqlite: [
    `CREATE TABLE race_violations (id INTEGER PRIMARY KEY AUTOINCREMENT, expense_id INTEGER NOT NULL, what TEXT NOT NULL)`,
    `CREATE TRIGGER race_violation AFTER UPDATE ON expenses WHEN OLD.status <> 'submitted'
     BEGIN
       INSERT INTO race_violations (expense_id, what)
       VALUES (OLD.id, OLD.status || ' -> ' || NEW.status || ', description ' || OLD.description || ' -> ' || NEW.description);
     END`,
  ],
  postgres: [
    `CREATE TABLE race_violations (id serial PRIMARY KEY, expense_id integer NOT NULL, what text NOT NULL)`,
    `CREATE FUNCTION record_race_violation() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       INSERT INTO race_violations (expense_id, what)
       VALUES (OLD.id, OLD.status || ' -> ' || NEW.status || ', description ' || OLD.description || ' -> ' || NEW.description);
       RETURN NEW;
     END $$`,
    `CREATE TRIGGER race_violation AFTER UPDATE ON expenses FOR EACH ROW WHEN (OLD.status <> 'submitted')
     EXECUTE FUNCTION record_race_violation()`,
  ],
};

/**
 * Waits `x-test-delay` milliseconds between the guards (which load the expense and check it) and the handler (which
 * writes), as a slow network or a busy database would. Without it, in-process SQLite runs each request to its end in
 * one turn of the event loop, which hides the race on SQLite; with it, both requests of a pair are checked before
 * either writes, and the shorter delay writes first.
 */
class SlowHandlerInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler) {
    const delay = Number(
      context.switchToHttp().getRequest<{ headers: Record<string, string> }>().headers['x-test-delay'] ?? 0,
    );
    return from(sleep(delay)).pipe(switchMap(() => next.handle()));
  }
}

interface Answer {
  status: number;
  body: { message?: unknown; status?: string; description?: string; approverNotes?: string };
}

/**
 * Two requests that depend on an expense's state, sent at the same moment over real sockets, on SQLite and on
 * PostgreSQL: exactly one decision may win, and nothing may change an expense once it is decided. Seed: Acme (1)
 * has alice (owner), bob (member) and carol (admin).
 */
describe.each(SAMPLE_DATABASES)('concurrent writes to the sample app on $kind', ({ kind, unavailable }) => {
  if (unavailable && !IN_CI) {
    console.warn(`Skipping the sample app's write races on ${kind}: ${unavailable}`);
    it.skip(`skipped: ${unavailable}`, () => undefined);
    return;
  }
  let app: INestApplication;
  let drop: () => Promise<void>;
  let baseUrl: string;
  const dataSource = () => app.get(DataSource);

  /** A request; its handler starts `delay` ms after its guards. */
  type Send = (delay: number) => Promise<Answer>;
  const send =
    (user: DemoUser, method: string, path: string, body: unknown): Send =>
    async (delay) => {
      const res = await fetch(`${baseUrl}${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${TOKENS[user]}`,
          'content-type': 'application/json',
          'x-test-delay': String(delay),
        },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Answer['body'] };
    };

  /**
   * For each id, sends its two requests at the same moment and waits for both before the next pair. The first one
   * writes first in even pairs and last in odd ones (20 ms against 60 ms after the checks), so each side wins races.
   */
  const pairs = async (ids: number[], requests: (id: number) => [Send, Send]) => {
    const answers: Array<[Answer, Answer]> = [];
    for (const [i, id] of ids.entries()) {
      const [first, second] = requests(id);
      answers.push(await Promise.all(i % 2 === 0 ? [first(20), second(60)] : [first(60), second(20)]));
    }
    return answers;
  };

  /** `count` new submitted expenses of bob's at Acme, written directly. */
  const submitted = async (count: number, description: string): Promise<number[]> => {
    const repository = dataSource().getRepository(Expense);
    const rows = Array.from({ length: count }, (_, i) =>
      repository.create({
        amount: 100 + i,
        description: `${description} ${i}`,
        organizationId: 1,
        submittedById: 2,
        approverNotes: null,
      }),
    );
    return (await repository.save(rows)).map((row) => row.id);
  };
  const stored = (id: number) => dataSource().getRepository(Expense).findOneByOrFail({ id });
  /** The writes to decided expenses among `ids`. */
  const violations = async (ids: number[]) => {
    const rows: Array<{ expense_id: number; what: string }> = await dataSource().query(
      'SELECT expense_id, what FROM race_violations ORDER BY id',
    );
    return rows.filter((row) => ids.includes(Number(row.expense_id)));
  };

  beforeAll(async () => {
    if (unavailable) throw new Error(`CI requires ${kind}: ${unavailable}`);
    const database = await openSampleDatabase(kind);
    drop = database.drop;
    app = await createSampleApp(database.options, (created) =>
      created.useGlobalInterceptors(new SlowHandlerInterceptor()),
    );
    for (const statement of VIOLATION_TRIGGERS[kind]) await dataSource().query(statement);
    await app.listen(0, '127.0.0.1');
    baseUrl = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });
  afterAll(async () => {
    await app?.close();
    await drop?.();
  });

  it(
    `${PAIRS} approve/reject pairs on distinct submitted expenses: one decision wins each, the other gets 409`,
    async () => {
      const ids = await submitted(PAIRS, 'Decide me');
      const answers = await pairs(ids, (id) => [
        send('carol', 'POST', `/expenses/${id}/approve`, { notes: 'carol approves' }),
        send('alice', 'POST', `/expenses/${id}/reject`, { notes: 'alice rejects' }),
      ]);
      // Every pair is checked before the test fails, so that a failure shows how many pairs went wrong.
      const wrong: unknown[] = [];
      for (const [i, [approve, reject]] of answers.entries()) {
        const id = ids[i]!;
        const row = await stored(id);
        const [winner, loser, notes] =
          approve.status === 201 ? ['approved', reject, 'carol approves'] : ['rejected', approve, 'alice rejects'];
        const ok =
          [approve.status, reject.status].sort().join() === '201,409' &&
          /already (approved|rejected)/.test(String(loser.body.message)) &&
          row.status === winner &&
          row.approverNotes === notes;
        if (!ok)
          wrong.push({
            id,
            approve: approve.status,
            reject: reject.status,
            stored: [row.status, row.approverNotes],
            loser: loser.body.message,
          });
      }
      expect({ wrong, violations: await violations(ids) }).toEqual({ wrong: [], violations: [] });
      // Both orders happened: approvals and rejections each won some races.
      expect(answers.filter(([approve]) => approve.status === 201).length).toBeGreaterThan(0);
      expect(answers.filter(([, reject]) => reject.status === 201).length).toBeGreaterThan(0);
    },
    TIMEOUT,
  );

  it(
    `${PAIRS} double approvals all at once (${PAIRS * 2} requests in flight): one approval each, the other 409`,
    async () => {
      const ids = await submitted(PAIRS, 'Approve me twice');
      const answers = await Promise.all(
        ids.map((id) =>
          Promise.all([
            send('carol', 'POST', `/expenses/${id}/approve`, { notes: 'carol approves' })(20),
            send('alice', 'POST', `/expenses/${id}/approve`, { notes: 'alice approves' })(20),
          ]),
        ),
      );
      const statuses = answers.map((pair) =>
        pair
          .map((answer) => answer.status)
          .sort()
          .join('/'),
      );
      expect(statuses).toEqual(ids.map(() => '201/409'));
      for (const [i, pair] of answers.entries()) {
        const row = await stored(ids[i]!);
        const winner = pair.find((answer) => answer.status === 201)!;
        expect({ status: row.status, notes: row.approverNotes }).toEqual({
          status: 'approved',
          notes: winner.body.approverNotes,
        });
      }
      expect(await violations(ids)).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    `${PAIRS} edits racing approvals: no edit lands on an approved expense, and the approval shows what is stored`,
    async () => {
      const ids = await submitted(PAIRS, 'Edit me');
      const answers = await pairs(ids, (id) => [
        send('bob', 'PATCH', `/expenses/${id}`, { description: 'edited by bob' }),
        send('carol', 'POST', `/expenses/${id}/approve`, { notes: 'ok' }),
      ]);
      const wrong: unknown[] = [];
      for (const [i, [edit, approve]] of answers.entries()) {
        const id = ids[i]!;
        const row = await stored(id);
        // The edit either came first (200, and the approval covers the edited text) or found the expense decided:
        // 403 when its guard already saw it approved, 409 when the approval won while the edit was in flight.
        const ok =
          approve.status === 201 &&
          [200, 403, 409].includes(edit.status) &&
          (edit.status !== 409 || /already approved/.test(String(edit.body.message))) &&
          row.description === (edit.status === 200 ? 'edited by bob' : `Edit me ${i}`) &&
          approve.body.description === row.description;
        if (!ok)
          wrong.push({
            id,
            edit: edit.status,
            approve: approve.status,
            stored: row.description,
            approved: approve.body.description,
          });
      }
      expect({ wrong, violations: await violations(ids) }).toEqual({ wrong: [], violations: [] });
      // Both orders happened: some edits came first, some found the expense approved.
      expect(answers.filter(([edit]) => edit.status === 200).length).toBeGreaterThan(0);
      expect(answers.filter(([edit]) => edit.status !== 200).length).toBeGreaterThan(0);
    },
    TIMEOUT,
  );
});
