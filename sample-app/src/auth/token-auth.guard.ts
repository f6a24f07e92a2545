import { Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { Guest, User } from '../users/user.entity.js';
import { requestOf } from './request-of.js';

/**
 * A stand-in for real authentication: `Authorization: Bearer <token>` names a user, no header means a guest, and
 * anything else is a 401. It sets `request.user`, which nestjs-oso takes as the actor, for REST routes and GraphQL
 * operations alike.
 */
@Injectable()
export class TokenAuthGuard implements CanActivate {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    // A socket signed in when it connected (ExpensesGateway.handleConnection); its messages carry no headers.
    if (context.getType() === 'ws') return true;
    const request = requestOf<{ headers: Record<string, string | undefined>; user?: unknown }>(context);
    const header = request.headers.authorization;
    if (header === undefined) {
      request.user = new Guest();
      return true;
    }
    const token = /^Bearer (\S+)$/.exec(header)?.[1];
    const user = token && (await userForToken(this.users, token));
    if (!user) throw new UnauthorizedException('Unknown or malformed bearer token');
    request.user = user;
    return true;
  }
}

/** The user a bearer token names, with the memberships the policy reads, or null. */
export function userForToken(users: Repository<User>, token: string): Promise<User | null> {
  return users.findOne({ where: { token }, relations: { memberships: true } });
}
