"""Facebook Pages: posts, comments and Messenger over the Graph API."""
