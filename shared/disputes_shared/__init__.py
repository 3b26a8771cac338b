"""The labor-dispute platform's shared package.

``contract`` is what every agency system (ours or an outside one) agrees on: the event envelope,
the event schemas, case states and their legal transitions, handoffs. ``plumbing`` is what every
one of our services needs around that contract: configuration, persistence helpers, the outbox
relay, the event consumer with dead-lettering, metrics.
"""
