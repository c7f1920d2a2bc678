"""Archive models."""
