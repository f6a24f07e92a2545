# Route authorization (flask-oso and django-oso style): policies over the request itself.
allow(_, "GET", _: HttpRequest{path: "/"});
allow(_user: User, "GET", request: HttpRequest) if request.path = "/me";
allow(user: User, "GET", _: HttpRequest{route: "/reports/:year"}) if user.auditor = true;
allow(user: User, "audit", _: HttpRequest) if user.auditor = true;
allow(_: User, "GET", _: HttpRequest{route: "/expenses/:id/wrong-param"});
