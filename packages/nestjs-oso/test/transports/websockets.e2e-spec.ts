import { ConflictException } from '@nestjs/common';
import {
  AuthorizedClassGateway,
  ExpensesGateway,
  MessagesGateway,
  SECRET,
  ServiceGateway,
  startWsApp,
  UndecoratedGateway,
  WS_ADAPTERS,
  type Reply,
  type WsPlatform,
  type WsTestApp,
} from './support/websocket-apps.js';

/** The `exception` event of a denial: the status and its text, nothing of the data. */
const denied = (status: 401 | 403 | 404) => ({
  event: 'exception',
  data: { status, message: { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' }[status] },
});

/** Nest's answer to any error that is not a `WsException`: no status of ours, no detail. */
function expectInternalError(reply: Reply): void {
  expect(reply).toMatchObject({ event: 'exception', data: { status: 'error', message: 'Internal server error' } });
  expect(JSON.stringify(reply)).not.toMatch(new RegExp(`${SECRET}|secret policy text|noSuchAttribute|\\.polar`));
}

describe.each(WS_ADAPTERS)('WebSocket gateways on %s', (platform: WsPlatform) => {
  let started: WsTestApp | undefined;
  afterEach(async () => {
    await started?.close();
    started = undefined;
  });

  /** Sends one message as `user` on a new connection and returns the server's answer. */
  const ask = async (user: string | undefined, event: string, data: unknown = {}) =>
    (await started!.connect(user)).request(event, data);

  describe('@Authorize(action, { resource }) on a @SubscribeMessage() handler', () => {
    beforeEach(async () => {
      started = await startWsApp(platform, [ExpensesGateway]);
    });

    it('answers an allowed actor with the resource it loaded, through @AuthorizedResource()', async () => {
      const reply = await ask('bob', 'expense', { id: 1 });
      expect(reply).toEqual({
        event: 'expense',
        data: expect.objectContaining({ id: 1, description: 'train tickets' }),
      });
      expect(await ask('alice', 'approve', { id: 1 })).toEqual({ event: 'approved', data: { id: 1, secret: SECRET } });
    });

    it('answers 401 without an actor, whether or not the resource exists', async () => {
      expect(await ask(undefined, 'expense', { id: 1 })).toEqual(denied(401));
      expect(await ask(undefined, 'expense', { id: 99 })).toEqual(denied(401));
    });

    it('answers 404 to an actor who may not read the resource, and for a missing one', async () => {
      expect(await ask('carol', 'expense', { id: 1 })).toEqual(denied(404));
      expect(await ask('bob', 'expense', { id: 99 })).toEqual(denied(404));
      expect(await ask('bob', 'expense', {})).toEqual(denied(404));
    });

    it('answers 403 to an actor who may read the resource but not do the action', async () => {
      expect(await ask('bob', 'approve', { id: 1 })).toEqual(denied(403));
      expect(await ask('carol', 'approve', { id: 1 })).toEqual(denied(404));
    });

    it("answers with the handler's plain return value (socket.io's acknowledgement), and never on a denial", async () => {
      expect(await ask('bob', 'expense-answer', { id: 1 })).toEqual({
        answer: expect.objectContaining({ id: 1, description: 'train tickets' }),
      });
      const client = await started!.connect('carol');
      expect(await client.request('expense-answer', { id: 1 })).toEqual(denied(404));
      expect(await client.request('expense-answer', { id: 2 })).toEqual({ answer: expect.objectContaining({ id: 2 }) });
    });

    it('keeps the state of overlapping calls on one socket apart', async () => {
      const client = await started!.connect('bob');
      // The first call's resource arrives last: each answer must still carry its own call's resource or denial.
      client.send('expense-answer', { id: 1, delay: 200 });
      client.send('expense-answer', { id: 2, delay: 100 });
      client.send('expense-answer', { id: 3, delay: 0 });
      const replies = [await client.next(), await client.next(), await client.next()];
      expect(replies).toEqual([
        { answer: expect.objectContaining({ id: 3 }) },
        denied(404),
        { answer: expect.objectContaining({ id: 1 }) },
      ]);
    });

    it('keeps the connection usable after a denial', async () => {
      const client = await started!.connect('bob');
      expect(await client.request('approve', { id: 1 })).toEqual(denied(403));
      expect(await client.request('expense', { id: 1 })).toMatchObject({ event: 'expense', data: { id: 1 } });
    });

    it('answers an engine failure with Nest internal error; the details reach only the log', async () => {
      expectInternalError(await ask('alice', 'explode', { id: 3 }));
      expect(started!.logs.errors().join('\n')).toMatch(/policy engine: RuntimeError::Application .*noSuchAttribute/);
    });
  });

  it('hands onUnauthorized the "ws" transport, and sends the 4xx it returns as the exception event', async () => {
    const transports: string[] = [];
    started = await startWsApp(platform, [ExpensesGateway], {
      onUnauthorized: (failure) => {
        transports.push(failure.context);
        return new ConflictException();
      },
    });
    expect(await ask('carol', 'expense', { id: 1 })).toEqual({
      event: 'exception',
      data: { status: 409, message: 'Conflict' },
    });
    expect(transports).toEqual(['ws']);
  });

  describe('@Authorize() without a resource: the InboundMessage', () => {
    beforeEach(async () => {
      started = await startWsApp(platform, [MessagesGateway]);
    });

    it('answers when the policy allows the message on its transport and pattern', async () => {
      expect(await ask('bob', 'ping')).toEqual({ event: 'pong', data: { secret: SECRET } });
    });

    it('answers 401 without an actor', async () => {
      expect(await ask(undefined, 'ping')).toEqual(denied(401));
    });

    it("lets the policy read the message's data", async () => {
      expect(await ask('dave', 'report', { year: 2026 })).toEqual({
        event: 'report',
        data: { year: 2026, secret: SECRET },
      });
      expect(await ask('dave', 'report', { year: 2025 })).toEqual(denied(403));
      expect(await ask('bob', 'report', { year: 2026 })).toEqual(denied(403));
    });

    it('does not take a rule on an "rpc" InboundMessage for a gateway message', async () => {
      expect(await ask('bob', 'rpc-only')).toEqual(denied(403));
    });
  });

  it('@Authorize() on a gateway class checks each of its handlers on the InboundMessage', async () => {
    started = await startWsApp(platform, [AuthorizedClassGateway]);
    expect(await ask('bob', 'ping')).toEqual({ event: 'pong', data: { secret: SECRET } });
    expect(await ask(undefined, 'ping')).toEqual(denied(401));
    expect(await ask('bob', 'unlisted')).toEqual(denied(403));
  });

  describe('requireAuthorization', () => {
    beforeEach(async () => {
      started = await startWsApp(platform, [ExpensesGateway, ServiceGateway, UndecoratedGateway], {
        requireAuthorization: true,
      });
    });

    it('answers a handler that @Authorize() authorized, and keeps the status of its denials', async () => {
      expect(await ask('bob', 'expense', { id: 1 })).toEqual({
        event: 'expense',
        data: expect.objectContaining({ id: 1 }),
      });
      expect(await ask('bob', 'expense', { id: 2 })).toEqual(denied(404));
    });

    it('answers a @SkipAuthorization() handler', async () => {
      expect(await ask(undefined, 'public')).toEqual({ event: 'public', data: { public: true } });
    });

    it("fails an undecorated handler that never authorizes (OsoModule's global interceptor reaches gateways)", async () => {
      expectInternalError(await ask('bob', 'unlisted'));
      expect(started!.logs.errors().join('\n')).toContain('UndecoratedGateway.unlisted completed without authorizing');
    });

    it('answers a handler that authorizes through OsoService, and denies with the status of the policy', async () => {
      expect(await ask('bob', 'via-service', { id: 1 })).toEqual({ event: 'checked', data: { id: 1, secret: SECRET } });
      expect(await ask(undefined, 'via-service', { id: 1 })).toEqual(denied(401));
      expect(await ask('bob', 'via-service', { id: 2 })).toEqual(denied(404));
      expect(await ask('bob', 'via-service', { id: 1, action: 'approve' })).toEqual(denied(403));
    });
  });

  describe('routeAuthorization', () => {
    it('checks an undecorated handler on its InboundMessage', async () => {
      started = await startWsApp(platform, [UndecoratedGateway], { routeAuthorization: true });
      expect(await ask('bob', 'ping')).toEqual({ event: 'pong', data: { secret: SECRET } });
      expect(await ask(undefined, 'ping')).toEqual(denied(401));
      expect(await ask('bob', 'unlisted')).toEqual(denied(403));
    });

    it('is off by default: the same handlers answer unchecked', async () => {
      started = await startWsApp(platform, [UndecoratedGateway]);
      expect(await ask(undefined, 'unlisted')).toEqual({ event: 'unlisted', data: { secret: SECRET } });
    });
  });
});
