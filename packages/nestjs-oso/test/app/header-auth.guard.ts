import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { userFromHeader } from '../fixtures/domain.js';

/** An authentication stand-in, as a controller-level guard: sets `request.user` from the `x-user` header. */
@Injectable()
export class HeaderAuthGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest();
    request.user = userFromHeader(request.headers);
    return true;
  }
}
