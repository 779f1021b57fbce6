"""View builders: pure functions from contract messages to Nova's and Glance's JSON.

Each function takes messages, a `Links` and, where Nova's answer depends on it, the
request's `Microversion`, and returns plain dicts, so the JSON a client sees can be checked
without a server. Key names, nulls and formats follow Nova's Compute API (and Glance v2 for
`/v2/images`) at each microversion. One module per resource; this package re-exports them.
"""

from services.api.rest.views.common import *  # noqa: F403
from services.api.rest.views.flavors import *  # noqa: F403
from services.api.rest.views.groups import *  # noqa: F403
from services.api.rest.views.hosts import *  # noqa: F403
from services.api.rest.views.images import *  # noqa: F403
from services.api.rest.views.quotas import *  # noqa: F403
from services.api.rest.views.scheduler import *  # noqa: F403
from services.api.rest.views.servers import *  # noqa: F403
