"""Publishing models."""
