/**
 * The CASL app of the HTTP benchmark (see http-server.ts): the route of `@Authorize('read', { resource })` in
 * oso-apps.ts, authorized by the NestJS docs' CASL recipe (casl-ability.ts) instead, in a process that never loads oso.
 */
import { Controller, Get, Module, UseGuards, type Type } from '@nestjs/common';
import {
  CaslAbilityFactory,
  CheckPolicies,
  LoadedResource,
  PoliciesGuard,
  PolicyResource,
  type AppAbility,
} from './casl-ability.js';
import { body, findExpense, type Expense } from './domain.js';

@Controller('casl')
class CaslController {
  @Get('decorator/:id')
  @UseGuards(PoliciesGuard)
  @PolicyResource((request) => findExpense(request.params.id!))
  @CheckPolicies((ability: AppAbility, expense) => ability.can('read', expense as Expense))
  decorator(@LoadedResource() expense: Expense) {
    return body(expense);
  }
}

@Module({ controllers: [CaslController], providers: [CaslAbilityFactory, PoliciesGuard] })
class CaslAppModule {}

export const CASL_APPS: Record<string, Type> = { casl: CaslAppModule };
