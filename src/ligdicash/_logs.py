"""Keeping transaction tokens short in other libraries' log lines.

httpx logs every request at INFO on the ``httpx`` logger, full URL included
(``HTTP Request: GET https://.../confirm/?invoiceToken=eyJ0eXAi... "HTTP/1.1 200 OK"``), so
a status check writes the whole creation token (the only key to a payment's status) into
the application's logs. :func:`redact_httpx_logs` installs a :class:`logging.Filter` there
that cuts each token to :func:`ligdicash._wire.short_token`'s 20 characters.
"""

from __future__ import annotations

import logging
import re

from ._wire import short_token

__all__ = ["ShortTokensFilter", "redact_httpx_logs"]

#: ``invoiceToken=...``, ``withdrawalToken=...``, ``payoutToken=...`` in a URL's query.
_TOKEN_PARAM = re.compile(r"((?:invoice|withdrawal|payout)Token=)([^&\s\"'<>]+)")


class ShortTokensFilter(logging.Filter):
    """A filter that rewrites a record's message with its status tokens shortened.

    It never drops a record. Records without a token are left untouched (their message
    is still formatted once, to look).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record is the logging module's to report
            return True
        shortened = _TOKEN_PARAM.sub(_shorten, message)
        if shortened != message:
            record.msg = shortened
            record.args = None
        return True


def _shorten(match: re.Match[str]) -> str:
    return match.group(1) + short_token(match.group(2))


def redact_httpx_logs(logger_name: str = "httpx") -> ShortTokensFilter:
    """Shorten transaction tokens in httpx's own log lines; return the installed filter.

    Call once at start-up (calling again installs nothing new). httpx's INFO line
    ``HTTP Request: GET .../confirm/?invoiceToken=<token>`` then carries 20 characters of
    the token followed by ``...``. Remove it with
    ``logging.getLogger("httpx").removeFilter(filter)``.

    Example::

        import logging, ligdicash
        logging.basicConfig(level=logging.INFO)
        ligdicash.redact_httpx_logs()
    """
    logger = logging.getLogger(logger_name)
    for existing in logger.filters:
        if isinstance(existing, ShortTokensFilter):
            return existing
    installed = ShortTokensFilter()
    logger.addFilter(installed)
    return installed
