"""The sandbox: a built-in, local social network that speaks the Mastodon client API."""
