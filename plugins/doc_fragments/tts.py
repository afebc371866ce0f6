# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    # The whole action_group attribute is here, and modules do not also extend
    # ansible.builtin.action_common_attributes.actiongroups: of two fragments that set it, the one listed first wins
    # the merge, and that one's membership is empty. tests/playbooks/test_docs.py reads it back for every module.
    DOCUMENTATION = r"""
attributes:
  action_group:
    description: Use C(group/thingsstack.tenancy.tts) (or C(group/thingsstack.tenancy.all)) in C(module_defaults)
      to give the connection options once, for all the tasks of a play.
    support: full
    membership:
      - thingsstack.tenancy.tts
      - thingsstack.tenancy.all
options:
  url:
    description:
      - Base address of The Things Stack Enterprise deployment, the Identity Server's host, for example
        V(https://thethings.example.com). The tenant API is called at C({url}/api/v3/tenants).
      - Use the base domain, not a tenant subdomain such as C(acme.thethings.example.com); the tenant
        registry is tenant-agnostic, and a tenant subdomain would be checked for an active tenant first.
        A trailing C(/api/v3) is ignored.
      - If not set, the value of the E(TTS_URL) environment variable is used, which is how an
        AWX / Automation Controller custom credential type injects it.
      - Must be C(https://), except for a loopback address (C(localhost), C(127.0.0.0/8), C(::1)) or with
        O(allow_http=true), so that the tenant admin key is never sent in cleartext. Checked before the first request.
      - "Written as C(https://HOST[:PORT][/PATH]) (C(http://) as above), in lowercase ASCII: a host name, a
        dotted-decimal IPv4 address or a bracketed IPv6 address. Refused: user info (C(user@), C(user:password@)),
        backslashes, whitespace and control characters, percent-encoded hosts and IPv6 zone IDs, a query or fragment,
        other numeric forms of an IPv4 address (C(0x7f.1), C(2130706433), C(0177.0.0.1), C(127.1)), and anything
        that Python's C(urllib.parse) and C(urllib3) (the parser of C(requests)) read as different hosts, so that
        the host checked is the host connected to."
    type: str
    required: true
  tenant_admin_key:
    description:
      - A tenant administration key of the Identity Server (C(is.tenancy.admin-keys)), 16, 24 or 32 bytes,
        hex-encoded (32, 48 or 64 hex digits). Sent in the C(Authorization) header as C(TenantAdminKey <key>).
      - If not set, the value of the E(TTS_TENANT_ADMIN_KEY) environment variable is used.
      - Never shown in output, diffs, error messages or return values.
    type: str
    required: true
  validate_certs:
    description:
      - Verify the TLS certificate of O(url). Turn off only for test deployments.
      - If not set, the value of the E(TTS_VALIDATE_CERTS) environment variable is used.
    type: bool
    default: true
  ca_path:
    description:
      - A CA bundle (PEM file) or directory of certificates to verify O(url) with, for example a private CA.
        Not used with O(validate_certs=false).
      - If not set, the value of the E(TTS_CA_PATH) environment variable is used, else the first of
        E(REQUESTS_CA_BUNDLE), E(CURL_CA_BUNDLE), E(SSL_CERT_FILE) and E(SSL_CERT_DIR) that is set, else the bundle of
        C(certifi). The Stripe modules choose theirs in the same order. A variable that names a missing file or
        directory fails the task before the first request.
    type: path
  allow_http:
    description:
      - Allow an C(http://) O(url) that is not a loopback address. The tenant admin key then travels in cleartext,
        only for a test deployment on a trusted network.
      - If not set, the value of the E(TTS_ALLOW_HTTP) environment variable is used.
    type: bool
    default: false
  timeout:
    description:
      - Seconds to wait for one HTTP response from The Things Stack.
    type: float
    default: 30.0
  max_retries:
    description:
      - How many times one request is retried after a connection error, a timeout, HTTP 429 (rate limit)
        or HTTP 500, 502, 503 or 504.
      - Retries wait with capped exponential backoff and jitter and honour C(Retry-After).
      - Retrying a write is safe, see the module's notes. V(0) sends every request once.
    type: int
    default: 5
requirements:
  - requests (the Python package) on the Ansible controller
notes:
  - The module runs on the Ansible controller as an action plugin; no Python is needed on the managed host.
  - The environment variables named above are read from the environment of C(ansible-playbook) on the controller
    (where AWX credential types and CI put them). A task's C(environment) keyword does not reach this module; it sets
    the environment of a module process on the managed host, and this module runs inside C(ansible-playbook).
  - "O(url) and O(tenant_admin_key) can therefore come from the task, from C(module_defaults) for
    C(group/thingsstack.tenancy.tts) (or C(group/thingsstack.tenancy.all)) once for a play, or from E(TTS_URL) and
    E(TTS_TENANT_ADMIN_KEY) in the controller's environment. The error for a missing or empty one says so."
  - API errors are reported with the HTTP status, the numeric gRPC code, the error name and its correlation id,
    for example C(TTS API error (HTTP 403, code 7 permission_denied, error:pkg/identityserver:tenant_admin_key)).
"""
