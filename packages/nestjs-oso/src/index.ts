// The public surface of nestjs-oso: the module, its service, guard, interceptor and decorators, the engine's loading,
// the errors, and the oso values apps need. Each name is exported from one entry point only; the subpaths are
// `nestjs-oso/data-filtering` (data filtering's building blocks and the in-memory adapter),
// `nestjs-oso/typeorm` (the TypeORM adapter, so that apps without TypeORM never load it) and `nestjs-oso/testing`.
export { OsoModule } from './module/oso.module.js';
export { OSO_MODULE_OPTIONS } from './module/oso.module-definition.js';
export type {
  ActorResolver,
  AuthorizationFailure,
  OsoModuleOptions,
  PolarClassRegistration,
  UnauthorizedHandler,
} from './module/oso-module-options.interface.js';
export { OSO_AUTHORIZE, OSO_ENGINE, OSO_POLAR_CLASS, OSO_SKIP_AUTHORIZATION } from './module/oso.constants.js';
export { OsoService, type AuthorizeCallOptions } from './authorization/oso.service.js';
export * from './decorators/index.js';
export { OsoGuard } from './http/oso.guard.js';
export { authorizeField, type AuthorizeFieldOptions } from './http/authorize-field.middleware.js';
export { RequireAuthorizationInterceptor } from './http/require-authorization.interceptor.js';
export { HttpRequest } from './authorization/http-request.js';
export { GraphQLOperation } from './transports/graphql-operation.js';
export { graphQLParent } from './transports/graphql-parent.js';
export { InboundMessage } from './transports/inbound-message.js';
export type { CallTransport } from './transports/transport.js';
export { OsoRouteAuthorizer, type RouteRule } from './http/route-authorizer.service.js';
export { createOsoEngine, findPolicyFiles } from './policy/policy-loader.js';
export { OsoPolicyReloader } from './policy/policy-reloader.service.js';
export type { CompiledDecisionInfo } from './compiled-decisions/compiled-decisions.js';
export { OsoError } from './errors/oso.error.js';
export { PolicyLoadError } from './errors/policy-load.error.js';
export { OsoConfigurationError } from './errors/oso-configuration.error.js';
export { Oso, Relation } from './engine/oso-library.js';
export type { Class } from 'oso';
