"""WhatsApp Business Cloud API: customer messages in, replies out (no public posts)."""
