import { Field, Int, ObjectType } from '@nestjs/graphql';
import { authorizeField } from 'nestjs-oso';

/**
 * The GraphQL view of an expense. Resolvers return the `Expense` entities themselves (with their organization), so
 * the policy's `allow_field` rules see an `Expense`: `approverNotes` is read through `authorizeField()`, null for
 * whoever may not read it.
 */
@ObjectType('Expense')
export class ExpenseModel {
  @Field(() => Int)
  id!: number;

  /** In cents. */
  @Field(() => Int)
  amount!: number;

  @Field()
  description!: string;

  @Field()
  status!: string;

  @Field(() => Int)
  organizationId!: number;

  @Field(() => Int)
  submittedById!: number;

  /** Only admins of the expense's organization may read it (an `allow_field` rule); null for anyone else. */
  @Field(() => String, { nullable: true, middleware: [authorizeField()] })
  approverNotes!: string | null;

  /** What the actor may do with the expense, as a UI would show buttons. */
  @Field(() => [String])
  actions!: string[];
}
