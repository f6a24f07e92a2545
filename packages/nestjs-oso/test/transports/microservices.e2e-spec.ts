import { lastValueFrom, timeout } from 'rxjs';
import {
  ExpenseViews,
  IN_CI,
  SECRET,
  TRANSPORTS,
  startMicroservice,
  type StartedMicroservice,
  type TestTransport,
} from './support/microservice-apps.js';

/** How long a client waits for an answer before the test says the transport never answered. */
const ANSWER_TIMEOUT_MS = 5000;

/** Polls until `condition` holds, or fails after `ms`. */
async function until(condition: () => boolean, what: string, ms = ANSWER_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe.each(TRANSPORTS)('microservice message handlers over $name', (transport: TestTransport) => {
  const skip = IN_CI ? undefined : transport.unavailable;
  if (skip) {
    console.warn(`Skipping the microservice suite on ${transport.name}: ${skip}`);
    it.skip(`skipped: ${skip}`, () => undefined);
    return;
  }

  let started: StartedMicroservice | undefined;
  beforeAll(async () => {
    if (transport.unavailable) throw new Error(`CI requires ${transport.name}: ${transport.unavailable}`);
    started = await startMicroservice(transport);
  });
  afterAll(async () => {
    await started?.close();
  });

  const app = () => {
    if (!started) throw new Error(`the ${transport.name} app did not start`);
    return started;
  };

  const send = (pattern: string, data: unknown) =>
    lastValueFrom(app().client.send(pattern, data).pipe(timeout(ANSWER_TIMEOUT_MS)));

  /** The answer or the error of a request, as one value to compare. */
  const outcome = (pattern: string, data: unknown) =>
    send(pattern, data).then(
      (value: unknown) => ({ value }),
      (error: unknown) => ({ error }),
    );

  describe('@Authorize(action, { resource }) with @AuthorizedResource()', () => {
    it('answers an actor the policy allows, with the resource it authorized', async () => {
      await expect(send('expense.get', { user: 'bob', id: 1 })).resolves.toEqual({
        id: 1,
        description: 'train tickets',
      });
      await expect(send('expense.approve', { user: 'alice', id: 1 })).resolves.toEqual({
        approved: 1,
        notes: 'check the receipt',
      });
    });

    it('rejects with { status, message }: 401 without a user, 404 when it may not read, 403 when it may only read', async () => {
      expect(await outcome('expense.get', { id: 1 })).toEqual({ error: { status: 401, message: 'Unauthorized' } });
      expect(await outcome('expense.get', { user: 'bob', id: 2 })).toEqual({
        error: { status: 404, message: 'Not Found' },
      });
      expect(await outcome('expense.get', { user: 'bob', id: 99 })).toEqual({
        error: { status: 404, message: 'Not Found' },
      });
      expect(await outcome('expense.approve', { user: 'bob', id: 1 })).toEqual({
        error: { status: 403, message: 'Forbidden' },
      });
    });

    it('says nothing of the resource it refused', async () => {
      const refusals = await Promise.all([
        outcome('expense.get', { user: 'bob', id: 2 }),
        outcome('expense.approve', { user: 'bob', id: 1 }),
      ]);
      for (const refusal of refusals) expect(refusal).not.toHaveProperty('value');
      expect(JSON.stringify(refusals)).not.toMatch(/lunch|fine|check the receipt|globex|submitter/i);
    });
  });

  describe('@Authorize() without a resource', () => {
    it('checks the InboundMessage: transport "rpc", the pattern and the payload', async () => {
      // dave audits (any organization); bob is a member of organization 1 only.
      await expect(send('expense.count', { user: 'dave', org: 2 })).resolves.toEqual({ org: 2, count: 1 });
      await expect(send('expense.count', { user: 'bob', org: 1 })).resolves.toEqual({ org: 1, count: 2 });
      expect(await outcome('expense.count', { user: 'bob', org: 2 })).toEqual({
        error: { status: 403, message: 'Forbidden' },
      });
      expect(await outcome('expense.count', { org: 1 })).toEqual({ error: { status: 401, message: 'Unauthorized' } });
    });

    it('denies a pattern no rule names, even to an actor another pattern allows', async () => {
      expect(await outcome('expense.total', { user: 'dave' })).toEqual({
        error: { status: 403, message: 'Forbidden' },
      });
    });
  });

  it("answers an engine failure with the transport's internal error, and logs the details", async () => {
    const errorsBefore = app().logs.errors().length;
    const failure = await outcome('expense.explode', { user: 'bob', id: 3 });
    expect(failure).toEqual({ error: { status: 'error', message: 'Internal server error' } });
    expect(JSON.stringify(failure)).not.toMatch(/noSuchAttribute|secret policy text|explode|polar/i);
    const logged = app().logs.errors().slice(errorsBefore).join('\n');
    expect(logged).toMatch(/failed in the policy engine.*noSuchAttribute.*action "explode"/);
  });

  describe('requireAuthorization', () => {
    it('fails a handler that never authorizes, and says nothing of its data', async () => {
      const failure = await outcome('expense.forgotten', { user: 'alice' });
      expect(failure).toEqual({ error: { status: 'error', message: 'Internal server error' } });
      expect(JSON.stringify(failure)).not.toContain(SECRET);
    });

    it('answers a handler with @SkipAuthorization()', async () => {
      await expect(send('expense.public', {})).resolves.toEqual({ count: 3 });
    });

    it('answers when OsoService.authorize() inside the handler allows, and refuses when the policy denies', async () => {
      await expect(send('expense.checked', { user: 'bob', id: 1 })).resolves.toEqual({
        id: 1,
        description: 'train tickets',
      });
      const refusal = await outcome('expense.checked', { user: 'bob', id: 2 });
      expect(refusal).toEqual({ error: { status: 404, message: 'Not Found' } });
      expect(JSON.stringify(refusal)).not.toContain('lunch');
    });
  });

  it('@EventPattern with @Authorize(): a denied event does not run the handler, an allowed one does', async () => {
    const { viewed } = app().app.get(ExpenseViews);
    const denialsBefore = app().denials.length;
    await lastValueFrom(app().client.emit('expense.viewed', { user: 'bob', id: 2 }));
    await until(() => app().denials.length > denialsBefore, 'the denial of the event');
    expect(app().denials.at(-1)).toMatchObject({ reason: 'not-found', context: 'rpc', action: 'read' });

    await lastValueFrom(app().client.emit('expense.viewed', { user: 'bob', id: 1 }));
    await until(() => viewed.length > 0, 'the allowed event to run its handler');
    // The denied event was decided before the allowed one was sent: had it run its handler, it would be here.
    expect(viewed).toEqual([{ user: 'bob', id: 1 }]);
  });
});
