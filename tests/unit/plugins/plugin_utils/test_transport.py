# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one URL rule of both clients (api_base, url): checked offline, on the host the HTTP client would connect to."""

from __future__ import annotations

import socket
import urllib.parse

import pytest

requests = pytest.importorskip('requests')
stripe = pytest.importorskip('stripe')

# pylint: disable=wrong-import-position
from urllib3.util import parse_url  # noqa: E402

from ansible_collections.thingsstack.tenancy.plugins.plugin_utils import stripe_api, tts_api  # noqa: E402
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import InvalidOption  # noqa: E402

STRIPE_KEY = 'sk_test_transport_unit_key'
TTS_KEY = 'cd' * 16
PASSWORD = 'hunter2-in-the-url'
USER_INFO = "a URL not shown here (it has an '@', which may follow a password)"
DOTTED = 'which is not an IPv4 address in dotted-decimal form'

# (URL, the rule the message gives after "OPTION: ", refused even with allow_http=true)
HOSTILE = [
    ('http://192.0.2.1\\@127.0.0.1:1', 'must not contain a backslash', True),
    ('https://api.stripe.com\\@evil.example', 'must not contain a backslash', True),
    ('http://evil.example\\.127.0.0.1', 'must not contain a backslash', True),
    ('http://127.0.0.1#@evil.example', 'must not have a query string or fragment', True),
    ('https://api.stripe.com/#x', 'must not have a query string or fragment', True),
    ('https://api.stripe.com/v1?x=1', 'must not have a query string or fragment', True),
    ('http://127.0.0.1:80@evil.example', 'must not have user info', True),
    ('http://[::1]@evil.example', 'must not have user info', True),
    ('https://user@api.stripe.com', 'must not have user info', True),
    (f'https://user:{PASSWORD}@api.stripe.com', 'must not have user info', True),
    ('http://localhost@evil.example:80', 'must not have user info', True),
    ('http://evil%2e..', 'must not have a percent-encoded host', True),
    ('http://127.0.0.1%2f@evil', 'must not have user info', True),
    ('http://%31%32%37.0.0.1', 'must not have a percent-encoded host', True),
    ('http://[fe80::1%25eth0]:80', 'must not have a percent-encoded host or an IPv6 zone ID', True),
    ('http://[::1%lo]', 'must not have a percent-encoded host or an IPv6 zone ID', True),
    ('http://127.0.0.1\t@evil.example', 'must not contain whitespace or control characters', True),
    ('http://127.0.0.1\n@evil.example', 'must not contain whitespace or control characters', True),
    ('http://evil.exam\tple', 'must not contain whitespace or control characters', True),
    ('https://api.stripe.com\r\n', 'must not contain whitespace or control characters', True),
    (' https://api.stripe.com', 'must not contain whitespace or control characters', True),
    ('http://127.0.0.1\x00.evil.example', 'must not contain whitespace or control characters', True),
    ('http://127.0.0.1 evil.example', 'must not contain whitespace or control characters', True),
    ('http://0x7f.1', DOTTED, True),
    ('http://0x7f000001', DOTTED, True),
    ('http://2130706433', DOTTED, True),
    ('http://0177.0.0.1', DOTTED, True),
    ('http://127.1', DOTTED, True),
    ('http://127.0.0.01', DOTTED, True),
    ('http://127.0.0.1.', DOTTED, True),
    ('http://evil.0x10', DOTTED, True),
    ('http://1.2.3.4.5', DOTTED, True),
    ('https://exa\u0301mple.com', 'must be ASCII', True),
    ('https://api\uff0estripe.com', 'must be ASCII', True),
    ('http://localhost\uff20evil.example', 'must be ASCII', True),
    ('HTTP://127.0.0.1', 'must start with https:// or http:// in lowercase', True),
    ('Https://api.stripe.com', 'must start with https:// or http:// in lowercase', True),
    ('ftp://127.0.0.1', 'must be ', True),
    ('file:///etc/passwd', 'must be ', True),
    ('//127.0.0.1:1', 'must be ', True),
    ('http:/127.0.0.1', 'must be ', True),
    ('http:127.0.0.1', 'must be ', True),
    ('127.0.0.1:1', 'must be ', True),
    ('http://', 'must be ', True),
    ('http://:80', 'must be http(s)://HOST[:PORT][/PATH]', True),
    ('http://127.0.0.1:/', 'must be http(s)://HOST[:PORT][/PATH]', True),
    ('http://127.0.0.1:1:2', 'must be http(s)://HOST[:PORT][/PATH]', True),
    ('http://[::1', 'must be http(s)://HOST[:PORT][/PATH]', True),
    ('http://[::1]x', 'must be http(s)://HOST[:PORT][/PATH]', True),
    ('http://ev!l.example', 'must be http(s)://HOST[:PORT][/PATH]', True),
    ('http://[1::2::3]', 'has an invalid IPv6 address', True),
    ('http://a..b', 'has an empty label', True),
    ('http://.localhost', 'has an empty label', True),
    ('http://127.0.0.1:0', 'has the port 0', True),
    ('http://127.0.0.1:65536', 'has the port 65536', True),
    ('http://localhost.evil.example', 'would send the credentials in cleartext', False),
    ('http://127.0.0.1.evil.example', 'would send the credentials in cleartext', False),
    ('http://[::ffff:127.0.0.1]', 'would send the credentials in cleartext', False),
    ('http://192.0.2.1:1', 'would send the credentials in cleartext', False),
]
GOOD = [
    'https://api.stripe.com', 'https://api.stripe.com/', 'http://127.0.0.1:12111', 'http://[::1]:80', 'http://localhost:8080/api',
    'https://API.Stripe.com', 'http://localhost.:1', 'http://127.8.9.10', 'https://thethings.example.com/api/v3/',
    'https://tts_stack.internal:8885', 'https://[2001:db8::1]:443'
]


