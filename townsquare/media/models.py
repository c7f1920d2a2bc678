"""Media models."""
