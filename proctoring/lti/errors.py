"""The LTI endpoints' refusals: each a ProctoringError with its HTTP status and a code the
JSON body carries (the OAuth 2 error names where the endpoint is an OAuth one)."""

from __future__ import annotations

from proctoring.exceptions import ProctoringError


class LtiError(ProctoringError):
    http_status = 400
    code = "invalid_request"
    default_message = "The LTI request is invalid."


class LtiUnauthorized(LtiError):
    http_status = 401
    code = "invalid_token"
    default_message = "A valid service token is required."


class LtiForbidden(LtiError):
    http_status = 403
    code = "insufficient_scope"
    default_message = "The token does not allow this."


class LtiNotFound(LtiError):
    http_status = 404
    code = "not_found"
    default_message = "Not found for this tool."


class LtiInvalidClient(LtiError):
    http_status = 401
    code = "invalid_client"
    default_message = "The client could not be authenticated."


class LtiReplay(LtiError):
    http_status = 400
    code = "replayed"
    default_message = "This one-time value was already used."


class LtiConflict(LtiError):
    http_status = 409
    code = "conflict"
    default_message = "The attempt cannot do this now."
