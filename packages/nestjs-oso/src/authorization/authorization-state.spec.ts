import { describe, expect, it } from '@jest/globals';
import {
  AuthorizationState,
  authorizationStateOf,
  callStateOf,
  countOsoGuard,
  routeAlreadyChecked,
  routeCheckStateOf,
  runWithAuthorizationState,
} from './authorization-state.js';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { HttpRequest } from './http-request.js';
import { RequireAuthorizationInterceptor } from '../http/require-authorization.interceptor.js';
import type { OsoModuleOptions } from '../module/oso-module-options.interface.js';
import { OsoService } from './oso.service.js';
import { createOsoEngine } from '../policy/policy-loader.js';
import { EXPENSES, POLAR_CLASSES, USERS } from '../../test/fixtures/domain.js';
import { policyFixture } from '../../test/fixtures/policies.js';

describe('callStateOf', () => {
  const call = (type: 'graphql' | 'rpc', args: unknown[]) => {
    const context = new ExecutionContextHost(args);
    context.setType(type);
    return context;
  };

  it("keeps one state per call, which its parameter decorators' copy of the arguments finds too", () => {
    const info = { fieldName: 'expense' };
    const args = [{}, { id: 1 }, {}, info];
    const state = callStateOf(call('graphql', args));
    state.routeChecked = true;
    expect(callStateOf(call('graphql', args))).toBe(state);
    expect(callStateOf(call('graphql', [...args]))).toBe(state);
  });

  it('never lets a check count for another call that reuses the same holder object', () => {
    const messageContext = { pattern: 'expense.get' };
    const first = callStateOf(call('rpc', [{ id: 1 }, messageContext]));
    first.routeChecked = true;
    first.authorized = true;
    const second = callStateOf(call('rpc', [{ id: 2 }, messageContext]));
    expect(second).not.toBe(first);
    expect([second.routeChecked, second.authorized, second.transport]).toEqual([false, false, 'rpc']);
  });
});

describe('authorizationStateOf', () => {
  it('gives one state per request object, the same at every call', () => {
    const request = {};
    const other = {};
    const state = authorizationStateOf(request);
    expect(state).toBeInstanceOf(AuthorizationState);
    expect(authorizationStateOf(request)).toBe(state);
    expect(authorizationStateOf(other)).not.toBe(state);
  });

  it("keeps the state out of the request's keys and JSON", () => {
    const request = { method: 'GET' };
    authorizationStateOf(request).setResource('expense 1');
    expect(Object.keys(request)).toEqual(['method']);
    expect(JSON.stringify(request)).toBe('{"method":"GET"}');
    expect(authorizationStateOf(request).resource).toBe('expense 1');
  });

  it('remembers engine decisions of the request, except about an HttpRequest (each check builds its own)', async () => {
    const options: OsoModuleOptions = {
      policyDir: policyFixture('expenses'),
      classes: POLAR_CLASSES,
      compile: false,
    };
    const oso = new OsoService(await createOsoEngine(options), options);
    const request = { method: 'GET', url: '/expenses/1', headers: {} };
    const httpRequest = HttpRequest.from(request);
    const state = authorizationStateOf(request);
    const expense = EXPENSES.get(1)!;
    await runWithAuthorizationState(state, async () => {
      expect(await oso.isAllowed(USERS.bob, 'read', expense)).toBe(true);
      await oso.isAllowed(USERS.bob, 'GET', httpRequest);
    });
    expect(state.decisions.recall(USERS.bob, 'read', expense)).toBe(true);
    expect(state.decisions.recall(USERS.bob, 'GET', httpRequest)).toBeUndefined();
  });
});

/** The state a request object carries, looked up without creating one. */
function stateOnRequest(request: object): unknown {
  const [key] = Object.getOwnPropertySymbols(request);
  return key === undefined ? undefined : (request as Record<symbol, unknown>)[key];
}

describe('routeCheckStateOf and routeAlreadyChecked', () => {
  // The counts are the module's, for the whole test file, and only grow: these two run in this order.
  it('leaves the state on the request only for a resource or when a later reader exists', () => {
    const detached = { method: 'GET' };
    expect(routeCheckStateOf(detached, false)).toBeInstanceOf(AuthorizationState);
    expect(stateOnRequest(detached)).toBeUndefined();

    const withResource = { method: 'GET' };
    expect(routeCheckStateOf(withResource, true)).toBe(stateOnRequest(withResource));

    countOsoGuard(); // the global guard alone reads nothing after itself
    routeCheckStateOf(detached, false);
    expect(stateOnRequest(detached)).toBeUndefined();
    authorizationStateOf(withResource).routeChecked = true;
    expect(routeAlreadyChecked(withResource)).toBe(false);

    countOsoGuard(); // a second guard skips a route the first one checked
    const kept = routeCheckStateOf(detached, false);
    expect(stateOnRequest(detached)).toBe(kept);
    expect(routeAlreadyChecked(detached)).toBe(false);
    expect(routeAlreadyChecked(withResource)).toBe(true);
  });

  it('leaves it on the request once a RequireAuthorizationInterceptor exists', () => {
    const request = { method: 'GET' };
    new RequireAuthorizationInterceptor();
    expect(routeCheckStateOf(request, false)).toBe(stateOnRequest(request));
  });
});