def stripe_connection(url, allow_http):
    return {
        'api_key': STRIPE_KEY, 'api_base': url, 'api_version': None, 'timeout': 5.0, 'max_retries': 0, 'validate_certs': True, 'ca_path':
        None, 'allow_http': allow_http
    }


def tts_connection(url, allow_http):
    return {
        'url': url, 'tenant_admin_key': TTS_KEY, 'timeout': 5.0, 'max_retries': 0, 'validate_certs': True, 'ca_path': None, 'allow_http':
        allow_http
    }


CLIENTS = [(stripe_api, stripe_connection, 'api_base'), (tts_api, tts_connection, 'url')]


@pytest.fixture
def no_network(monkeypatch):
    """Fails the test on any attempt to send a request or open a connection."""
    sent = []

    def refuse(*args, **kwargs):
        sent.append(args)
        raise AssertionError('a request was sent')

    monkeypatch.setattr(requests.Session, 'send', refuse)
    monkeypatch.setattr(socket, 'create_connection', refuse)
    monkeypatch.setattr(socket.socket, 'connect', refuse)
    return sent


def connect(client, connection, url, allow_http):
    """What an action plugin does: the connection checks, then the client and its first request."""
    params = connection(url, allow_http)
    client.check_connection(params)
    api = client.get_api(params)
    if client is stripe_api:
        return api.read(api.v1.customers.list)
    return api.get_tenant('acme', ['name'])


@pytest.mark.parametrize('client, connection, option', CLIENTS, ids=['stripe', 'tts'])
@pytest.mark.parametrize('url, rule, always', HOSTILE, ids=[repr(case[0]) for case in HOSTILE])
def test_hostile_urls_are_refused_offline_with_the_option_and_the_rule(no_network, client, connection, option, url, rule, always):
    for allow_http in (False, True) if always else (False, ):
        with pytest.raises(InvalidOption) as raised:
            connect(client, connection, url, allow_http)
        assert raised.value.msg.startswith(f'{option}: ') and rule in raised.value.msg, raised.value.msg
        assert raised.value.details['option'] == option
        assert PASSWORD not in raised.value.msg
        if '@' in url:
            assert raised.value.msg.endswith(USER_INFO) or 'cleartext' in raised.value.msg
    assert no_network == []


@pytest.mark.parametrize('client, connection, option', CLIENTS, ids=['stripe', 'tts'])
@pytest.mark.parametrize('url', GOOD)
def test_good_urls_are_accepted(client, connection, option, url):
    client.check_connection(connection(url, False))
    prepared = requests.Request('GET', url).prepare()  # the host requests connects to is the one the rule checked
    assert parse_url(prepared.url).host.strip('[]') == urllib.parse.urlsplit(url).hostname


def test_the_backslash_form_is_what_the_http_client_reads_as_another_host():
    """Why the rule compares parsers: urllib.parse sees 127.0.0.1:1, requests would connect to 192.0.2.1:80."""
    url = 'http://192.0.2.1\\@127.0.0.1:1'
    assert (parse_url(url).host, parse_url(url).port) == ('192.0.2.1', None)
    prepared = requests.Request('GET', url).prepare()
    assert parse_url(prepared.url).host == '192.0.2.1'
