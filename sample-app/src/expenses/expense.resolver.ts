import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { ResourceResolver } from 'nestjs-oso';
import type { Repository } from 'typeorm';
import { parseId } from '../common/parse-id.js';
import { Expense } from './expense.entity.js';

/** Loads the expense of `:id` (with its organization, which the policy follows) for `@Authorize()`. */
@Injectable()
export class ExpenseResolver implements ResourceResolver<Expense> {
  constructor(@InjectRepository(Expense) private readonly expenses: Repository<Expense>) {}

  async resolve(request: { params: { id: string } }): Promise<Expense | null> {
    const id = parseId(request.params.id, 'id');
    return this.expenses.findOne({ where: { id }, relations: { organization: true } });
  }
}
