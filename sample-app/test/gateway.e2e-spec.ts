import type { INestApplication } from '@nestjs/common';
import { io, type Socket } from 'socket.io-client';
import { createSampleApp, TOKENS, type DemoUser } from './create-sample-app.js';

/**
 * The expenses gateway over a real socket.io connection, on the same seed as the REST suite: expenses 1-2 are bob's
 * at Acme, 4 carol's at Globex (where bob is nobody).
 */
describe('the expenses sample app over socket.io', () => {
  let app: INestApplication;
  let url: string;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    app = await createSampleApp();
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
  });
  afterAll(async () => {
    sockets.forEach((socket) => socket.disconnect());
    await app.close();
  });

  const connect = async (user?: DemoUser): Promise<Socket> => {
    const socket = io(url, { transports: ['websocket'], auth: user ? { token: TOKENS[user] } : {}, forceNew: true });
    sockets.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    return socket;
  };

  /** The acknowledgement of an `expense` message, or the `exception` event Nest sends for a denial. */
  const ask = (socket: Socket, data: unknown) =>
    new Promise<{ ack?: unknown; exception?: unknown }>((resolve) => {
      socket.once('exception', (exception: unknown) => resolve({ exception }));
      socket.emit('expense', data, (ack: unknown) => resolve({ ack }));
    });

  it('answers an expense the user may read', async () => {
    const bob = await connect('bob');
    expect(await ask(bob, { id: 1 })).toEqual({
      ack: { id: 1, amount: 4200, description: 'Train to the customer', status: 'submitted' },
    });
  });

  it('answers 404 for an expense the user may not read, one that does not exist, or a malformed id', async () => {
    const bob = await connect('bob');
    for (const data of [{ id: 4 }, { id: 999 }, { id: '1' }, null]) {
      const answer = await ask(bob, data);
      expect(answer).toEqual({ exception: expect.objectContaining({ status: 404, message: 'Not Found' }) });
      expect(JSON.stringify(answer)).not.toMatch(/Globex|Laptop|amount/);
    }
    const guest = await connect();
    expect(await ask(guest, { id: 1 })).toEqual({ exception: expect.objectContaining({ status: 404 }) });
  });

  it('refuses a socket with an unknown token', async () => {
    const socket = io(url, { transports: ['websocket'], auth: { token: 'not-a-token' }, forceNew: true });
    sockets.push(socket);
    await new Promise<void>((resolve) => socket.once('disconnect', () => resolve()));
    expect(socket.connected).toBe(false);
  });
});
