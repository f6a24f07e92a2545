# Live reload tests: the files below change while requests run.
allow(_: String, "read", "public");
