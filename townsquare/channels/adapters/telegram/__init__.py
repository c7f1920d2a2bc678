"""Telegram: a bot publishing to the agency's channel and answering people who write to it."""
