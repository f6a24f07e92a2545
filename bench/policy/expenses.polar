# The benchmark's domain: the RBAC policy of the expenses app (organizations, roles, expenses).
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

has_relation(org: Organization, "organization", expense: Expense) if expense.organization = org;

allow(actor, action, resource) if has_permission(actor, action, resource);

allow(_: User, "GET", _: HttpRequest{route: "/oso/route"});
