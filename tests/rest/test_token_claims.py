"""Claims of a correctly signed token that the service cannot store are refused with a 401.

NUL cannot be stored in a PostgreSQL text column (it was a 500 there); other control
characters, lone surrogates and values longer than their column are refused the same way, in
the error shape, before anything is written.
"""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from proctoring.accounts.models import PlatformIdentity
from proctoring.courses.models import Course, CourseRole
from tests.rest.conftest import COURSE_ID, bearer, mint

pytestmark = pytest.mark.django_db
ACTIVE = "/api/v1/attempts/active"
BAD_CHARACTERS = ["\x00", "\x01", "\n", "\t", "\x7f", "\x85", "\ud800"]


def _answer(sub="lms-1", **claims):
    return APIClient().get(ACTIVE, **bearer(mint(sub, **claims)))


def _assert_refused(response):
    assert response.status_code == 401, response.content
    body = response.json()
    assert body["code"] == "invalid_claims"
    assert set(body) == {"detail", "code"}
    assert not get_user_model().objects.exists()
    assert not PlatformIdentity.objects.exists()
    assert not Course.objects.exists()
    assert not CourseRole.objects.exists()


@pytest.mark.parametrize("bad", BAD_CHARACTERS)
@pytest.mark.parametrize("claim", ["preferred_username", "email", "name"])
def test_a_control_character_in_a_text_claim_is_a_401(claim, bad):
    _assert_refused(_answer(**{claim: f"ze{bad}ro"}))


@pytest.mark.parametrize("bad", BAD_CHARACTERS)
def test_a_control_character_in_the_subject_is_a_401(bad):
    _assert_refused(_answer(sub=f"lms{bad}1"))


@pytest.mark.parametrize("bad", BAD_CHARACTERS)
def test_a_control_character_in_a_course_roles_key_is_a_401(bad):
    _assert_refused(_answer(course_roles={f"course-v1:X{bad}+Y": "learner"}))


@pytest.mark.parametrize(
    ("claim", "limit"),
    [("preferred_username", 150), ("email", 254), ("name", 150)],
)
def test_a_text_claim_longer_than_its_column_is_a_401_and_one_that_fits_is_stored(claim, limit):
    _assert_refused(_answer(**{claim: "x" * (limit + 1)}))
    assert _answer(**{claim: "x" * limit}).status_code == 200
    user = get_user_model().objects.get()
    stored = {"preferred_username": user.username, "email": user.email, "name": user.first_name}
    assert stored[claim] == "x" * limit


def test_a_subject_or_course_id_longer_than_its_column_is_a_401():
    _assert_refused(_answer(sub="s" * 256))
    _assert_refused(_answer(course_roles={"c" * 256: "learner"}))


@pytest.mark.parametrize("role", [["staff"], {"role": "staff"}, 1, True, "", "\x00"])
def test_a_course_role_that_is_not_a_role_name_is_a_401(role):
    _assert_refused(_answer(course_roles={COURSE_ID: role}))


def test_an_empty_course_roles_key_is_a_401():
    _assert_refused(_answer(course_roles={"": "learner"}))


def test_printable_unicode_claims_are_kept_as_they_are():
    response = _answer(
        sub="lms-ü", preferred_username="zoë", name="Zoë Ünal 山田", email="zoë@例え.jp"
    )
    assert response.status_code == 200
    user = get_user_model().objects.get()
    assert (user.username, user.first_name, user.email) == ("zoë", "Zoë Ünal 山田", "zoë@例え.jp")


def test_the_refused_characters_are_exactly_the_control_and_surrogate_categories():
    """``has_control_characters`` searches a regex of code point ranges: it holds exactly the
    characters whose Unicode category is refused, as ``unicodedata`` says."""
    import unicodedata

    from proctoring.accounts.claims import _REFUSED_CATEGORIES, has_control_characters

    for point in range(0x110000):
        char = chr(point)
        refused = unicodedata.category(char) in _REFUSED_CATEGORIES
        assert has_control_characters(char) is refused, hex(point)
        assert has_control_characters(f"ab{char}cd") is refused, hex(point)
    assert not has_control_characters("")
    assert not has_control_characters("Zoë Ünicode 名前 \u2028")
