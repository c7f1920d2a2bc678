"""All writes of the inbox, split by concern:

- conversations: contacts, conversations and their creation (shared by every way in)
- ingest: channels' inbound items → messages, exactly once, threaded
- work: assign, status, transfer, notes, identity links
- replies: answers sent back through the channel's adapter
- settings: routing rules and canned replies
"""
