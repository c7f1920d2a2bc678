"""WeChat Official Account (公众号)."""
