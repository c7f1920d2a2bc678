"""All writes of the channels module, split by concern:

- accounts: the registry (create, update, retire, ownership review)
- credentials: encrypted tokens, refresh with rotation, access problems
- inbound: webhooks and polling into exactly-once inbound items
- keys: connecting with keys pasted in, checked with the network before they are stored
- oauth: connecting an account through the network's consent screen
"""
