/** Metadata key of `@Authorize()`: the action and options of the check a route requires. */
export const OSO_AUTHORIZE = 'OSO:AUTHORIZE';

/** Metadata key of `@SkipAuthorization()`: the reason a route needs no check. */
export const OSO_SKIP_AUTHORIZATION = 'OSO:SKIP_AUTHORIZATION';

/** Injection token of the underlying `Oso` engine built from the module options. */
export const OSO_ENGINE = 'OSO:ENGINE';

/** The Polar name under which the request object of route authorization is registered. */
export const HTTP_REQUEST_POLAR_NAME = 'HttpRequest';

/** The action whose denial turns a 403 into a 404 (oso's `authorize` semantics). */
export const DEFAULT_READ_ACTION = 'read';
