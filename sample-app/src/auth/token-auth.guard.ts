import { Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { Guest, User } from '../users/user.entity.js';

/**
 * A stand-in for real authentication: `Authorization: Bearer <token>` names a user, no header means a guest, and
 * anything else is a 401. It sets `request.user`, which nestjs-oso takes as the actor.
 */
@Injectable()
export class TokenAuthGuard implements CanActivate {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context
      .switchToHttp()
      .getRequest<{ headers: Record<string, string | undefined>; user?: unknown }>();
    const header = request.headers.authorization;
    if (header === undefined) {
      request.user = new Guest();
      return true;
    }
    const token = /^Bearer (\S+)$/.exec(header)?.[1];
    const user = token && (await this.users.findOne({ where: { token }, relations: { memberships: true } }));
    if (!user) throw new UnauthorizedException('Unknown or malformed bearer token');
    request.user = user;
    return true;
  }
}
