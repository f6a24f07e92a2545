# Members of an organization read its expenses; admins approve or reject them once; the submitter may edit an
# expense while it still waits for a decision.
resource Expense {
  permissions = ["read", "update", "approve", "reject"];
  relations = { organization: Organization };

  "read" if "member" on "organization";
}

has_relation(org: Organization, "organization", expense: Expense) if
  org = expense.organization;

has_permission(user: User, "read", expense: Expense) if
  expense.submittedById = user.id;

# The rules that depend on the expense's status are decided on the expense as it was loaded. The service writes
# with the same rules as the UPDATE's WHERE (ExpensesService.write), so a request that lost a race changes nothing.
has_permission(user: User, "update", expense: Expense) if
  expense.submittedById = user.id and
  expense.status = "submitted";

has_permission(user: User, "approve", expense: Expense) if
  decidable(user, expense);

has_permission(user: User, "reject", expense: Expense) if
  decidable(user, expense);

decidable(user: User, expense: Expense) if
  expense.status = "submitted" and
  has_role(user, "admin", expense.organization);

# Fields: whoever may read an expense sees these; only admins see what approvers wrote, before and after the decision.
allow_field(user: User, "read", expense: Expense, field) if
  field in ["id", "amount", "description", "status", "organizationId", "submittedById", "createdAt"] and
  has_permission(user, "read", expense);

allow_field(user: User, "read", expense: Expense, "approverNotes") if
  has_role(user, "admin", expense.organization);
