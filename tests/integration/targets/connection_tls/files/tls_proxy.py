"""An HTTPS front on 127.0.0.1 whose certificate comes from a private CA made here, forwarding to the Stripe and TTS APIs.

    python tls_proxy.py --dir DIR --stripe URL --tts URL [--lifetime SECONDS]

Writes DIR/ca.pem (the CA that signed the server certificate), DIR/wrong-ca.pem (another CA) and, once listening,
DIR/pid and DIR/port. Requests under /v1/ go to --stripe, all others to --tts, with method, headers and body unchanged. Stops
by itself after --lifetime seconds (default 300), so a failed test leaves nothing running. Needs `cryptography`.
"""

import argparse
import datetime
import http.client
import http.server
import ipaddress
import os
import ssl
import threading
import urllib.parse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

HOP_BY_HOP = {'connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-connection', 'host'}


def write_pem(path, data):
    with open(path, 'wb') as handle:
        handle.write(data)


def make_ca(name):
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
    return key, cert


def make_server_cert(ca_key, ca_cert):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, '127.0.0.1')])).issuer_name(
        ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(
            days=1)).not_valid_after(now + datetime.timedelta(days=2)).add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address('127.0.0.1'))]),
                critical=False).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False).add_extension(
                    x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False).sign(ca_key, hashes.SHA256()))
    return key, cert


class Forwarder(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def forward(self):
        upstream = self.server.upstreams['stripe' if self.path.startswith('/v1/') else 'tts']
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length) if length else None
        headers = {name: value for name, value in self.headers.items() if name.lower() not in HOP_BY_HOP}
        connection_class = http.client.HTTPSConnection if upstream.scheme == 'https' else http.client.HTTPConnection
        connection = connection_class(upstream.netloc, timeout=60)
        try:
            connection.request(self.command, upstream.path.rstrip('/') + self.path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        self.send_response(response.status, response.reason)
        for name, value in response.getheaders():
            if name.lower() not in HOP_BY_HOP and name.lower() != 'content-length':
                self.send_header(name, value)
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = forward  # noqa: N815

    def log_message(self, *args):  # pylint: disable=arguments-differ
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--dir', required=True)
    parser.add_argument('--stripe', required=True)
    parser.add_argument('--tts', required=True)
    parser.add_argument('--lifetime', type=float, default=300.0)
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    ca_key, ca_cert = make_ca('connection_tls private CA')
    dummy, other_ca = make_ca('connection_tls other CA')
    key, cert = make_server_cert(ca_key, ca_cert)
    write_pem(os.path.join(args.dir, 'ca.pem'), ca_cert.public_bytes(serialization.Encoding.PEM))
    write_pem(os.path.join(args.dir, 'wrong-ca.pem'), other_ca.public_bytes(serialization.Encoding.PEM))
    write_pem(os.path.join(args.dir, 'server.pem'), cert.public_bytes(serialization.Encoding.PEM))
    write_pem(os.path.join(args.dir, 'server.key'),
              key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))

    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Forwarder)
    server.daemon_threads = True
    server.upstreams = {'stripe': urllib.parse.urlsplit(args.stripe), 'tts': urllib.parse.urlsplit(args.tts)}
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(os.path.join(args.dir, 'server.pem'), os.path.join(args.dir, 'server.key'))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    with open(os.path.join(args.dir, 'pid'), 'w', encoding='utf-8') as handle:
        handle.write(str(os.getpid()))
    with open(os.path.join(args.dir, 'port.tmp'), 'w', encoding='utf-8') as handle:
        handle.write(str(server.server_address[1]))
    os.replace(os.path.join(args.dir, 'port.tmp'), os.path.join(args.dir, 'port'))
    stopper = threading.Timer(args.lifetime, server.shutdown)
    stopper.daemon = True
    stopper.start()
    server.serve_forever()


if __name__ == '__main__':
    main()
