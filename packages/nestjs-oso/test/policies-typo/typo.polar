# A rule on a class the app does not have (a typo for User): oso only warns, the check fails.
allow(user: Usr, "read", _) if user.active = true;
