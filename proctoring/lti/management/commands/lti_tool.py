"""``proctoring lti_tool``: LTI proctoring tools. ``add`` registers one (or updates it, by
client id), ``list`` shows them, ``remove`` deletes one, ``link`` makes a dynamic
registration link for a tool to register itself (docs/lti.md)."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse

from proctoring.lti.errors import LtiError
from proctoring.lti.messages import ACS_ACTIONS
from proctoring.lti.models import LtiTool
from proctoring.lti.registration import registration_link_create
from proctoring.lti.tools import ToolSpec, tool_register


class Command(BaseCommand):
    help = "Register, list or remove LTI proctoring tools, or make a dynamic registration link."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="Register a tool (or update it, by client id).")
        add.add_argument("--name", required=True)
        add.add_argument("--client-id", required=True)
        add.add_argument("--deployment-id", required=True)
        add.add_argument("--login-url", required=True)
        add.add_argument("--launch-url", required=True)
        add.add_argument("--redirect-uri", action="append", default=[])
        add.add_argument("--jwks-url", default="")
        add.add_argument("--public-jwk", default="", help="The tool's public key, as JWK JSON.")
        add.add_argument(
            "--actions",
            default=",".join(ACS_ACTIONS),
            help=f"Assessment-control actions it may use (default: {','.join(ACS_ACTIONS)}).",
        )
        sub.add_parser("list", help="The registered tools.")
        remove = sub.add_parser("remove", help="Delete a tool.")
        remove.add_argument("client_id")
        link = sub.add_parser("link", help="A one-time dynamic registration link.")
        link.add_argument("--name", default="")
        link.add_argument("--tool-url", default="", help="The tool's registration page.")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action']}")(options)

    def _add(self, options: dict[str, Any]) -> None:
        try:
            public_jwk = json.loads(options["public_jwk"]) if options["public_jwk"] else None
        except ValueError as exc:
            raise CommandError(f"--public-jwk is not JSON: {exc}") from exc
        spec = ToolSpec(
            name=options["name"],
            client_id=options["client_id"],
            deployment_id=options["deployment_id"],
            login_url=options["login_url"],
            launch_url=options["launch_url"],
            redirect_uris=tuple(options["redirect_uri"]),
            jwks_url=options["jwks_url"],
            public_jwk=public_jwk,
            actions=tuple(a for a in options["actions"].split(",") if a),
        )
        try:
            tool = tool_register(spec)
        except LtiError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Registered {tool.name} ({tool.client_id}).")

    def _list(self, options: dict[str, Any]) -> None:
        for tool in LtiTool.objects.all():
            self.stdout.write(
                f"{tool.client_id}\t{tool.deployment_id}\t{tool.name}\t{','.join(tool.actions)}"
            )

    def _remove(self, options: dict[str, Any]) -> None:
        deleted, _ = LtiTool.objects.filter(client_id=options["client_id"]).delete()
        if not deleted:
            raise CommandError(f"No tool has the client id {options['client_id']!r}.")
        self.stdout.write(f"Removed {options['client_id']}.")

    def _link(self, options: dict[str, Any]) -> None:
        token = registration_link_create(name=options["name"])
        base = str(settings.PROCTORING_PUBLIC_URL or "http://127.0.0.1:8000").rstrip("/")
        config = base + reverse("lti-openid")
        from urllib.parse import urlencode

        query = urlencode({"openid_configuration": config, "registration_token": token})
        tool_url = options["tool_url"]
        if tool_url:
            separator = "&" if "?" in tool_url else "?"
            self.stdout.write(f"{tool_url}{separator}{query}")
        else:
            self.stdout.write(query)
