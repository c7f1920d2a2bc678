"""Bluesky (AT Protocol) adapter, built on the ``atproto`` client library."""
