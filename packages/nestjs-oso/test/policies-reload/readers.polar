allow(actor: String, "read", "doc") if actor = "alice";
