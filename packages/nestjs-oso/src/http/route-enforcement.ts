import { GUARDS_METADATA, INTERCEPTORS_METADATA } from '@nestjs/common/constants.js';
import { OsoResponseCheckGuard } from './response-check.guard.js';
import { OsoRouteInterceptor } from './route.interceptor.js';
import { isRouteEnforcer } from './route-rules.js';

/** One of each for the whole process: they act only on requests an app's global guard marked. */
let enforcers: { guard: OsoResponseCheckGuard; interceptor: OsoRouteInterceptor } | undefined;

/**
 * Makes an HTTP route enforce `requireAuthorization` with enhancers of its own: `OsoRouteInterceptor` first among the
 * handler's interceptors and, with `responseCheck`, `OsoResponseCheckGuard` last among its guards (a route checked
 * before its handler needs only the interceptor, for the request's context). Decorator metadata is shared by every app
 * that uses the controller, so they act only where OsoModule's global guard marks the request; a handler that
 * already has them is left as it is. Must run before Nest registers the routes (OsoModule's providers are built
 * first).
 */
export function enforceOnRoute(handler: object, responseCheck: boolean): void {
  enforcers ??= { guard: new OsoResponseCheckGuard(), interceptor: new OsoRouteInterceptor() };
  const guards = (Reflect.getMetadata(GUARDS_METADATA, handler) ?? []) as unknown[];
  if (responseCheck && !guards.some(isRouteEnforcer))
    Reflect.defineMetadata(GUARDS_METADATA, [...guards, enforcers.guard], handler);
  const interceptors = (Reflect.getMetadata(INTERCEPTORS_METADATA, handler) ?? []) as unknown[];
  if (!interceptors.some(isRouteEnforcer))
    Reflect.defineMetadata(INTERCEPTORS_METADATA, [enforcers.interceptor, ...interceptors], handler);
}
