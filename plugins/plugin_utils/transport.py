# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the Stripe and TTS clients share about the transport: endpoint rules, TLS verification and retry backoff."""

from __future__ import annotations

import ipaddress
import os
import random
import re
import urllib.parse

try:
    from urllib3.exceptions import LocationParseError
    from urllib3.util import parse_url
except ImportError:  # no requests either: the client reports it; the strict grammar still applies
    LocationParseError = ValueError
    parse_url = None

from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import InvalidOption

RETRY_BASE_SECONDS = 0.5
RETRY_CAP_SECONDS = 8.0
RETRY_AFTER_CAP_SECONDS = 60.0


def backoff_delay(attempt, retry_after=None):
    """Seconds to wait before retry number ``attempt + 1``: capped exponential backoff with jitter.

    A ``Retry-After`` header value (seconds) from the server is honoured up to a cap.
    """
    delay = min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * 2**attempt) * random.uniform(0.5, 1.0)
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


# What check_endpoint accepts after the scheme: a host name or dotted-decimal IPv4 address (letters, digits, '.', '-',
# '_') or a bracketed IPv6 address, an optional port, and a path of printable ASCII without a backslash, '?' or '#'.
_ENDPOINT_RE = re.compile(r'(?P<scheme>https?)://(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::(?P<port>[0-9]{1,5}))?'
                          r'(?P<path>/[!-~]*)?')
# A host whose last label is a number is an IPv4 address to browsers, libc's inet_aton and curl (0x7f.1, 2130706433,
# 0177.0.0.1); only the dotted-decimal form means the same address to every parser.
_NUMERIC_LABEL_RE = re.compile(r'([0-9]+|0[xX][0-9A-Fa-f]*)')


def _endpoint_refusal(url):
    """Why ``url`` is refused, or None. Read as strictly as the HTTP client and urllib.parse could both read it."""
    if not isinstance(url, str) or not url:
        return 'must not be empty'
    if not url.isascii():
        return 'must be ASCII (write an internationalised host name in its xn-- form)'
    if any(char.isspace() or not char.isprintable() for char in url):
        return 'must not contain whitespace or control characters'
    if '\\' in url:
        return 'must not contain a backslash'
    scheme, sep, rest = url.partition('://')
    if sep and scheme != scheme.lower() and scheme.lower() in ('http', 'https'):
        return 'must start with https:// or http:// in lowercase'
    if not sep or scheme not in ('http', 'https'):
        return None  # the caller's own "must be ..." message
    authority = re.split('[/?#]', rest, maxsplit=1)[0]
    if '@' in authority:
        return 'must not have user info (user@ or user:password@ before the host)'
    if '%' in authority:
        return 'must not have a percent-encoded host or an IPv6 zone ID'
    if '?' in url or '#' in url:
        return 'must not have a query string or fragment'
    match = _ENDPOINT_RE.fullmatch(url)
    if not match:
        return 'must be http(s)://HOST[:PORT][/PATH] with a host name, a dotted-decimal IPv4 address or a bracketed IPv6 address'
    host, port = match['host'], match['port']
    if host.startswith('['):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return f"has an invalid IPv6 address {host}"
    elif _NUMERIC_LABEL_RE.fullmatch(host.rstrip('.').rpartition('.')[2]):
        try:
            canonical = str(ipaddress.IPv4Address(host))
        except ValueError:
            canonical = None
        if canonical != host:
            return f"has the host {host!r}, which is not an IPv4 address in dotted-decimal form (such as 127.0.0.1)"
    elif '' in host.rstrip('.').split('.'):
        return 'has an empty label in its host name'
    if port is not None and not 0 < int(port) < 65536:
        return f"has the port {port}, which is not between 1 and 65535"
    return _parser_difference(url, host, port)


def _parser_difference(url, host, port):
    """Refuse what urllib.parse and urllib3 (the parser of requests) read as different hosts or ports."""
    try:
        split = urllib.parse.urlsplit(url)
        parsed = (split.scheme, split.hostname, split.port)
    except ValueError as exc:
        return f"cannot be parsed: {exc}"
    expected = (url.partition(':')[0], host.strip('[]').lower(), int(port) if port else None)
    readings = [parsed]
    if parse_url is not None:
        try:
            url3 = parse_url(url)
        except LocationParseError as exc:
            return f"cannot be parsed: {exc}"
        readings.append((url3.scheme, (url3.host or '').strip('[]').lower(), url3.port) if not url3.auth else None)
    if any(reading != expected for reading in readings):
        return 'is read differently by the HTTP client and by urllib.parse'
    return None


def _shown(url):
    """The URL for a message: never with user info, which may hold a password."""
    return "a URL not shown here (it has an '@', which may follow a password)" if '@' in str(url) else repr(url)


def check_endpoint(option, url, allow_http, allow_http_option, description):
    """Refuse a URL the HTTP client could read as another host than this check, or that would send the credentials in
    cleartext.

    One rule for the Stripe and TTS clients: see ``_endpoint_refusal``. ``http://`` is accepted for loopback addresses
    only, unless the task opts in with ``allow_http_option``.
    """
    refusal = _endpoint_refusal(url)
    if refusal:
        raise InvalidOption(option, f"{refusal}, got {_shown(url)}")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ('http', 'https') or not parts.hostname or not url.startswith(parts.scheme + '://'):
        raise InvalidOption(option, f"must be {description}, got {_shown(url)}")
    if parts.scheme == 'http' and not allow_http and not is_loopback(parts.hostname):
        raise InvalidOption(
            option, f"{url!r} would send the credentials in cleartext: use https://, or set "
            f"{allow_http_option}=true for a test endpoint on a trusted network "
            "(http:// is accepted without it for loopback addresses only)")


# The order in which both clients choose the CA certificates when ca_path is not given: the variables requests reads
# (REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE), then OpenSSL's (SSL_CERT_FILE, SSL_CERT_DIR), then certifi.
CA_ENVIRONMENT = ('REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE', 'SSL_CERT_FILE', 'SSL_CERT_DIR')


def tls_verify(validate_certs, ca_path, ca_path_option):
    """The ``verify`` argument of requests: False, a CA bundle file or directory, or True (certifi).

    ``ca_path`` first, then the first of ``CA_ENVIRONMENT`` that is set, then certifi's bundle: the same for both
    clients, whatever requests or the Stripe SDK would pick by themselves.
    """
    if not validate_certs:
        return False
    if ca_path:  # an empty STRIPE_CA_PATH / TTS_CA_PATH (an AWX credential without a CA certificate) is no CA
        if not os.path.exists(ca_path):
            raise InvalidOption(ca_path_option, f"no such file or directory: {ca_path}")
        return ca_path
    for name in CA_ENVIRONMENT:
        path = os.environ.get(name)
        if path:
            if not os.path.exists(path):
                raise InvalidOption(ca_path_option, f"is not set, and {name} names no such file or directory: {path}")
            return path
    return True
