import {
  ForbiddenException,
  HttpException,
  InternalServerErrorException,
  NotFoundException,
  UnauthorizedException,
} from '@nestjs/common';
import type { AuthorizationFailure, UnauthorizedHandler } from './oso-module-options.interface.js';

/**
 * The one place where an authorization outcome becomes the exception the client sees. A custom `onUnauthorized`
 * may choose another exception, but can never turn a denial into a success.
 */
export async function unauthorizedException(
  failure: AuthorizationFailure,
  onUnauthorized: UnauthorizedHandler | undefined,
): Promise<Error> {
  const custom = await onUnauthorized?.(failure);
  if (custom instanceof Error) return custom;
  return defaultException(failure);
}

function defaultException(failure: AuthorizationFailure): HttpException {
  switch (failure.reason) {
    case 'unauthenticated':
      return new UnauthorizedException();
    case 'not-found':
      return new NotFoundException();
    case 'forbidden':
      return new ForbiddenException();
  }
}

/**
 * What the client sees when the engine itself failed (a runtime error in a rule, an unknown rule, a missing
 * attribute): a 500 without policy text or stack. The details go to the log.
 */
export function engineFailureException(): InternalServerErrorException {
  return new InternalServerErrorException('Authorization could not be evaluated');
}
