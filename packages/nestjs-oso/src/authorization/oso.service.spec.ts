import { Relation } from 'oso';
import {
  ForbiddenException,
  InternalServerErrorException,
  Logger,
  NotFoundException,
  UnauthorizedException,
} from '@nestjs/common';
import { AuthorizationState, runWithAuthorizationState } from './authorization-state.js';
import { HttpRequest } from './http-request.js';
import type { OsoModuleOptions } from '../module/oso-module-options.interface.js';
import { OsoService } from './oso.service.js';
import { InMemoryAdapter } from '../data-filtering/index.js';
import { createOsoEngine } from '../policy/policy-loader.js';
import { Expense, EXPENSES, Membership, Organization, POLAR_CLASSES, User, USERS } from '../../test/fixtures/domain.js';
import { LogCollector } from '../../test/fixtures/log-collector.js';
import { policyFixture } from '../../test/fixtures/policies.js';

const options: OsoModuleOptions = { policyDir: policyFixture('expenses'), classes: POLAR_CLASSES };
const expense = (id: number) => EXPENSES.get(id)!;
const { alice, bob } = USERS;

describe('OsoService', () => {
  let oso: OsoService;
  const logs = new LogCollector();
  beforeAll(async () => {
    Logger.overrideLogger(logs);
    oso = new OsoService(await createOsoEngine(options), options);
  });

  describe('authorize', () => {
    it('resolves when the policy allows', async () => {
      await expect(oso.authorize(bob, 'read', expense(1))).resolves.toBeUndefined();
    });

    it('throws NotFoundException when the actor may not even read the resource', async () => {
      await expect(oso.authorize(bob, 'approve', expense(2))).rejects.toBeInstanceOf(NotFoundException);
      await expect(oso.authorize(bob, 'read', expense(2))).rejects.toBeInstanceOf(NotFoundException);
    });

    it('throws ForbiddenException when the actor may read but not act', async () => {
      await expect(oso.authorize(bob, 'approve', expense(1))).rejects.toBeInstanceOf(ForbiddenException);
    });

    it('throws ForbiddenException for everything with checkRead: false', async () => {
      await expect(oso.authorize(bob, 'approve', expense(2), { checkRead: false })).rejects.toBeInstanceOf(
        ForbiddenException,
      );
    });

    it('throws UnauthorizedException for an undefined or null actor', async () => {
      await expect(oso.authorize(undefined, 'read', expense(1))).rejects.toBeInstanceOf(UnauthorizedException);
      await expect(oso.authorize(null, 'read', expense(1))).rejects.toBeInstanceOf(UnauthorizedException);
    });

    it('lets a policy allow guests: a missing actor is nil', async () => {
      const guestRoute = new HttpRequest('GET', '/', '/', {}, {}, {});
      await expect(oso.authorize(undefined, 'GET', guestRoute)).resolves.toBeUndefined();
    });

    it('turns an engine error into a bare InternalServerErrorException', async () => {
      const error = await oso.authorize(alice, 'explode', expense(3)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InternalServerErrorException);
      expect(JSON.stringify((error as InternalServerErrorException).getResponse())).not.toContain('secret policy text');
      expect(logs.errors().join('\n')).toMatch(/isAllowed failed in the policy engine: .*noSuchAttribute/s);
    });
  });

  describe('counting as authorized', () => {
    const within = async (fn: () => Promise<unknown>) => {
      const state = new AuthorizationState();
      await runWithAuthorizationState(state, fn).catch(() => undefined);
      return state;
    };

    it('authorize, authorizeRequest and authorizeField count when they allow', async () => {
      expect((await within(() => oso.authorize(bob, 'read', expense(1)))).authorized).toBe(true);
      const route = new HttpRequest('GET', '/', '/', {}, {}, {});
      expect((await within(() => oso.authorizeRequest(bob, route))).authorized).toBe(true);
      expect((await within(() => oso.authorizeField(bob, 'read', expense(1), 'amount'))).authorized).toBe(true);
    });

    it('a denial does not count', async () => {
      expect((await within(() => oso.authorize(bob, 'approve', expense(1)))).authorized).toBe(false);
      expect((await within(() => oso.authorizeField(bob, 'read', expense(1), 'approverNotes'))).authorized).toBe(false);
    });

    it('isAllowed, authorizedActions and authorizedFields only ask, and do not count', async () => {
      const state = await within(async () => {
        await oso.isAllowed(bob, 'read', expense(1));
        await oso.authorizedActions(bob, expense(1));
        await oso.authorizedFields(bob, 'read', expense(1));
      });
      expect(state.authorized).toBe(false);
    });

    it('skipAuthorization marks the current request skipped, and does nothing outside a request', async () => {
      const state = await within(async () => oso.skipAuthorization('public'));
      expect(state.skipReason).toBe('public');
      expect(() => oso.skipAuthorization()).not.toThrow();
    });
  });

  describe('data filtering', () => {
    it('authorizedResources filters an array to exactly what isAllowed accepts, and counts as authorized', async () => {
      // Data filtering needs the relations the policy follows, and the engine then follows them through the
      // adapter for isAllowed too: here, an in-memory adapter over the organizations.
      const organizations = [...new Set([...EXPENSES.values()].map((e) => e.organization))];
      const typed: OsoModuleOptions = {
        ...options,
        classes: [
          User,
          Organization,
          Membership,
          { class: Expense, fields: { organization: new Relation('one', 'Organization', 'organizationId', 'id') } },
        ],
        dataFiltering: new InMemoryAdapter({ collections: { Organization: organizations } }),
      };
      const service = new OsoService(await createOsoEngine(typed), typed);
      const items = [...EXPENSES.values()];
      for (const user of Object.values(USERS)) {
        const expected = [];
        for (const item of items) if (await service.isAllowed(user, 'read', item)) expected.push(item.id);
        const state = new AuthorizationState();
        const filtered = await runWithAuthorizationState(state, () =>
          service.authorizedResources(user, 'read', Expense, items),
        );
        expect({ user: user.name, ids: filtered.map((e) => e.id) }).toEqual({ user: user.name, ids: expected });
        expect(state.authorized).toBe(true);
      }
    });
  });

  describe('data filtering without an adapter', () => {
    it('fails closed with a 500 and counts nothing', async () => {
      const state = new AuthorizationState();
      const error = await runWithAuthorizationState(state, () => oso.authorizedResources(bob, 'read', 'Expense')).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(InternalServerErrorException);
      expect(state.authorized).toBe(false);
    });
  });

  it('exposes the underlying engine', async () => {
    await expect(oso.engine.isAllowed(bob, 'read', expense(1))).resolves.toBe(true);
  });

  it('replaceEngine puts a new policy in force for the next checks', async () => {
    const service = new OsoService(await createOsoEngine(options), options);
    const engine = await createOsoEngine({ policyDir: policyFixture('routes-only') });
    service.replaceEngine(engine);
    expect(service.engine).toBe(engine);
    // The new policy has no rule about expenses, so what bob could read before is now denied.
    await expect(service.authorize(bob, 'read', expense(1))).rejects.toBeInstanceOf(NotFoundException);
  });
});
