"""Who runs a CLI command: ``$INVDASH_USER`` with the role the users file gives them.

No users file: local single-user mode, as on the dashboard served on localhost, so the user acts
as manager. With a users file, the user must be listed in it and gets their role there (the CLI
asks no password: whoever runs it can already write the database file).
"""

from __future__ import annotations

from invdash import auth
from invdash.config import Settings

__all__ = ["cli_actor"]


def cli_actor(settings: Settings) -> auth.User:
    """The acting user of a CLI command.

    Raises:
        PermissionDeniedError: a users file exists and does not list ``settings.user``.
    """
    users = auth.load_users(settings.users_file)
    if not users:
        return auth.User(name=settings.user, role="manager")
    record = users.get(settings.user)
    if record is None:
        raise auth.PermissionDeniedError(
            f"user {settings.user!r} is not in the users file {settings.users_file}; set "
            "INVDASH_USER to a listed user or add one with `invdash user add NAME --role ROLE`."
        )
    return auth.User(name=record.name, role=record.role)
