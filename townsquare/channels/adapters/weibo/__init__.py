"""Weibo (Sina Weibo Open Platform API v2)."""
