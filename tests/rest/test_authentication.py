"""The three ways in: platform JWTs (HS256, RS256 by JWKS), API keys, sessions."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from proctoring.accounts.models import ApiKey, PlatformIdentity
from proctoring.accounts.services import api_key_create, api_key_revoke
from proctoring.attempts.services import attempt_create, attempt_update_status
from proctoring.courses.models import CourseRole
from tests.factories import UserFactory
from tests.rest.conftest import COURSE_ID, JWT_SECRET, _free_port, bearer, mint

pytestmark = pytest.mark.django_db
User = get_user_model()
ACTIVE = "/api/v1/attempts/active"


def _get(path, **headers):
    return APIClient().get(path, **headers)


# --- HS256 -------------------------------------------------------------------------------------


def test_a_valid_token_makes_the_user_on_first_sight(db):
    token = mint("lms-42", preferred_username="zoe", email="zoe@example.org", name="Zoe Z")
    response = _get(ACTIVE, **bearer(token))
    assert response.status_code == 200, response.json()
    user = User.objects.get(username="zoe")
    assert (user.email, user.first_name, user.is_staff) == ("zoe@example.org", "Zoe Z", False)
    assert not user.has_usable_password()
    identity = PlatformIdentity.objects.get()
    assert (identity.issuer, identity.subject, identity.user_id) == (
        "https://lms.example.org",
        "lms-42",
        user.pk,
    )
    _get(ACTIVE, **bearer(token))
    assert User.objects.count() == 1


def test_changed_claims_update_the_user(db):
    _get(ACTIVE, **bearer(mint("lms-42", preferred_username="zoe", email="a@example.org")))
    _get(ACTIVE, **bearer(mint("lms-42", preferred_username="zoe", email="b@example.org")))
    assert User.objects.get(username="zoe").email == "b@example.org"


def test_the_username_falls_back_to_sub_and_never_steals_a_taken_one(db):
    UserFactory(username="zoe")
    _get(ACTIVE, **bearer(mint("lms-42", preferred_username="zoe")))
    _get(ACTIVE, **bearer(mint("lms-43")))
    identities = PlatformIdentity.objects.select_related("user").order_by("subject")
    names = [identity.user.username for identity in identities]
    assert names[0].startswith("zoe-") and len(names[0]) == len("zoe-") + 8
    assert names[1] == "lms-43"


def test_the_administrator_claim_makes_global_staff(world):
    token = mint("admin-1", preferred_username="root", administrator=True)
    response = _get(f"/api/v1/courses/{COURSE_ID}/attempts", **bearer(token))
    assert response.status_code == 200
    assert User.objects.get(username="root").is_staff is True
    _get(ACTIVE, **bearer(mint("admin-1", preferred_username="root", administrator=False)))
    assert User.objects.get(username="root").is_staff is False


def test_the_course_roles_claim_grants_and_revokes_roles(world):
    token = mint("t-1", preferred_username="tess", course_roles={COURSE_ID: "staff"})
    response = _get(f"/api/v1/courses/{COURSE_ID}/attempts", **bearer(token))
    assert response.status_code == 200
    assert CourseRole.objects.get(user__username="tess").role == "staff"
    revoke = mint("t-1", preferred_username="tess", course_roles={COURSE_ID: None})
    response = _get(f"/api/v1/courses/{COURSE_ID}/attempts", **bearer(revoke))
    assert response.status_code == 403
    assert not CourseRole.objects.filter(user__username="tess").exists()


@pytest.mark.parametrize(
    "claims",
    [
        {"course_roles": {COURSE_ID: "dean"}},
        {"course_roles": ["staff"]},
        {"administrator": "yes"},
        {"email": 42},
        {"preferred_username": ["x"]},
    ],
)
def test_invalid_claims_are_refused(db, claims):
    response = _get(ACTIVE, **bearer(mint("x-1", **claims)))
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_claims"


def test_an_empty_subject_is_refused(db):
    response = _get(ACTIVE, **bearer(mint("")))
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_claims"


def test_an_expired_token_is_refused_beyond_the_leeway(db):
    now = int(time.time())
    expired = _get(ACTIVE, **bearer(mint("x-1", exp=now - 60)))
    assert expired.status_code == 401
    assert expired.json()["code"] == "token_expired"
    assert _get(ACTIVE, **bearer(mint("x-1", exp=now - 10))).status_code == 200


def test_a_token_not_yet_valid_is_refused_beyond_the_leeway(db):
    now = int(time.time())
    early = _get(ACTIVE, **bearer(mint("x-1", nbf=now + 120)))
    assert early.status_code == 401
    assert early.json()["code"] == "token_not_yet_valid"
    assert _get(ACTIVE, **bearer(mint("x-1", nbf=now + 10))).status_code == 200


@pytest.mark.parametrize(
    "token",
    [
        mint("x-1", iss="https://evil.example.org"),
        mint("x-1", aud="someone-else"),
        mint("x-1", aud=None),
        mint("x-1", iss=None),
        mint("x-1", exp=None),
        mint("x-1", key="another-secret-that-is-32-bytes-long!"),
        "not.a.jwt",
        "garbage",
    ],
)
def test_tokens_with_a_bad_issuer_audience_signature_or_shape_are_refused(db, token):
    response = _get(ACTIVE, **bearer(token))
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


def test_unsigned_and_other_algorithms_are_refused(db):
    unsigned = jwt.encode({"sub": "x", "exp": int(time.time()) + 60}, None, algorithm="none")
    for token in (unsigned, mint("x-1", key=JWT_SECRET * 2, algorithm="HS512")):
        response = _get(ACTIVE, **bearer(token))
        assert response.status_code == 401
        assert response.json()["code"] == "unsupported_algorithm"


def test_without_jwt_settings_bearer_tokens_are_refused(db, settings):
    settings.PROCTORING_JWT_SECRET = ""
    response = _get(ACTIVE, **bearer(mint("x-1")))
    assert response.status_code == 401
    assert response.json()["code"] == "jwt_not_configured"


def test_an_inactive_user_is_refused(db):
    _get(ACTIVE, **bearer(mint("x-1", preferred_username="ina")))
    User.objects.filter(username="ina").update(is_active=False)
    response = _get(ACTIVE, **bearer(mint("x-1", preferred_username="ina", email="new@x.org")))
    assert response.status_code == 401


def test_anonymous_callers_are_asked_for_a_bearer_token(db):
    response = _get(ACTIVE)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json() == {
        "detail": "Authentication credentials were not provided.",
        "code": "not_authenticated",
    }


def test_the_poll_of_a_running_attempt_takes_at_most_3_queries_with_a_jwt(
    world, django_assert_max_num_queries
):
    token = mint("alice-1", preferred_username="alice2")
    _get(ACTIVE, **bearer(token))  # first sight: the user and identity are made
    user = User.objects.get(username="alice2")
    attempt = attempt_create(exam_id=world.exam.pk, user_id=user.pk)
    attempt_update_status(exam_id=world.exam.pk, user_id=user.pk, to_status="started")
    client = APIClient()
    with django_assert_max_num_queries(3):
        response = client.get(f"/api/v1/attempts/{attempt.pk}", **bearer(token))
    assert response.status_code == 200
    assert response.json()["time_remaining_seconds"] is not None


# --- RS256 and JWKS ----------------------------------------------------------------------------


def _rsa_jwks(kid="key-1"):
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    public_jwk.update({"kid": kid, "use": "sig", "alg": "RS256"})
    return private, {"keys": [public_jwk]}


def test_rs256_tokens_are_checked_with_a_jwks_file(db, settings, tmp_path):
    private, jwks = _rsa_jwks()
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(jwks))
    settings.PROCTORING_JWT_JWKS_URL = str(path)
    settings.PROCTORING_JWT_SECRET = ""
    token = mint("rs-1", key=private, algorithm="RS256", headers={"kid": "key-1"})
    assert _get(ACTIVE, **bearer(token)).status_code == 200
    settings.PROCTORING_JWT_JWKS_URL = f"file://{path}"
    assert _get(ACTIVE, **bearer(token)).status_code == 200
    unknown = mint("rs-1", key=private, algorithm="RS256", headers={"kid": "key-9"})
    response = _get(ACTIVE, **bearer(unknown))
    assert response.status_code == 401
    assert response.json()["code"] == "unknown_key"
    other, _ = _rsa_jwks()
    forged = mint("rs-1", key=other, algorithm="RS256", headers={"kid": "key-1"})
    assert _get(ACTIVE, **bearer(forged)).status_code == 401


def test_an_unreadable_jwks_is_a_401_not_a_500(db, settings, tmp_path):
    private, _ = _rsa_jwks()
    settings.PROCTORING_JWT_JWKS_URL = str(tmp_path / "missing.json")
    token = mint("rs-1", key=private, algorithm="RS256", headers={"kid": "key-1"})
    response = _get(ACTIVE, **bearer(token))
    assert response.status_code == 401
    assert response.json()["code"] == "jwks_unavailable"


def test_hs256_is_refused_when_only_a_jwks_is_configured(db, settings, tmp_path):
    _, jwks = _rsa_jwks()
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(jwks))
    settings.PROCTORING_JWT_JWKS_URL = str(path)
    settings.PROCTORING_JWT_SECRET = ""
    response = _get(ACTIVE, **bearer(mint("x-1", key=JWT_SECRET)))
    assert response.status_code == 401
    assert response.json()["code"] == "unsupported_algorithm"


@pytest.fixture
def jwks_server():
    """A JWKS over HTTP on a local port, counting its fetches."""
    state = {"jwks": {"keys": []}, "fetches": 0}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            state["fetches"] += 1
            body = json.dumps(state["jwks"]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", _free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state["url"] = f"http://127.0.0.1:{server.server_port}/.well-known/jwks.json"
    yield state
    server.shutdown()
    server.server_close()


def test_rs256_tokens_are_checked_with_a_jwks_url_and_the_keys_are_cached(
    db, settings, jwks_server
):
    private, jwks = _rsa_jwks()
    jwks_server["jwks"] = jwks
    settings.PROCTORING_JWT_JWKS_URL = jwks_server["url"]
    token = mint("rs-1", key=private, algorithm="RS256", headers={"kid": "key-1"})
    for _ in range(3):
        assert _get(ACTIVE, **bearer(token)).status_code == 200
    assert jwks_server["fetches"] == 1


# --- API keys ----------------------------------------------------------------------------------


def test_an_api_key_authenticates_its_service_account(world):
    for header in (f"Api-Key {world.service_key}", f"Bearer {world.service_key}"):
        response = APIClient().get(
            f"/api/v1/courses/{COURSE_ID}/attempts", HTTP_AUTHORIZATION=header
        )
        assert response.status_code == 200, header


def test_keys_are_stored_hashed_and_a_revoked_key_is_refused(world):
    api_key = ApiKey.objects.get()
    assert world.service_key not in {api_key.key_hash, api_key.prefix}
    assert api_key.user.username == "svc-lms"
    assert not api_key.user.has_usable_password()
    assert api_key_revoke(prefix=api_key.prefix) is True
    response = APIClient().get(ACTIVE, HTTP_AUTHORIZATION=f"Api-Key {world.service_key}")
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_api_key"


@pytest.mark.parametrize("key", ["prk_0123456789ab_" + "x" * 43, "nonsense", "prk_"])
def test_a_wrong_key_is_refused(world, key):
    response = APIClient().get(ACTIVE, HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert response.status_code == 401


def test_a_key_with_a_right_prefix_and_wrong_secret_is_refused(world):
    forged = (
        world.service_key[:17]
        + ("A" if world.service_key[17] != "A" else "B")
        + (world.service_key[18:])
    )
    response = APIClient().get(ACTIVE, HTTP_AUTHORIZATION=f"Api-Key {forged}")
    assert response.status_code == 401


def test_the_cli_creates_lists_and_revokes_keys(db, capsys):
    call_command("api_key", "create", "moodle")
    raw_key = capsys.readouterr().out.strip()
    assert raw_key.startswith("prk_")
    response = APIClient().get(ACTIVE, HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    assert response.status_code == 403  # authenticated; a service account takes no exam
    prefix = ApiKey.objects.get().prefix
    call_command("api_key", "list")
    listed = capsys.readouterr().out
    assert prefix in listed and "active" in listed and raw_key not in listed
    call_command("api_key", "revoke", prefix)
    assert ApiKey.objects.get().revoked_at is not None
    with pytest.raises(CommandError):
        call_command("api_key", "revoke", prefix)
    with pytest.raises(CommandError):
        call_command("api_key", "create", " ")


def test_the_admin_creates_a_key_shows_it_once_and_revokes(admin_client):
    response = admin_client.post("/admin/accounts/apikey/add/", {"name": "canvas"}, follow=True)
    assert response.status_code == 200
    api_key = ApiKey.objects.get()
    shown = [str(m) for m in response.context["messages"] if "once" in str(m)]
    assert len(shown) == 1
    raw_key = shown[0].rsplit(" ", 1)[1]
    assert raw_key.startswith(f"prk_{api_key.prefix}_")
    assert APIClient().get(ACTIVE, HTTP_AUTHORIZATION=f"Api-Key {raw_key}").status_code == 403
    listing = admin_client.get("/admin/accounts/apikey/")
    assert raw_key not in listing.content.decode()
    admin_client.post(
        "/admin/accounts/apikey/",
        {"action": "revoke", "_selected_action": [api_key.pk]},
    )
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    second, _ = api_key_create(name="canvas")
    assert second.user_id == api_key.user_id


# --- Sessions ----------------------------------------------------------------------------------


def test_a_session_authenticates_and_csrf_is_enforced(world):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.learner)
    assert client.get(f"/api/v1/attempts/{world.attempt.pk}").status_code == 200
    response = client.post(f"/api/v1/attempts/{world.attempt.pk}/start")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_the_browsable_api_renders_for_a_session(world):
    client = APIClient()
    client.force_login(world.learner)
    response = client.get(f"/api/v1/attempts/{world.attempt.pk}", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert b"Attempt Detail" in response.content


def test_the_browsable_api_has_a_login_page(db):
    assert APIClient().get("/api/auth/login/").status_code == 200


def test_a_valid_hs256_token_is_read_once(db, monkeypatch):
    """A valid HS256 token goes to PyJWT's decoder at once: its header is not read by a
    pass of its own (``jwt.get_unverified_header``), which only refused tokens take."""
    import proctoring.rest.authentication as authentication

    def refused(token):
        raise AssertionError("a valid HS256 token's header was read apart")

    monkeypatch.setattr(authentication.jwt, "get_unverified_header", refused)
    assert _get(ACTIVE, **bearer(mint("x-1", preferred_username="once"))).status_code == 200


@pytest.mark.parametrize(
    ("token", "code", "detail"),
    [
        ("garbage", "invalid_token", "The token is not a JWT: "),
        (mint("x-1").split(".")[0] + ".!!!!.abc", "invalid_token", "The token is not a JWT: "),
        (mint("x-1", exp=int(time.time()) - 600), "token_expired", "The token has expired."),
        (
            mint("x-1", key="another-secret-that-is-32-bytes-long!"),
            "invalid_token",
            "The token is not valid: ",
        ),
        (mint("x-1", aud="someone-else"), "invalid_token", "The token is not valid: "),
        (
            mint("x-1", key=JWT_SECRET * 2, algorithm="HS512"),
            "unsupported_algorithm",
            "Tokens signed with 'HS512'",
        ),
    ],
)
def test_a_refused_token_says_why_after_the_one_pass_try(db, token, code, detail):
    response = _get(ACTIVE, **bearer(token))
    assert response.status_code == 401
    assert response.json()["code"] == code
    assert response.json()["detail"].startswith(detail), response.json()
