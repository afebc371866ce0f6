# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Both clients against an HTTPS endpoint on 127.0.0.1 whose certificate comes from a private CA made here.

Refused by default (the CA is not in any trusted bundle), accepted with ca_path, refused with the wrong CA.
"""

from __future__ import annotations

import datetime
import http.server
import ipaddress
import json
import ssl
import threading

import pytest

stripe = pytest.importorskip('stripe')
requests = pytest.importorskip('requests')
x509 = pytest.importorskip('cryptography.x509')

# pylint: disable=wrong-import-position
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator  # noqa: E402

from ansible_collections.thingsstack.tenancy.plugins.module_utils.stripe_spec import stripe_argument_spec  # noqa: E402
from ansible_collections.thingsstack.tenancy.plugins.module_utils.tts_spec import tts_argument_spec  # noqa: E402
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils import stripe_api, tts_api  # noqa: E402
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import ApiError, InvalidOption  # noqa: E402
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.transport import CA_ENVIRONMENT, tls_verify  # noqa: E402

STRIPE_KEY = 'sk_test_tls_unit_key'
TTS_KEY = 'ab' * 16
CUSTOMERS = {'object': 'list', 'data': [], 'has_more': False, 'url': '/v1/customers'}
TENANT = {'ids': {'tenant_id': 'acme'}, 'name': 'Acme'}


def make_ca(tmp_path, name):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key()).serial_number(
        x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(
            days=2)).add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).add_extension(
                x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False, key_encipherment=False,
                              data_encipherment=False, key_agreement=False, encipher_only=False, decipher_only=False),
                critical=True).add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                                             critical=False).sign(key, hashes.SHA256()))
    path = tmp_path / f'{name}.pem'
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, cert, str(path)


def make_server_cert(tmp_path, ca_key, ca_cert):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, '127.0.0.1')])).issuer_name(
        ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(
            days=1)).not_valid_after(now + datetime.timedelta(days=2)).add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address('127.0.0.1'))]), critical=False).add_extension(
                    x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                    critical=False).add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                                                  critical=False).sign(ca_key, hashes.SHA256()))
    cert_path, key_path = tmp_path / 'server.pem', tmp_path / 'server.key'
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return str(cert_path), str(key_path)


class Handler(http.server.BaseHTTPRequestHandler):
    """Answers a Stripe customer list and a TTS tenant Get; counts the requests that got through the handshake."""

    def do_GET(self):  # pylint: disable=invalid-name
        self.server.paths.append(self.path)
        body = json.dumps(CUSTOMERS if self.path.startswith('/v1/') else TENANT).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # pylint: disable=arguments-differ
        pass


@pytest.fixture(scope='module')
def endpoint(tmp_path_factory):
    """(https URL, the right CA file, a wrong CA file, the server) for an HTTPS server on 127.0.0.1."""
    tmp_path = tmp_path_factory.mktemp('tls')
    ca_key, ca_cert, ca_path = make_ca(tmp_path, 'private-ca')
    dummy, dummy, wrong_ca_path = make_ca(tmp_path, 'other-ca')
    cert_path, key_path = make_server_cert(tmp_path, ca_key, ca_cert)
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    server.daemon_threads = True
    server.paths = []
    server.missing_ca = tmp_path / 'missing-ca.pem'
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f'https://127.0.0.1:{server.server_address[1]}', ca_path, wrong_ca_path, server
    server.shutdown()
    server.server_close()


def validated(spec, args):
    """The options as the action plugins get them: the modules' own argument spec, environment fallbacks included."""
    result = ArgumentSpecValidator(spec).validate(args)
    assert not result.error_messages, result.error_messages
    return result.validated_parameters


def stripe_params(url, **args):
    return validated(stripe_argument_spec(), dict({'api_key': STRIPE_KEY, 'api_base': url, 'timeout': 10.0, 'max_retries': 2}, **args))


def tts_params(url, **args):
    return validated(tts_argument_spec(), dict({'url': url, 'tenant_admin_key': TTS_KEY, 'timeout': 10.0, 'max_retries': 2}, **args))


