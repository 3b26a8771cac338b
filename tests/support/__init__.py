"""What the test tiers share: example documents and envelopes, the broker and waiting helpers,
the migration checks, the dashboards' queries, the command line as a user runs it. Test modules
import helpers from here, never from one another or from a ``conftest``."""
