import {
  ForbiddenException,
  HttpException,
  InternalServerErrorException,
  Logger,
  NotFoundException,
  UnauthorizedException,
} from '@nestjs/common';
import type { AuthorizationFailure, UnauthorizedHandler } from '../module/oso-module-options.interface.js';
import { ownError } from '../transports/transport-error.js';

/**
 * The one place where an authorization outcome becomes the exception the client sees. A custom `onUnauthorized`
 * may choose another exception (returned or thrown), but can never turn a denial into a success: an exception whose
 * status is below 400 becomes a 500, and the misconfiguration is logged once per handler.
 */
export async function unauthorizedException(
  failure: AuthorizationFailure,
  onUnauthorized: UnauthorizedHandler | undefined,
): Promise<Error> {
  if (!onUnauthorized) return defaultException(failure);
  let custom: unknown;
  try {
    custom = await onUnauthorized(failure);
  } catch (thrown) {
    custom = thrown;
  }
  if (custom == null) return defaultException(failure);
  if (custom instanceof HttpException && custom.getStatus() < 400) {
    reportMisconfiguration(onUnauthorized, custom.getStatus());
    return new InternalServerErrorException();
  }
  // Anything else that is not an error (a value returned by mistake) is no answer to a denial either.
  return custom instanceof Error ? custom : new InternalServerErrorException();
}

/** The `onUnauthorized` handlers already reported, so that a misconfiguration is logged once, not per request. */
const reportedHandlers = new WeakSet<UnauthorizedHandler>();

function reportMisconfiguration(onUnauthorized: UnauthorizedHandler, status: number): void {
  if (reportedHandlers.has(onUnauthorized)) return;
  reportedHandlers.add(onUnauthorized);
  new Logger('OsoModule').error(
    `The onUnauthorized option gave an exception with status ${status} for a denied request; a denial never answers ` +
      'below 400, so the client gets 500: return an exception with a 4xx status, or nothing for the default',
  );
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
  return ownError(new InternalServerErrorException('Authorization could not be evaluated'));
}
