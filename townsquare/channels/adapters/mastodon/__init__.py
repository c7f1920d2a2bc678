"""Mastodon: MastodonAdapter (client.py) and MastodonOAuth (oauth.py)."""
