"""The ``disputes`` command: run the platform locally, drive a demo, read trails and handoffs."""
