# The expenses app's policy. Every decision starts here: an actor may do what a resource block grants.
allow(actor, action, resource) if has_permission(actor, action, resource);
