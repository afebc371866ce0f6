# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):

    DOCUMENTATION = r"""
attributes:
  action_group:
    membership:
      - thingsstack.tenancy.tts
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
    type: bool
    default: true
  ca_path:
    description:
      - A CA bundle (PEM file) or directory of certificates to verify O(url) with, instead of the system's.
        Not used with O(validate_certs=false).
    type: path
  timeout:
    description:
      - Seconds to wait for one HTTP response from The Things Stack.
    type: float
    default: 30.0
  max_retries:
    description:
      - How many times one request is retried after a connection error, a timeout, HTTP 429 (rate limit)
        or HTTP 502, 503 or 504.
      - Retries wait with capped exponential backoff and jitter and honour C(Retry-After).
      - Retrying a write is safe, see the module's notes. V(0) sends every request once.
    type: int
    default: 5
requirements:
  - requests (the Python package) on the Ansible controller
notes:
  - The module runs on the Ansible controller as an action plugin; no Python is needed on the managed host.
  - API errors are reported with the HTTP status, the numeric gRPC code, the error name and its correlation id,
    for example C(TTS API error (HTTP 403, code 7 permission_denied, error:pkg/identityserver:tenant_admin_key)).
"""
