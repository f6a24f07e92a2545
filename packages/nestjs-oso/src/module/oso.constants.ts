/**
 * Metadata key of `@Authorize()`: the action and options of the check a route requires.
 *
 * @example
 * const metadata = reflector.get<AuthorizeMetadata>(OSO_AUTHORIZE, context.getHandler());
 * @publicApi
 */
export const OSO_AUTHORIZE = 'OSO:AUTHORIZE';

/**
 * Metadata key of `@SkipAuthorization()`: the reason a route needs no check.
 *
 * @example
 * const reason = reflector.get<string>(OSO_SKIP_AUTHORIZATION, context.getHandler());
 * @publicApi
 */
export const OSO_SKIP_AUTHORIZATION = 'OSO:SKIP_AUTHORIZATION';

/**
 * Injection token of the underlying `Oso` engine built from the module options.
 *
 * @example
 * constructor(@Inject(OSO_ENGINE) private readonly engine: Oso) {}
 * @publicApi
 */
export const OSO_ENGINE = 'OSO:ENGINE';

/**
 * Metadata key of `@PolarClass()`: the Polar name, field types and `isa` check of an entity class.
 *
 * @example
 * const metadata = Reflect.getOwnMetadata(OSO_POLAR_CLASS, Expense); // { name: 'Expense', fields: ... }
 * @publicApi
 */
export const OSO_POLAR_CLASS = 'OSO:POLAR_CLASS';

/** The action whose denial turns a 403 into a 404 (oso's `authorize` semantics). */
export const DEFAULT_READ_ACTION = 'read';

/**
 * Injection token under which `OsoModule` provides what the guard `@Authorize()` attaches calls outside HTTP (the
 * module's `OsoRouteAuthorizer`); a string, so that the CommonJS and ES module builds share it.
 */
export const OSO_CALL_AUTHORIZER = 'OSO:CALL_AUTHORIZER';
