import { InjectRepository } from '@nestjs/typeorm';
import { ConnectedSocket, SubscribeMessage, WebSocketGateway, type OnGatewayConnection } from '@nestjs/websockets';
import { Authorize, AuthorizedResource } from 'nestjs-oso';
import type { Socket } from 'socket.io';
import type { Repository } from 'typeorm';
import { userForToken } from '../auth/token-auth.guard.js';
import { Guest, User } from '../users/user.entity.js';
import type { Expense } from './expense.entity.js';
import { ExpenseResolver } from './expense.resolver.js';

/**
 * Expenses over socket.io, on the app's HTTP port: a client connects with `auth: { token }` and asks
 * `emit('expense', { id }, ack)`. The socket's user is set once, at connection (nestjs-oso reads `client.data.user`);
 * the same `@Authorize()` as `GET /expenses/:id` checks every message, and a denial reaches the client as an
 * `exception` event with `{ status: 404, message: 'Not Found' }`.
 */
@WebSocketGateway()
export class ExpensesGateway implements OnGatewayConnection {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  /** A known token signs the socket in; none is a guest; a wrong one closes the socket. */
  async handleConnection(@ConnectedSocket() client: Socket): Promise<void> {
    const token: unknown = client.handshake.auth?.token;
    if (token === undefined) {
      client.data.user = new Guest();
      return;
    }
    const user = typeof token === 'string' ? await userForToken(this.users, token) : null;
    if (user) client.data.user = user;
    else client.disconnect(true);
  }

  @SubscribeMessage('expense')
  @Authorize('read', { resource: ExpenseResolver })
  expense(@AuthorizedResource() expense: Expense) {
    const { id, amount, description, status } = expense;
    return { id, amount, description, status };
  }
}
