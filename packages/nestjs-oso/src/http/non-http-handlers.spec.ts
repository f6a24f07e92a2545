import 'reflect-metadata';
import { Get, UseInterceptors } from '@nestjs/common';
import { Authorize } from '../decorators/authorize.decorator.js';
import { SkipAuthorization } from '../decorators/skip-authorization.decorator.js';
import { nonHttpHandlerKind, unenforceableHandlers } from './non-http-handlers.js';
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
};
const ResolveField = (): MethodDecorator => (_target, _key, descriptor) => {
  Reflect.defineMetadata('graphql:resolve_property', 'owner', descriptor.value as object);
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
  @SkipAuthorization('the parent query checked it')
  owner() {}

  helper() {}
}

@UseInterceptors(RequireAuthorizationInterceptor)
class CheckedResolver {
  @Query()
  expenses() {}
}

class Routes {
  @Get()
  @Authorize()
  list() {}
}

describe('non-HTTP handlers', () => {
  it('tells WebSocket and GraphQL handlers from HTTP routes and plain methods', () => {
    expect(nonHttpHandlerKind(EventsGateway.prototype.events)).toMatch(/WebSocket/);
    expect(nonHttpHandlerKind(ExpensesResolver.prototype.expenses)).toMatch(/GraphQL resolver/);
    expect(nonHttpHandlerKind(ExpensesResolver.prototype.owner)).toMatch(/GraphQL field resolver/);
    expect(nonHttpHandlerKind(ExpensesResolver.prototype.helper)).toBeUndefined();
    expect(nonHttpHandlerKind(Routes.prototype.list)).toBeUndefined();
  });

  it('refuses @Authorize() on a WebSocket handler, naming it', () => {
    expect(unenforceableHandlers(EventsGateway, false)).toEqual([
      expect.stringMatching(/^@Authorize\(\) on EventsGateway\.events, a WebSocket/),
    ]);
  });

  it('under requireAuthorization, refuses a resolver with neither its own interceptor nor a skip', () => {
    expect(unenforceableHandlers(ExpensesResolver, true)).toEqual([
      expect.stringMatching(/requireAuthorization is on, but ExpensesResolver\.expenses is a GraphQL resolver/),
    ]);
    expect(unenforceableHandlers(ExpensesResolver, false)).toEqual([]);
    expect(unenforceableHandlers(CheckedResolver, true)).toEqual([]);
  });

  it('leaves HTTP routes to the guard', () => {
    expect(unenforceableHandlers(Routes, true)).toEqual([]);
  });
});
