"""`invdash user`: create or update a dashboard login without writing the password anywhere.

    invdash user add NAME --role planner|manager [--password-stdin] [--file PATH]
    invdash user list [--file PATH]

``add`` asks for the password twice at a hidden prompt (``getpass``), or reads one line from stdin
with ``--password-stdin`` (for scripts: ``printf %s "$PW" | invdash user add ann --role manager
--password-stdin``). Only a salted scrypt hash is written, to ``--file`` or ``$INVDASH_USERS_FILE``
(default ``.streamlit/users.toml``). Adding an existing name replaces its role and password.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from invdash import auth
from invdash.config import load_settings
from invdash.schema import InvalidDataError

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``add NAME --role ROLE [--password-stdin]`` and ``list``; both take ``--file``."""
    sub = parser.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    add = sub.add_parser("add", help="create or update a user (password from a hidden prompt)")
    add.add_argument("name", help="user name (letters, digits, . _ @ -)")
    add.add_argument("--role", required=True, choices=auth.ROLES, help="planner or manager")
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin (one line)"
    )
    listing = sub.add_parser("list", help="list users and roles (never hashes)")
    for each in (add, listing):
        each.add_argument(
            "--file", metavar="PATH",
            help="users file (default: $INVDASH_USERS_FILE or .streamlit/users.toml)",
        )  # fmt: skip


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password = getpass.getpass("Password: ")
    if getpass.getpass("Repeat password: ") != password:
        raise InvalidDataError("the two passwords differ; nothing was written.")
    return password


def run(args: argparse.Namespace) -> int:
    """Add (or update) a user, or list the users."""
    path = args.file or load_settings().users_file
    if args.user_command == "list":
        for record in auth.load_users(path).values():
            print(f"{record.name}\t{record.role}")
        return 0
    record = auth.add_user(path, args.name, args.role, _read_password(args.password_stdin))
    print(f"user {record.name} ({record.role}) saved to {path}", file=sys.stderr)
    return 0
