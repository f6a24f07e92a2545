import { describe, expect, it } from '@jest/globals';
import { AuthorizationState, authorizationStateOf } from './authorization-state.js';

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

  it('holds no reference to its request, which would keep the request alive in its WeakMap entry', () => {
    const request = { method: 'GET' };
    const state = authorizationStateOf(request);
    state.setResource({ id: 1 });
    const reachable = new Set<unknown>();
    const visit = (value: unknown): void => {
      if (value === null || typeof value !== 'object' || reachable.has(value)) return;
      reachable.add(value);
      const entries = value instanceof Map ? [...value.keys(), ...value.values()] : Object.values(value);
      entries.forEach(visit);
    };
    visit(state);
    expect(reachable.has(request)).toBe(false);
  });
});