def stripe_list(params):
    stripe_api.check_connection(params)
    api = stripe_api.get_api(params)
    return api.list_all(api.v1.customers.list)


def tts_get(params):
    tts_api.check_connection(params)
    return tts_api.get_api(params).get_tenant('acme', ['name'])


@pytest.fixture(autouse=True)
def no_ambient_tls_settings(monkeypatch):
    for name in CA_ENVIRONMENT + ('STRIPE_CA_PATH', 'STRIPE_VALIDATE_CERTS', 'TTS_CA_PATH', 'TTS_VALIDATE_CERTS'):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize('call, params', [(stripe_list, stripe_params), (tts_get, tts_params)], ids=['stripe', 'tts'])
def test_a_private_ca_is_refused_by_default_and_trusted_with_ca_path(endpoint, call, params):
    url, ca_path, wrong_ca_path, server = endpoint
    before = len(server.paths)
    with pytest.raises(ApiError, match='TLS certificate verification failed; set ca_path'):
        call(params(url))
    with pytest.raises(ApiError, match='TLS certificate verification failed; set ca_path'):
        call(params(url, ca_path=wrong_ca_path))
    assert len(server.paths) == before  # no request got past a refused handshake, and none was retried into one
    assert call(params(url, ca_path=ca_path)) in ([], TENANT)
    assert len(server.paths) == before + 1


@pytest.mark.parametrize('call, params, prefix', [(stripe_list, stripe_params, 'STRIPE'), (tts_get, tts_params, 'TTS')],
                         ids=['stripe', 'tts'])
def test_the_ca_and_the_verify_flag_come_from_the_environment_as_awx_injects_them(endpoint, monkeypatch, call, params, prefix):
    url, ca_path, wrong_ca_path, dummy = endpoint
    monkeypatch.setenv(f'{prefix}_CA_PATH', ca_path)
    assert call(params(url)) in ([], TENANT)
    monkeypatch.setenv(f'{prefix}_CA_PATH', wrong_ca_path)
    with pytest.raises(ApiError, match='TLS certificate verification failed'):
        call(params(url))
    monkeypatch.setenv(f'{prefix}_VALIDATE_CERTS', 'false')
    assert call(params(url)) in ([], TENANT)


@pytest.mark.parametrize('call, params', [(stripe_list, stripe_params), (tts_get, tts_params)], ids=['stripe', 'tts'])
def test_requests_ca_bundle_is_honoured_and_validate_certs_false_skips_verification(endpoint, monkeypatch, call, params):
    url, ca_path, dummy, dummy = endpoint
    monkeypatch.setenv('REQUESTS_CA_BUNDLE', ca_path)
    assert call(params(url, max_retries=1)) in ([], TENANT)
    monkeypatch.delenv('REQUESTS_CA_BUNDLE')
    assert call(params(url, validate_certs=False, max_retries=3)) in ([], TENANT)


@pytest.mark.parametrize('call, params', [(stripe_list, stripe_params), (tts_get, tts_params)], ids=['stripe', 'tts'])
@pytest.mark.parametrize('variable', ['SSL_CERT_FILE', 'CURL_CA_BUNDLE'])
def test_ssl_cert_file_and_curl_ca_bundle_are_honoured_by_both_clients(endpoint, monkeypatch, call, params, variable):
    url, ca_path, wrong_ca_path, dummy = endpoint
    monkeypatch.setenv(variable, ca_path)
    assert call(params(url, max_retries=0)) in ([], TENANT)
    monkeypatch.setenv(variable, wrong_ca_path)
    with pytest.raises(ApiError, match='TLS certificate verification failed'):
        call(params(url, max_retries=0))


