# A policy with no application classes: what `OsoModule.forRoot(policyDir)` alone can load.
allow(_, "GET", _: HttpRequest{path: "/"});
allow(actor, "GET", _: HttpRequest{path: "/signed-in"}) if actor != nil;
