/**
 * The CASL recipe of the NestJS docs (docs.nestjs.com/security/authorization#integrating-casl), the peer of
 * `@Authorize('read', { resource })` in the HTTP benchmark: a `CaslAbilityFactory` that builds an ability per request
 * with `AbilityBuilder(createMongoAbility)`, and a `PoliciesGuard` that runs the route's `@CheckPolicies(...)`
 * handlers against it. The recipe's handlers see only the ability; to check an instance, as nestjs-oso does, the
 * guard here also loads the route's resource (`@PolicyResource(load)`), passes it to the handlers and leaves it on the
 * request for `@LoadedResource()`, as `@AuthorizedResource()` does.
 */
import {
  AbilityBuilder,
  createMongoAbility,
  type ExtractSubjectType,
  type InferSubjects,
  type MongoAbility,
  type MongoQuery,
} from '@casl/ability';
import {
  createParamDecorator,
  Injectable,
  NotFoundException,
  SetMetadata,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Expense, MEMBER, Organization, User } from './domain.js';

type Subjects = InferSubjects<typeof Expense | typeof Organization> | 'all';
export type AppAbility = MongoAbility<['read' | 'approve', Subjects]>;

/** The rules of bench/policy/expenses.polar: members of an expense's organization read it, its admins approve it. */
@Injectable()
export class CaslAbilityFactory {
  createForUser(user: User): AppAbility {
    const { can, build } = new AbilityBuilder<AppAbility>(createMongoAbility);
    const memberOf = user.memberships.map((membership) => membership.orgId);
    const adminOf = user.memberships.filter((m) => m.role === 'admin').map((m) => m.orgId);
    can('read', Organization, { id: { $in: memberOf } });
    // Dot notation reaches into the expense's organization; CASL's types do not list such paths.
    can('read', Expense, { 'organization.id': { $in: memberOf } } as MongoQuery<Expense>);
    can('approve', Expense, { 'organization.id': { $in: adminOf } } as MongoQuery<Expense>);
    return build({ detectSubjectType: (item) => item.constructor as ExtractSubjectType<Subjects> });
  }
}

interface IPolicyHandler {
  handle(ability: AppAbility, resource: unknown): boolean;
}
type PolicyHandlerCallback = (ability: AppAbility, resource: unknown) => boolean;
export type PolicyHandler = IPolicyHandler | PolicyHandlerCallback;

const CHECK_POLICIES_KEY = 'check_policy';
const POLICY_RESOURCE_KEY = 'policy_resource';
const LOADED = Symbol('loaded resource');

type Load = (request: { params: Record<string, string> }) => Promise<unknown>;

/** The policies a route's guard checks. */
export const CheckPolicies = (...handlers: PolicyHandler[]) => SetMetadata(CHECK_POLICIES_KEY, handlers);
/** How the guard loads the route's resource before the policies see it (a 404 when it is not found). */
export const PolicyResource = (load: Load) => SetMetadata(POLICY_RESOURCE_KEY, load);
/** The resource the guard loaded, for the handler. */
export const LoadedResource = createParamDecorator(
  (_data: unknown, context: ExecutionContext) => context.switchToHttp().getRequest()[LOADED],
);

@Injectable()
export class PoliciesGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly caslAbilityFactory: CaslAbilityFactory,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const policyHandlers = this.reflector.get<PolicyHandler[]>(CHECK_POLICIES_KEY, context.getHandler()) ?? [];
    const load = this.reflector.get<Load | undefined>(POLICY_RESOURCE_KEY, context.getHandler());
    const request = context.switchToHttp().getRequest();
    let resource: unknown;
    if (load) {
      resource = await load(request);
      if (resource === undefined) throw new NotFoundException();
      request[LOADED] = resource;
    }
    // The recipe reads `request.user`; the benchmark's actor, as nestjs-oso's `getActor` returns it.
    const ability = this.caslAbilityFactory.createForUser(MEMBER);
    return policyHandlers.every((handler) => this.execPolicyHandler(handler, ability, resource));
  }

  private execPolicyHandler(handler: PolicyHandler, ability: AppAbility, resource: unknown) {
    if (typeof handler === 'function') return handler(ability, resource);
    return handler.handle(ability, resource);
  }
}