@pytest.mark.parametrize('call, params', [(stripe_list, stripe_params), (tts_get, tts_params)], ids=['stripe', 'tts'])
def test_one_order_for_the_ca_ca_path_then_requests_variables_then_openssl_variables(endpoint, monkeypatch, call, params):
    url, ca_path, wrong_ca_path, server = endpoint
    monkeypatch.setenv('SSL_CERT_FILE', wrong_ca_path)
    assert call(params(url, ca_path=ca_path, max_retries=0)) in ([], TENANT)  # ca_path first
    monkeypatch.setenv('REQUESTS_CA_BUNDLE', ca_path)
    assert call(params(url, max_retries=0)) in ([], TENANT)  # REQUESTS_CA_BUNDLE before SSL_CERT_FILE
    monkeypatch.setenv('REQUESTS_CA_BUNDLE', wrong_ca_path)
    monkeypatch.setenv('SSL_CERT_FILE', ca_path)
    with pytest.raises(ApiError, match='TLS certificate verification failed'):
        call(params(url, max_retries=0))
    monkeypatch.delenv('REQUESTS_CA_BUNDLE')
    monkeypatch.setenv('SSL_CERT_FILE', str(server.missing_ca))
    before = len(server.paths)
    with pytest.raises(InvalidOption, match=r'^ca_path: is not set, and SSL_CERT_FILE names no such file or directory: '):
        call(params(url, max_retries=0))
    assert len(server.paths) == before


@pytest.mark.parametrize('call, params', [(stripe_list, stripe_params), (tts_get, tts_params)], ids=['stripe', 'tts'])
def test_cleartext_http_is_refused_before_any_request(endpoint, monkeypatch, call, params):
    url, dummy, dummy, server = endpoint
    monkeypatch.setenv('HTTP_PROXY', url)  # were it sent after all, it would stay on this machine
    before = len(server.paths)
    with pytest.raises(InvalidOption, match='would send the credentials in cleartext'):
        call(params('http://tenancy.test.invalid:8443'))
    assert len(server.paths) == before


def test_tls_verify_order(tmp_path, monkeypatch):
    paths = {}
    for name in ('option', *CA_ENVIRONMENT):
        paths[name] = tmp_path / name.lower()
        paths[name].mkdir()
    assert tls_verify(True, None, 'ca_path') is True
    assert tls_verify(True, '', 'ca_path') is True
    for name in reversed(CA_ENVIRONMENT):  # each variable wins over the ones after it
        monkeypatch.setenv(name, str(paths[name]))
        assert tls_verify(True, None, 'ca_path') == str(paths[name])
        assert tls_verify(True, str(paths['option']), 'ca_path') == str(paths['option'])
        assert tls_verify(False, str(paths['option']), 'ca_path') is False
    monkeypatch.setenv('REQUESTS_CA_BUNDLE', '')  # empty is not set, as requests reads it
    assert tls_verify(True, None, 'ca_path') == str(paths['CURL_CA_BUNDLE'])
    monkeypatch.setenv('SSL_CERT_DIR', str(tmp_path / 'nowhere'))
    monkeypatch.delenv('CURL_CA_BUNDLE')
    monkeypatch.delenv('SSL_CERT_FILE')
    with pytest.raises(InvalidOption, match='^ca_path: is not set, and SSL_CERT_DIR names no such file or directory'):
        tls_verify(True, None, 'ca_path')
    assert tls_verify(False, None, 'ca_path') is False


@pytest.mark.parametrize('call, params', [(stripe_list, stripe_params), (tts_get, tts_params)], ids=['stripe', 'tts'])
def test_both_clients_send_with_the_ca_chosen_from_the_environment(monkeypatch, tmp_path, call, params):
    ca_dir = tmp_path / 'certs'
    ca_dir.mkdir()
    monkeypatch.setenv('SSL_CERT_DIR', str(ca_dir))
    seen = []

    def send(self, request, **kwargs):  # pylint: disable=unused-argument
        seen.append(kwargs['verify'])
        raise requests.exceptions.ConnectionError('stop here')

    monkeypatch.setattr(requests.Session, 'send', send)
    with pytest.raises(ApiError):
        call(params('https://tenancy-test.invalid', max_retries=0))
    assert seen == [str(ca_dir)]
