import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { AuthorizationState, authorizationStateOf, runWithAuthorizationState } from './authorization-state.js';
import { HttpRequest } from './http-request.js';
import type { OsoModuleOptions } from './oso-module-options.interface.js';
import { OsoService } from './oso.service.js';
import { createOsoEngine } from './policy-loader.js';
import { EXPENSES, POLAR_CLASSES, USERS } from '../test/app/domain.js';

/** Every object reachable from `root` through own enumerable properties and Map entries. */
function reachableFrom(root: unknown): Set<unknown> {
  const reachable = new Set<unknown>();
  const visit = (value: unknown): void => {
    if (value === null || typeof value !== 'object' || reachable.has(value)) return;
    reachable.add(value);
    const entries = value instanceof Map ? [...value.keys(), ...value.values()] : Object.values(value);
    entries.forEach(visit);
  };
  visit(root);
  return reachable;
}

describe('authorizationStateOf', () => {
  it('gives one state per request object, the same at every call', () => {
    const request = {};
    const other = {};
    const state = authorizationStateOf(request);
    expect(state).toBeInstanceOf(AuthorizationState);
    expect(authorizationStateOf(request)).toBe(state);
    expect(authorizationStateOf(other)).not.toBe(state);
  });

  it('adds nothing to the request object (on Express, adding a property copies its hidden class)', () => {
    const request = { method: 'GET' };
    authorizationStateOf(request).skip('health check');
    expect(Reflect.ownKeys(request)).toEqual(['method']);
    expect(authorizationStateOf(request).skipped).toBe(true);
  });

  it('never reaches its request, which would keep the request alive in its WeakMap entry', async () => {
    const options: OsoModuleOptions = {
      policyDir: join(import.meta.dirname, '..', 'test', 'policies'),
      classes: POLAR_CLASSES,
      compile: false,
    };
    const oso = new OsoService(await createOsoEngine(options), options);
    const request = { method: 'GET', url: '/expenses/1', headers: {} };
    const state = authorizationStateOf(request);
    const expense = EXPENSES.get(1)!;
    await runWithAuthorizationState(state, async () => {
      await oso.isAllowed(USERS.bob, 'read', expense);
      await oso.isAllowed(USERS.bob, 'GET', HttpRequest.from(request));
    });
    state.setResource(expense);
    // Engine decisions are remembered, except about an HttpRequest (which holds its platform request).
    expect(state.decisions.recall(USERS.bob, 'read', expense)).toBe(true);
    const reachable = [...reachableFrom(state)];
    expect(reachable).not.toContain(request);
    // An HttpRequest keeps its platform request in a private field, out of the walk's sight: it must not be there.
    expect(reachable.filter((value) => value instanceof HttpRequest)).toEqual([]);
  });
});
