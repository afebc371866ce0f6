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
    description: Use C(group/thingsstack.tenancy.stripe) (or C(group/thingsstack.tenancy.all)) in C(module_defaults)
      to give the connection options once, for all the tasks of a play.
    support: full
    membership:
      - thingsstack.tenancy.stripe
      - thingsstack.tenancy.all
options:
  api_key:
    description:
      - Stripe secret key (C(sk_test_...), C(sk_live_...)) or restricted key (C(rk_...)).
      - If not set, the value of the E(STRIPE_API_KEY) environment variable is used, which is how
        an AWX / Automation Controller custom credential type injects it.
      - Never shown in output, diffs or return values.
    type: str
    required: true
  api_base:
    description:
      - Base URL of the Stripe API.
      - If not set, the value of the E(STRIPE_API_BASE) environment variable is used, else Stripe's own API.
      - Must be C(https://), except for a loopback address (C(localhost), C(127.0.0.0/8), C(::1)) or with
        O(allow_http=true), so that the key is never sent in cleartext. Checked before the first request.
      - "Written as C(https://HOST[:PORT][/PATH]) (C(http://) as above), in lowercase ASCII: a host name, a
        dotted-decimal IPv4 address or a bracketed IPv6 address. Refused: user info (C(user@), C(user:password@)),
        backslashes, whitespace and control characters, percent-encoded hosts and IPv6 zone IDs, a query or fragment,
        other numeric forms of an IPv4 address (C(0x7f.1), C(2130706433), C(0177.0.0.1), C(127.1)), and anything
        that Python's C(urllib.parse) and C(urllib3) (the parser of C(requests)) read as different hosts, so that
        the host checked is the host connected to."
    type: str
    default: https://api.stripe.com
  validate_certs:
    description:
      - Verify the TLS certificate of O(api_base). Turn off only for test endpoints.
      - If not set, the value of the E(STRIPE_VALIDATE_CERTS) environment variable is used.
    type: bool
    default: true
  ca_path:
    description:
      - A CA bundle (PEM file) or directory of certificates to verify O(api_base) with, for example the CA of a
        TLS-intercepting corporate proxy. Not used with O(validate_certs=false).
      - If not set, the value of the E(STRIPE_CA_PATH) environment variable is used, else the first of
        E(REQUESTS_CA_BUNDLE), E(CURL_CA_BUNDLE), E(SSL_CERT_FILE) and E(SSL_CERT_DIR) that is set, else the bundle of
        C(certifi); the C(stripe) SDK's own bundle is not used. The TTS modules choose theirs in the same order. A
        variable that names a missing file or directory fails the task before the first request.
      - HTTPS proxies are taken from E(HTTPS_PROXY) and E(NO_PROXY).
    type: path
  allow_http:
    description:
      - Allow an C(http://) O(api_base) that is not a loopback address. The secret key then travels in cleartext,
        only for a test endpoint on a trusted network.
      - If not set, the value of the E(STRIPE_ALLOW_HTTP) environment variable is used.
    type: bool
    default: false
  api_version:
    description:
      - Stripe API version sent as C(Stripe-Version).
      - If not set, the value of the E(STRIPE_API_VERSION) environment variable is used, else the version this
        collection is tested with (the default), whatever the installed C(stripe) SDK pins.
    type: str
    default: 2026-10-28.endive
  timeout:
    description:
      - Seconds to wait for one HTTP response from Stripe.
    type: float
    default: 30.0
  max_retries:
    description:
      - How many times one request is retried after a connection error, a timeout, HTTP 409,
        HTTP 429 (C(rate_limit), C(lock_timeout)) or a 5xx response.
      - Retries wait with capped exponential backoff and jitter, and honour C(Retry-After) and C(Stripe-Should-Retry).
      - Every write carries an idempotency key, so a retried write is never applied twice.
    type: int
    default: 5
requirements:
  - stripe >= 16.0.0 (the official Stripe Python SDK) on the Ansible controller
notes:
  - The module runs on the Ansible controller as an action plugin; no Python is needed on the managed host.
  - The environment variables named above are read from the environment of C(ansible-playbook) on the controller
    (where AWX credential types and CI put them). A task's C(environment) keyword does not reach this module; it sets
    the environment of a module process on the managed host, and this module runs inside C(ansible-playbook).
  - "O(api_key) can therefore come from the task, from C(module_defaults) for C(group/thingsstack.tenancy.stripe)
    (or C(group/thingsstack.tenancy.all)) once for a play, or from E(STRIPE_API_KEY) in the controller's environment.
    The error for a missing or empty one says so."
"""

    METADATA = r"""
options:
  metadata:
    description:
      - Metadata key/value pairs to set on the object.
      - Not given leaves the object's metadata untouched. A key whose value is an empty string is removed.
      - Keys are at most 40 characters without C([) or C(]), values at most 500 characters, at most 50 keys.
    type: dict
  purge_metadata:
    description:
      - Remove metadata keys that are not in O(metadata).
      - Has no effect when O(metadata) is not given.
    type: bool
    default: false
"""
