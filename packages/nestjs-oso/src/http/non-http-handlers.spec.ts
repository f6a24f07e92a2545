import 'reflect-metadata';
import { Get, UseGuards, UseInterceptors } from '@nestjs/common';
import { Authorize } from '../decorators/authorize.decorator.js';
import { SkipAuthorization } from '../decorators/skip-authorization.decorator.js';
import { nonHttpHandlerOf, unenforceableHandlers, type EnhancerReach } from './non-http-handlers.js';
import { OsoGuard } from './oso.guard.js';
import { RequireAuthorizationInterceptor } from './require-authorization.interceptor.js';

/**
 * What @nestjs/websockets' `@SubscribeMessage()` and @nestjs/graphql's `@Query()` / `@ResolveField()` put on a
 * method (those packages are not dependencies here): the same metadata, under the same keys.
 */
const SubscribeMessage = (): MethodDecorator => (_target, _key, descriptor) => {
  Reflect.defineMetadata('websockets:message_mapping', true, descriptor.value as object);
  Reflect.defineMetadata('message', 'events', descriptor.value as object);
};
const Query = (): MethodDecorator => (_target, _key, descriptor) => {
  Reflect.defineMetadata('graphql:resolver_type', 'Query', descriptor.value as object);
  Reflect.defineMetadata('graphql:resolver_name', 'expenses', descriptor.value as object);
};
const ResolveField = (): MethodDecorator => (_target, _key, descriptor) => {
  Reflect.defineMetadata('graphql:resolve_property', true, descriptor.value as object);
  Reflect.defineMetadata('graphql:resolver_name', 'owner', descriptor.value as object);
};
const MessagePattern =
  (pattern: unknown): MethodDecorator =>
  (_target, _key, descriptor) => {
    Reflect.defineMetadata('microservices:pattern', [pattern], descriptor.value as object);
    Reflect.defineMetadata('microservices:handler_type', 1, descriptor.value as object);
  };

class EventsGateway {
  @SubscribeMessage()
  @Authorize('listen')
  events() {}
}

class ExpensesResolver {
  @Query()
  expenses() {}

  @ResolveField()
  owner() {}

  helper() {}
}

class AuthorizedFieldResolver {
  @ResolveField()
  @Authorize('read')
  owner() {}
}

class SkippedFieldResolver {
  @ResolveField()
  @SkipAuthorization('the parent query checked it')
  owner() {}
}

class RpcController {
  @MessagePattern({ cmd: 'count' })
  count() {}
}

@UseInterceptors(RequireAuthorizationInterceptor)
@UseGuards(OsoGuard)
class CheckedRpcController {
  @MessagePattern('count')
  count() {}
}

class Routes {
  @Get()
  @Authorize()
  list() {}
}

const EVERYWHERE: EnhancerReach = { fieldResolverGuards: true, fieldResolverInterceptors: true, microservices: true };
const NOWHERE: EnhancerReach = { fieldResolverGuards: false, fieldResolverInterceptors: false, microservices: false };
const STRICT = { requireAuthorization: true, routeAuthorization: true };

describe('non-HTTP handlers', () => {
  it('tells GraphQL, WebSocket and microservice handlers from HTTP routes and plain methods, with their names', () => {
    expect(nonHttpHandlerOf(EventsGateway.prototype.events)).toMatchObject({
      transport: 'ws',
      kind: 'WS',
      name: 'events',
    });
    expect(nonHttpHandlerOf(ExpensesResolver.prototype.expenses)).toMatchObject({
      transport: 'graphql',
      kind: 'QUERY',
      name: 'expenses',
    });
    expect(nonHttpHandlerOf(ExpensesResolver.prototype.owner)).toMatchObject({ kind: 'FIELD', name: 'owner' });
    expect(nonHttpHandlerOf(RpcController.prototype.count)).toMatchObject({
      transport: 'rpc',
      kind: 'MESSAGE',
      name: '{"cmd":"count"}',
    });
    expect(nonHttpHandlerOf(ExpensesResolver.prototype.helper)).toBeUndefined();
    expect(nonHttpHandlerOf(Routes.prototype.list)).toBeUndefined();
  });

  it("accepts @Authorize() wherever Nest runs the handler's guards", () => {
    expect(unenforceableHandlers(EventsGateway, STRICT, NOWHERE)).toEqual([]);
    expect(unenforceableHandlers(AuthorizedFieldResolver, STRICT, EVERYWHERE)).toEqual([]);
  });

  it('refuses @Authorize() on a field resolver when fieldResolverEnhancers lacks guards, naming the option', () => {
    expect(unenforceableHandlers(AuthorizedFieldResolver, {}, NOWHERE)).toEqual([
      expect.stringMatching(
        /^@Authorize\(\) on AuthorizedFieldResolver\.owner, a GraphQL field resolver.*fieldResolverEnhancers/,
      ),
    ]);
  });

  it('refuses routeAuthorization and requireAuthorization where the global enhancers do not reach', () => {
    expect(unenforceableHandlers(ExpensesResolver, STRICT, NOWHERE)).toEqual([
      expect.stringMatching(/routeAuthorization is on, but ExpensesResolver\.owner .*fieldResolverEnhancers/),
      expect.stringMatching(/requireAuthorization is on, but ExpensesResolver\.owner .*'interceptors'/),
    ]);
    expect(unenforceableHandlers(ExpensesResolver, STRICT, EVERYWHERE)).toEqual([]);
    expect(unenforceableHandlers(RpcController, STRICT, NOWHERE)).toEqual([
      expect.stringMatching(/routeAuthorization .*RpcController\.count .*inheritAppConfig.*@UseGuards\(OsoGuard\)/),
      expect.stringMatching(/requireAuthorization .*RpcController\.count .*@UseInterceptors\(RequireAuthorization/),
    ]);
    expect(unenforceableHandlers(RpcController, {}, NOWHERE)).toEqual([]);
  });

  it('accepts a microservice handler with its own guard and interceptor, and a skipped field resolver', () => {
    expect(unenforceableHandlers(CheckedRpcController, STRICT, NOWHERE)).toEqual([]);
    expect(unenforceableHandlers(SkippedFieldResolver, STRICT, NOWHERE)).toEqual([]);
  });

  it('leaves HTTP routes to the guard', () => {
    expect(unenforceableHandlers(Routes, STRICT, NOWHERE)).toEqual([]);
  });
});
