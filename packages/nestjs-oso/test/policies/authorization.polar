# The expenses domain of the e2e apps: organizations with roles, expenses that belong to one.
actor User {}

resource Organization {
  roles = ["member", "admin"];
  permissions = ["read"];

  "read" if "member";
  "member" if "admin";
}

resource Expense {
  permissions = ["read", "approve"];
  relations = { organization: Organization };

  "read" if "member" on "organization";
  "approve" if "admin" on "organization";
}

has_role(user: User, role: String, org: Organization) if
  membership in user.memberships and
  membership.orgId = org.id and
  membership.role = role;

has_relation(org: Organization, "organization", expense: Expense) if
  expense.organization = org;

allow(actor, action, resource) if has_permission(actor, action, resource);

# The submitter may read and edit their own expense; PUT is the action @Authorize() defaults to for an update.
allow(user: User, "read", expense: Expense) if expense.submitterId = user.id;
allow(user: User, "PUT", expense: Expense) if expense.submitterId = user.id;

# Fields: everybody who may read sees amount and description; only approvers see approverNotes.
allow_field(user: User, "read", expense: Expense, field) if
  field in ["id", "amount", "description"] and
  allow(user, "read", expense);
allow_field(user: User, "read", expense: Expense, "approverNotes") if
  allow(user, "approve", expense);

# A rule that fails inside the engine on expense 3 (the attribute does not exist): engine errors fail closed.
allow(_: User, "explode", expense: Expense) if
  expense.id = 3 and
  expense.noSuchAttribute = "secret policy text";
