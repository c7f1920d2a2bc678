"""All writes of the engagement app: the survey builder, responses and polls."""
