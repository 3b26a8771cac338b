"""The client kit for agency systems written in Python: the contract, and the broker with kombu.

Installs without the platform's services (``pip install disputes-shared``; the services add
``disputes-shared[service]``). An outside agency system publishes with ``EventPublisher``
(validated envelope, contract routing, persistent, mandatory, publisher confirms), consumes with
``EventSubscriber`` (validation, deduplication by event id, bad messages parked with the
reason), and takes part in handoffs with ``HandoffClient``.
"""

from .consumer import EventSubscriber, MemorySeenEvents, SeenEvents, SqliteSeenEvents
from .handoffs import HandoffClient
from .publisher import EventPublisher

__all__ = ["EventPublisher", "EventSubscriber", "HandoffClient", "MemorySeenEvents",
           "SeenEvents", "SqliteSeenEvents"]
