"""The labor-dispute platform's shared package.

``contract`` is what every agency system (ours or an outside one) agrees on: the event envelope,
the event schemas, case states and their legal transitions, handoffs; ``contract.spec`` publishes
it as AsyncAPI and JSON Schema. ``kit`` is the broker side any Python agency system needs
(publisher, consumer, handoffs, conformance check), with kombu alone. ``plumbing`` is what every
one of our services needs around that contract: configuration, persistence helpers, the outbox
relay, the nameko event consumer with dead-lettering, metrics (the ``[service]`` extra).
"""
