"""Reads of users, as the API names them (by username)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser

from proctoring.exceptions import UserNotFoundException


def user_get_by_username(*, username: str) -> AbstractBaseUser:
    """The user with this username, or ``UserNotFoundException``."""
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise UserNotFoundException(f"There is no user {username!r}.")
    return user
