import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { authorizationStateOf } from '../authorization/authorization-state.js';
import { OsoConfigurationError } from '../errors/oso-configuration.error.js';

/**
 * Injects the resource that `@Authorize(action, { resource })` loaded and authorized, so the handler does not
 * load it twice.
 *
 * @example
 * @Patch(':id')
 * @Authorize('update', { resource: ExpenseResolver })
 * update(@AuthorizedResource() expense: Expense, @Body() body: UpdateExpenseDto) { ... }
 * @throws {OsoConfigurationError} (answered 500) on a handler whose `@Authorize()` loads no resource.
 * @publicApi
 */
export const AuthorizedResource = createParamDecorator((_data: unknown, context: ExecutionContext) => {
  const state = authorizationStateOf(context.switchToHttp().getRequest());
  if (!state.hasResource) {
    throw new OsoConfigurationError(
      `@AuthorizedResource() on ${context.getClass().name}.${context.getHandler().name}, ` +
        'but its @Authorize() has no resource option',
    );
  }
  return state.resource;
});
