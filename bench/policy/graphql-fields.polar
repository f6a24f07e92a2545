# Field-level rules of the GraphQL benchmark: a member of an expense's organization reads its amount.
allow_field(user: User, "read", expense: Expense, "amount") if has_permission(user, "read", expense);
