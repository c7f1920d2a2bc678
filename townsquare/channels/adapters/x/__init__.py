"""X (Twitter) adapter, built on tweepy's API v2 client."""
