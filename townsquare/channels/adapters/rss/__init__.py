"""RSS and Atom: reading feeds (RssAdapter) and rendering the agency's own (feed_writer)."""
