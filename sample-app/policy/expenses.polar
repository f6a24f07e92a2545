# Members of an organization read its expenses; admins approve or reject them; the submitter may edit an
# expense while it still waits for a decision.
resource Expense {
  permissions = ["read", "update", "approve", "reject"];
  relations = { organization: Organization };

  "read" if "member" on "organization";
  "approve" if "admin" on "organization";
  "reject" if "admin" on "organization";
}

has_relation(org: Organization, "organization", expense: Expense) if
  org = expense.organization;

has_permission(user: User, "read", expense: Expense) if
  expense.submittedById = user.id;

has_permission(user: User, "update", expense: Expense) if
  expense.submittedById = user.id and
  expense.status = "submitted";

# Fields: whoever may read an expense sees these; only approvers see what approvers wrote.
allow_field(user: User, "read", expense: Expense, field) if
  field in ["id", "amount", "description", "status", "organizationId", "submittedById", "createdAt"] and
  has_permission(user, "read", expense);

allow_field(user: User, "read", expense: Expense, "approverNotes") if
  has_permission(user, "approve", expense);
