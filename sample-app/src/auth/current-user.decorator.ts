import { createParamDecorator, type ExecutionContext } from '@nestjs/common';

/** The actor `TokenAuthGuard` put on the request: a `User`, or a `Guest`. */
export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext) => context.switchToHttp().getRequest<{ user: unknown }>().user,
);
