"""The HTTP edge (nameko service ``gateway``): the only door into the suite.

Stateless: identity, audit and registries live in the platform service; sector data in the
sector services. Each route module contributes its routes; ``Services`` reaches the services
over RPC with a deadline.
"""

from __future__ import annotations

from gateway.auth import Authenticator
from gateway.cache import GatewayCache
from gateway.ratelimit import RateLimiter
from gateway.routes.community import CommunityRoutes
from gateway.routes.credit import CreditRoutes
from gateway.routes.education import EducationRoutes
from gateway.routes.events import EventRoutes
from gateway.routes.health import HealthRoutes
from gateway.routes.identity import IdentityRoutes
from gateway.routes.leaders import LeadersRoutes
from gateway.routes.opendata import OpenDataRoutes
from gateway.routes.ops import OpsRoutes
from gateway.routes.portals import PortalRoutes
from gateway.routes.registry import RegistryRoutes
from gateway.routes.tourism import TourismRoutes
from gateway.routes.traffic import TrafficRoutes
from gateway.routes.webhooks import SubscriptionRoutes, WebhookRoutes
from gateway.rpc import Services
from shared.observability import Observed


class GatewayService(
    OpsRoutes,
    IdentityRoutes,
    RegistryRoutes,
    CreditRoutes,
    TrafficRoutes,
    TourismRoutes,
    WebhookRoutes,
    EducationRoutes,
    HealthRoutes,
    CommunityRoutes,
    SubscriptionRoutes,
    EventRoutes,
    OpenDataRoutes,
    LeadersRoutes,
    PortalRoutes,
):
    name = "gateway"

    observed = Observed()
    services = Services()
    authenticator = Authenticator()
    rate_limiter = RateLimiter()
    response_cache = GatewayCache()
