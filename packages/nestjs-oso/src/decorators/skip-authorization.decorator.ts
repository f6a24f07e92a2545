import { SetMetadata } from '@nestjs/common';
import { OSO_SKIP_AUTHORIZATION } from '../module/oso.constants.js';

/**
 * Marks a controller or handler as needing no authorization: no guard checks it and `requireAuthorization` lets
 * it through. A handler-level `@Authorize()` still applies under a class-level skip.
 *
 * @example
 * @Get('health')
 * @SkipAuthorization('load balancer probe')
 * health() { return { status: 'ok' }; }
 * @publicApi
 */
export function SkipAuthorization(reason?: string): ClassDecorator & MethodDecorator {
  return SetMetadata(OSO_SKIP_AUTHORIZATION, reason ?? '');
}
