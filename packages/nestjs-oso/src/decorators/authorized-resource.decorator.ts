import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { authorizationStateOf, callStateOf, currentAuthorizationState } from '../authorization/authorization-state.js';
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
  // On WebSockets, Nest hands parameter decorators a copy of the call's arguments: the state comes through the async
  // context that OsoModule's interceptor opens around the handler.
  const state =
    context.getType() === 'http'
      ? authorizationStateOf(context.getArgByIndex(0))
      : (currentAuthorizationState() ?? callStateOf(context));
  if (!state.hasResource) {
    throw new OsoConfigurationError(
      `@AuthorizedResource() on ${context.getClass().name}.${context.getHandler().name}, ` +
        'but its @Authorize() has no resource option' +
        (context.getType() === 'http'
          ? ''
          : " (or OsoModule's global interceptor does not reach it: see the docs of its transport)"),
    );
  }
  return state.resource;
});
