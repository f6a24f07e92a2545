allow(actor, "read", resource) if
  actor.name = "x" and
  resource.id = ;
