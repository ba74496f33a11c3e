"""Typed environment helpers: good values parse, bad values fail loudly."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from proctoring.env import env_bool, env_int, env_json_object, env_list, env_str


def test_env_str_reads_the_variable_then_the_file_then_the_default(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("from-file\n")
    assert env_str("PROCTORING_T_STR", "default") == "default"
    monkeypatch.setenv("PROCTORING_T_STR_FILE", str(secret))
    assert env_str("PROCTORING_T_STR", "default") == "from-file"
    monkeypatch.setenv("PROCTORING_T_STR", "direct")
    assert env_str("PROCTORING_T_STR", "default") == "direct"


def test_env_str_names_an_unreadable_file(monkeypatch, tmp_path):
    monkeypatch.setenv("PROCTORING_T_STR_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="PROCTORING_T_STR_FILE"):
        env_str("PROCTORING_T_STR")


@pytest.mark.parametrize(
    ("raw", "value"), [("1", True), ("TRUE", True), ("off", False), ("", False)]
)
def test_env_bool_parses_the_usual_spellings(monkeypatch, raw, value):
    monkeypatch.setenv("PROCTORING_T_BOOL", raw)
    assert env_bool("PROCTORING_T_BOOL", not value) is value


def test_env_bool_rejects_anything_else(monkeypatch):
    monkeypatch.setenv("PROCTORING_T_BOOL", "maybe")
    with pytest.raises(ImproperlyConfigured, match="PROCTORING_T_BOOL must be a boolean"):
        env_bool("PROCTORING_T_BOOL")


def test_env_int_parses_checks_the_minimum_and_rejects_text(monkeypatch):
    assert env_int("PROCTORING_T_INT", 7) == 7
    monkeypatch.setenv("PROCTORING_T_INT", "25")
    assert env_int("PROCTORING_T_INT", 7, minimum=1) == 25
    monkeypatch.setenv("PROCTORING_T_INT", "0")
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        env_int("PROCTORING_T_INT", 7, minimum=1)
    monkeypatch.setenv("PROCTORING_T_INT", "twenty")
    with pytest.raises(ImproperlyConfigured, match="must be an integer"):
        env_int("PROCTORING_T_INT", 7)


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch):
    assert env_list("PROCTORING_T_LIST", ["a"]) == ["a"]
    monkeypatch.setenv("PROCTORING_T_LIST", " x, y ,,")
    assert env_list("PROCTORING_T_LIST", []) == ["x", "y"]


def test_env_json_object_accepts_objects_only(monkeypatch):
    monkeypatch.setenv("PROCTORING_T_JSON", '{"ALLOW_TIMED_OUT_STATE": true}')
    assert env_json_object("PROCTORING_T_JSON", {}) == {"ALLOW_TIMED_OUT_STATE": True}
    monkeypatch.setenv("PROCTORING_T_JSON", "[1]")
    with pytest.raises(ImproperlyConfigured, match="JSON object, got list"):
        env_json_object("PROCTORING_T_JSON", {})
    monkeypatch.setenv("PROCTORING_T_JSON", "{nope")
    with pytest.raises(ImproperlyConfigured, match="must be a JSON object"):
        env_json_object("PROCTORING_T_JSON", {})
