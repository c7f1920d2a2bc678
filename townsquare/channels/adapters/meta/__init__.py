"""Code shared by the Meta networks (Facebook Pages, Instagram, WhatsApp Business Cloud).

All three speak the Graph API: the same error envelope, the same webhook signature
(X-Hub-Signature-256) and the same webhook envelope (object / entry[]).
"""
