# Rules over in-memory items (issue 15): the list endpoints must answer exactly as isAllowed, errors included.
allow(_, "live", item: Item) if item.deletedAt = nil;
allow(_, "low", item: Item) if item.level < 3;
allow(user: User, "mine", item: Item) if item.ownerId = user.id or item.isPublic = true;
allow(_, "typo", item: Item) if item.colour = "red";
