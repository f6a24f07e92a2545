# Rules that fail at run time, each in its own way; engine-error-logs.e2e-spec.ts checks what their failures log.
allow(_user: User, "read", _doc: Doc);
allow(user: User, "missing-attribute", _doc: Doc) if user.nickname = "x";
allow(user: User, "compare", doc: Doc) if user.email > doc.pages;
allow(user: User, "condition", _doc: Doc) if user.token;
allow(user: User, "not-a-method", doc: Doc) if user.token(doc);
allow(user: User, "application-throws", doc: Doc) if user.mayRead(doc);
allow(user: User, "nested", doc: Doc) if doc.owner.nickname = user;
allow(user: User, "getter-throws", _doc: Doc) if user.profile = "x";
