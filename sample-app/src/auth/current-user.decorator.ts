import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { requestOf } from './request-of.js';

/** The actor `TokenAuthGuard` put on the request: a `User`, or a `Guest`. */
export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext) => requestOf<{ user: unknown }>(context).user,
);
