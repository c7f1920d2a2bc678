"""All writes of the listening module (queries, matching, alerts)."""
