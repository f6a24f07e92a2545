# Route authorization (flask-oso and django-oso style): policies over the request itself.
allow(_, "GET", _: HttpRequest{path: "/"});
allow(_user: User, "GET", request: HttpRequest) if request.path = "/me";
allow(user: User, "GET", _: HttpRequest{route: "/reports/:year"}) if user.auditor = true;
allow(user: User, "audit", _: HttpRequest) if user.auditor = true;
allow(_: User, "GET", _: HttpRequest{route: "/expenses/:id/wrong-param"});
# The echo routes of the HttpRequest test: matched on pattern, parameters and query.
allow(_: User, "GET", req: HttpRequest) if
  req.route = "/echo/:name" and req.params.name = "ada" and req.query.flag = "1";
allow(_: User, "POST", req: HttpRequest{route: "/echo/:name/items/:item"}) if req.params.item = "7";
