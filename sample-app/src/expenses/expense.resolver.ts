import { Injectable, type ExecutionContext } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { ResourceResolver } from 'nestjs-oso';
import type { Repository } from 'typeorm';
import { parseId } from '../common/parse-id.js';
import { Expense } from './expense.entity.js';

/**
 * Loads the expense of `:id` (with its organization, which the policy follows) for `@Authorize()`: from the route's
 * parameters, or from the `id` of a GraphQL field's arguments or of a WebSocket message.
 */
@Injectable()
export class ExpenseResolver implements ResourceResolver<Expense> {
  constructor(@InjectRepository(Expense) private readonly expenses: Repository<Expense>) {}

  async resolve(input: { params?: { id: string }; id?: unknown } | null, context: ExecutionContext) {
    const id = context.getType() === 'http' ? parseId(input?.params?.id, 'id') : input?.id;
    // A message may carry anything: what is not an integer names no expense (404, as an id that does not exist).
    if (typeof id !== 'number' || !Number.isSafeInteger(id)) return null;
    return this.expenses.findOne({ where: { id }, relations: { organization: true } });
  }
}
