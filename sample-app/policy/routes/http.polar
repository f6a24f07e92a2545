# Route authorization: the welcome page is open to everyone, signed in or not.
allow(_actor, "GET", _request: HttpRequest{path: "/"});
