import eventlet

eventlet.monkey_patch()

from disputes_shared.contract.agencies import Agency  # noqa: E402
from disputes_shared.plumbing.runner import entry  # noqa: E402

from .adapters import metadata  # noqa: E402
from .service import AnalyticsService  # noqa: E402

entry(AnalyticsService, Agency.ANALYTICS, metadata)
