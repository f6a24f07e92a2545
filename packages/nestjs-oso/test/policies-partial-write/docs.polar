# Readers may read the doc, unless they are banned. Everything up to the `allow` rule is a valid policy on its own
# in which nobody is banned: a reload that reads the file half-written (up to that line) lets banned readers in.
banned(_user: User) if false;
allow(user: User, "read", "doc") if user.reader and not banned(user);
banned(user: User) if user.banned;
