"""Where a client's settings come from, and the checks they must pass.

Precedence for each setting: the explicit argument, then the environment variable
(``LIGDICASH_API_KEY``, ``LIGDICASH_AUTH_TOKEN``, ``LIGDICASH_PLATFORM``,
``LIGDICASH_BASE_URL``), then the default.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional, Union
from urllib.parse import urlsplit

from ._exceptions import ConfigurationError

if TYPE_CHECKING:
    import httpx

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_READ_TIMEOUT",
    "PLATFORM_URLS",
    "Settings",
    "TimeoutTypes",
    "resolve_settings",
]

PLATFORM_URLS = {
    "live": "https://app.ligdicash.com/pay/v01/",
    "test": "https://test.ligdicash.com/pay/v01/",
}

#: 30 s to read an answer (a direct payin waits on the operator), 5 s to connect.
DEFAULT_READ_TIMEOUT = 30.0
DEFAULT_CONNECT_TIMEOUT = 5.0
#: Status checks are retried twice on network errors, 429 and 5xx; creations never after send.
DEFAULT_MAX_RETRIES = 2

TimeoutTypes = Union[float, int, "httpx.Timeout", None]


@dataclass(frozen=True)
class Settings:
    """The resolved settings of one client. Secrets are kept out of ``repr``."""

    api_key: str = field(repr=False)
    auth_token: str = field(repr=False)
    platform: str
    base_url: str
    base_url_overridden: bool
    timeout: httpx.Timeout
    max_retries: int

    @property
    def is_provider_test_host(self) -> bool:
        """True when requests go to LigdiCash's own test platform (not an override)."""
        return self.platform == "test" and not self.base_url_overridden


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_base_url(url: str) -> str:
    """Return the API root with a trailing slash; refuse plain http off loopback."""
    try:
        parsed = urlsplit(url)
        host = parsed.hostname or ""
    except ValueError as exc:
        raise ConfigurationError(f"base_url is not a valid URL: {exc}") from None
    if parsed.scheme not in ("http", "https") or not host:
        raise ConfigurationError("base_url must be an absolute http(s) URL")
    if parsed.scheme == "http" and not _is_loopback(host):
        raise ConfigurationError(
            "base_url must use https; plain http is accepted only for loopback hosts "
            "(127.0.0.1, ::1, localhost), such as a local sandbox"
        )
    return url if url.endswith("/") else url + "/"


def check_timeout(timeout: TimeoutTypes) -> httpx.Timeout:
    """Turn a number of seconds (or an ``httpx.Timeout``) into an ``httpx.Timeout``."""
    # httpx is imported here, not at module level: ``import ligdicash`` stays cheap and
    # httpx loads with the first client.
    import httpx

    if timeout is None:
        return httpx.Timeout(DEFAULT_READ_TIMEOUT, connect=DEFAULT_CONNECT_TIMEOUT)
    if isinstance(timeout, httpx.Timeout):
        return timeout
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ConfigurationError("timeout must be a positive number of seconds")
    return httpx.Timeout(float(timeout), connect=min(float(timeout), DEFAULT_CONNECT_TIMEOUT))


def _env(name: str) -> Optional[str]:
    value = os.environ.get(name)
    return value if value else None


def resolve_settings(
    *,
    api_key: Optional[str],
    auth_token: Optional[str],
    platform: Optional[str],
    base_url: Optional[str],
    timeout: Any,
    max_retries: Optional[int],
) -> Settings:
    """Combine arguments, environment and defaults; raise :class:`ConfigurationError`."""
    key = api_key or _env("LIGDICASH_API_KEY")
    token = auth_token or _env("LIGDICASH_AUTH_TOKEN")
    if not key or not isinstance(key, str):
        raise ConfigurationError(
            "api_key is not set: set ligdicash.api_key, pass Client(api_key=...) or set "
            "LIGDICASH_API_KEY"
        )
    if not token or not isinstance(token, str):
        raise ConfigurationError(
            "auth_token is not set: set ligdicash.auth_token, pass Client(auth_token=...) "
            "or set LIGDICASH_AUTH_TOKEN"
        )
    plat = platform or _env("LIGDICASH_PLATFORM") or "live"
    if plat not in PLATFORM_URLS:
        raise ConfigurationError(f"platform must be 'live' or 'test', got {plat!r}")
    override = base_url or _env("LIGDICASH_BASE_URL")
    root = check_base_url(override) if override else PLATFORM_URLS[plat]
    retries = DEFAULT_MAX_RETRIES if max_retries is None else max_retries
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ConfigurationError("max_retries must be a whole number >= 0")
    return Settings(
        api_key=key,
        auth_token=token,
        platform=plat,
        base_url=root,
        base_url_overridden=bool(override),
        timeout=check_timeout(timeout),
        max_retries=retries,
    )
