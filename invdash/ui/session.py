"""Who acts in this session: the signed-in user (``auth_views.gate``) and what they may do."""

from __future__ import annotations

from invdash import auth
from invdash.ui import auth_views
from invdash.ui.cache import settings

__all__ = ["actor", "user_name", "can"]


def actor() -> auth.User:
    """The session's user; outside a gated session nobody may decide (role ``planner``)."""
    return auth_views.current_user() or auth.User(name=settings().user, role="planner")


def user_name() -> str:
    """The signed-in user's name, recorded with decisions and alert states."""
    return actor().name


def can(action: str) -> bool:
    """Whether the session's user may do ``action`` (``approve_orders``, ``set_service_levels``)."""
    return auth.can(actor(), action)
