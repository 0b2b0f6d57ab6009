"""Strict readers of the service's environment variables, for cogvideo_site/settings.py only.

Every variable of the service is named ``COGVIDEO_*`` and read here, in settings, and nowhere
else: code reads ``django.conf.settings``. The exceptions are the names every platform
already sets for a database and a broker (``DATABASE_URL``, ``REDIS_URL``) and django-q2's
own ``Q_CLUSTER_NAME``. Names of earlier releases (``COGVIDEOX_MODEL`` and friends) are still
read, with a warning, for one release.

A value that cannot be read (``COGVIDEO_WORKERS=two``) stops the start with a message naming
the variable, instead of falling back to a default the operator did not ask for.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable

from django.core.exceptions import ImproperlyConfigured

PREFIX = "COGVIDEO_"

#: Old name -> its name now. Accepted until the next release, with a DeprecatedSettingWarning.
DEPRECATED_NAMES = {
    "COGVIDEOX_MODEL": "COGVIDEO_MODEL",
    "COGVIDEOX_MODEL_REVISION": "COGVIDEO_MODEL_REVISION",
    "COGVIDEOX_PROFILE": "COGVIDEO_PROFILE",
    "DJANGO_SECRET_KEY": "COGVIDEO_SECRET_KEY",
}
_OLD_NAMES = {new: old for old, new in DEPRECATED_NAMES.items()}

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


class DeprecatedSettingWarning(FutureWarning):
    """An environment variable of an earlier release was used (shown by default: it is
    meant for the operator, not only for developers)."""


def raw(name: str) -> str | None:
    """The variable's text, or None when unset or empty; an old name is read if the new one
    is not set."""
    value = os.environ.get(name)
    old = _OLD_NAMES.get(name)
    old_value = os.environ.get(old) if old else None
    if old and old_value:
        if value:
            if old_value != value:
                warnings.warn(f"{old} is ignored: {name} is set too", DeprecatedSettingWarning, stacklevel=2)
        else:
            warnings.warn(
                f"{old} is deprecated and will stop working in the next release: set {name} instead",
                DeprecatedSettingWarning,
                stacklevel=2,
            )
            value = old_value
    return value if value else None


def env_str(name: str, default: str = "") -> str:
    value = raw(name)
    return value.strip() if value is not None else default


def env_bool(name: str, default: bool = False) -> bool:
    value = raw(name)
    if value is None:
        return default
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name}={value!r}: give one of 1/0, true/false, yes/no, on/off")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = raw(name)
    if value is None:
        return default
    try:
        number = int(value.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r}: give a whole number") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number}: give {minimum} or more")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    """Comma-separated; set but empty means an empty list (unlike the other readers)."""
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_choice(name: str, default: str, choices: Iterable[str]) -> str:
    allowed = tuple(choices)
    value = env_str(name, default).lower()
    if value not in allowed:
        quoted = [repr(choice) for choice in allowed]
        listed = ", ".join(quoted[:-1]) + f" or {quoted[-1]}" if len(quoted) > 1 else quoted[0]
        raise ImproperlyConfigured(f"{name} must be {listed}, not {value!r}")
    return value
