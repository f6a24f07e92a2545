allow("dave", "read", "doc");
