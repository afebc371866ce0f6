# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the Stripe and TTS clients share about the transport: endpoint rules, TLS verification and retry backoff."""

from __future__ import annotations

import ipaddress
import os
import random
import urllib.parse

from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import InvalidOption

RETRY_BASE_SECONDS = 0.5
RETRY_CAP_SECONDS = 8.0
RETRY_AFTER_CAP_SECONDS = 60.0


def backoff_delay(attempt, retry_after=None):
    """Seconds to wait before retry number ``attempt + 1``: capped exponential backoff with jitter.

    A ``Retry-After`` header value (seconds) from the server is honoured up to a cap.
    """
    delay = min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * 2 ** attempt) * random.uniform(0.5, 1.0)
    if retry_after:
        try:
            delay = max(delay, min(float(retry_after), RETRY_AFTER_CAP_SECONDS))
        except ValueError:
            pass
    return delay


def check_retry_options(params):
    """``timeout`` and ``max_retries``, which both clients take, checked before the first request."""
    if params['timeout'] is not None and params['timeout'] <= 0:
        raise InvalidOption('timeout', f"must be a positive number of seconds, got {params['timeout']}")
    if params['max_retries'] is not None and params['max_retries'] < 0:
        raise InvalidOption('max_retries', f"must be 0 or more, got {params['max_retries']}")


def is_loopback(host):
    """True for ``localhost``, 127.0.0.0/8 and ::1: traffic that never leaves the machine."""
    if (host or '').lower().rstrip('.') == 'localhost':
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_endpoint(option, url, allow_http, allow_http_option, description):
    """Refuse a URL that is not http(s), has a query or fragment, or would send the credentials in cleartext.

    ``http://`` is accepted for loopback addresses only, unless the task opts in with ``allow_http_option``.
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ('http', 'https') or not parts.hostname:
        raise InvalidOption(option, f"must be {description}, got {url!r}")
    if parts.query or parts.fragment:
        raise InvalidOption(option, 'must not have a query string or fragment')
    if parts.scheme == 'http' and not allow_http and not is_loopback(parts.hostname):
        raise InvalidOption(option, f"{url!r} would send the credentials in cleartext: use https://, or set "
                                    f"{allow_http_option}=true for a test endpoint on a trusted network "
                                    "(http:// is accepted without it for loopback addresses only)")


def tls_verify(validate_certs, ca_path, ca_path_option):
    """The ``verify`` argument of requests: False, a CA bundle file or directory, or True (REQUESTS_CA_BUNDLE or certifi)."""
    if not validate_certs:
        return False
    if not ca_path:  # an empty STRIPE_CA_PATH / TTS_CA_PATH (an AWX credential without a CA certificate) is no CA
        return True
    if not os.path.exists(ca_path):
        raise InvalidOption(ca_path_option, f"no such file or directory: {ca_path}")
    return ca_path
