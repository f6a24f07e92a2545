actor User {}

# Roles nest: an owner is an admin, an admin is a member.
resource Organization {
  roles = ["member", "admin", "owner"];
  permissions = ["read", "create_expense"];

  "read" if "member";
  "create_expense" if "member";

  "member" if "admin";
  "admin" if "owner";
}

has_role(user: User, name: String, org: Organization) if
  membership in user.memberships and
  membership.organizationId = org.id and
  membership.role = name;
