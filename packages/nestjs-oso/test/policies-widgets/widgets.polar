# Class registration tests: each app brings its own class under the Polar name Widget.
# The resource block makes a Widget nobody registered a load error.
actor Member {}

resource Widget {
  permissions = ["read"];
  roles = ["viewer"];
  "read" if "viewer";
}

has_role(_: Member, "viewer", widget: Widget) if widget.visible = true;

allow(actor, action, resource) if has_permission(actor, action, resource);
