# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: tenants
short_description: The live fleet of The Things Stack tenants billed through Stripe
version_added: 0.2.0
author:
  - Thingsstack Tenancy Developers (@thingsstack)
description:
  - One host per tenant ID that Stripe or The Things Stack knows, with the variables of the role
    C(thingsstack.tenancy.tenant) (C(tenant_customer),
    C(tenant_customer_id), C(tenant_plan), C(tenant_name), C(tenant_description), C(tenant_admin) without any password,
    C(tenant_provisioning), C(tenant_state), C(tenant_attributes), C(tenant_configuration)) and the live facts in
    C(tenant_live), and C(ansible_connection=local).
  - "Bulk reads only, never a request per tenant: the Stripe subscriptions of the account in every status with their
    customers expanded (prices are embedded in the items), 100 per page, and the tenants of The Things Stack, 1000 per
    page. A fleet read costs exactly max(1, ceil(S / 100)) Stripe requests for S subscriptions in the account (with or
    without C(tenant-id) metadata: Stripe cannot filter a list by metadata) and max(1, ceil(T / 1000)) TTS requests
    for T tenants; nothing with the inventory cache."
  - A host for every tenant of The Things Stack and every tenant ID a live subscription (not C(canceled) or
    C(incomplete_expired)) carries in its C(tenant-id) metadata. A tenant ID that only ended subscriptions carry and no
    tenant has (a deleted tenant) is left out.
  - "Groups: C(subscription_<status>) (C(subscription_none) without a subscription), C(tenant_<state>)
    (C(tenant_none) without a tenant), C(plan_<price lookup key or ID>), C(provisioning_billing) and
    C(provisioning_direct), C(adoption_proposed), and the mismatches: C(orphan_subscriptions) (a live subscription with C(tenant-id) and no
    tenant), C(orphan_tenants) (a tenant with no live subscription or no C(billing.stripe), unless deprovisioned),
    C(owner_mismatch) (the
    tenant's C(billing.stripe.customer_id) is not its subscription's customer), C(duplicate_tenant_ids) (two or more
    live subscriptions carry the tenant ID), and the subscriptions the Tenant Billing Server would ignore or bill by item
    order: C(tbs_unmatched_subscriptions) (the tenant's billing link names a TBS plan, and no item of its live subscription
    is on one) and C(tbs_ambiguous_subscriptions) (two or more items on TBS plans: TBS takes the first). A TBS plan is a
    price marked by M(thingsstack.tenancy.stripe_price)'s O(thingsstack.tenancy.stripe_price#module:tbs_plan) (the marks
    come with the prices embedded in the subscription list: no extra request) or listed in O(tbs_plans).
    C(deprovisioned) holds the suspended tenants whose C(billing.stripe) names their subscription, which has ended (as the
    deprovision playbook leaves them): no mismatch. Names are lowercase, other characters than letters, digits and C(_)
    become C(_)."
  - "The provisioning mode of a tenant: V(billing) when its subscription's plan (price ID or lookup key) is one of
    O(tbs_plans), the plans the Tenant Billing Server manages, else V(direct). Nothing in Stripe or The Things Stack
    tells the two apart (both write the same C(billing.stripe) link), so give O(tbs_plans) as the TBS is configured
    (C(tbs.stripe.recurring-plan-ids))."
  - "C(tenant_state): V(present) for a live subscription; with a subscription canceled or canceled at the period end
    (then also C(tenant_cancel_at_period_end=true)) V(suspended) in billing mode and V(absent) in direct mode; a direct
    tenant suspended with its subscription running V(suspended)."
  - "A tenant that exists without C(billing.stripe) but has a subscription is in the group C(adoption_proposed) and gets
    no C(tenant_adopt): anyone's subscription may carry its ID, so provisioning refuses it until an operator confirms the
    claim with C(tenant_adopt=true)."
  - "What Stripe and The Things Stack say is untrusted input. A tenant ID names a host only when it follows the tenant ID
    rule of The Things Stack (3 to 36 lowercase letters and digits, single dashes between them, not on the ID blocklist
    unless the tenant exists) and is no name of a group or the controller (C(all), C(ungrouped), C(localhost),
    C(tenants), a group of this inventory or of O(groups) / O(keyed_groups)). The others are no hosts: they are listed,
    with their subscriptions and customers and the values shown escaped, in the variable C(invalid_tenant_ids) of the
    group C(all), and in a warning."
  - "When the fleet cannot be read the inventory source fails, with the API keys masked in the message. Set
    C(ANSIBLE_INVENTORY_UNPARSED_FAILED=true) (or C(ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED=true)) so that
    ansible-core fails the run instead of going on with an empty inventory (see the guide
    R(The live fleet as an inventory,ansible_collections.thingsstack.tenancy.docsite.guide_inventory))."
  - The inventory cache holds customer data; the plugin makes the cache file it wrote readable by its owner only.
  - Secrets are never read into host variables or the cache. The subscription metadata key C(admin-password) is dropped
    as the subscriptions are read; the API keys are options only.
  - The inventory file name must end in C(.tenants.yml) or C(.tenants.yaml); a YAML file of another name that names this
    plugin gets a warning that says so.
  - A key of the inventory source that is no option of this plugin (C(tbs_plan) for O(tbs_plans)) fails the source,
    naming the nearest option.
extends_documentation_fragment:
  - constructed
  - inventory_cache
options:
  plugin:
    description: The name of this plugin; it must always be V(thingsstack.tenancy.tenants).
    type: str
    required: true
    choices: [thingsstack.tenancy.tenants]
  stripe_api_key:
    description:
      - Stripe secret key (C(sk_test_...), C(sk_live_...)) or restricted key (C(rk_...)) that can read subscriptions and
        customers. Required, here or in E(STRIPE_API_KEY); better given by the environment than written in the
        inventory file.
    type: str
    env:
      - name: STRIPE_API_KEY
  stripe_api_base:
    description:
      - Base URL of the Stripe API. C(http://) only for a loopback address, or with O(stripe_allow_http=true).
    type: str
    default: https://api.stripe.com
    env:
      - name: STRIPE_API_BASE
  stripe_api_version:
    description: Stripe API version, as for the modules.
    type: str
    default: 2026-10-28.endive
    env:
      - name: STRIPE_API_VERSION
  stripe_validate_certs:
    description: Verify the TLS certificate of O(stripe_api_base).
    type: bool
    default: true
    env:
      - name: STRIPE_VALIDATE_CERTS
  stripe_ca_path:
    description: A CA bundle or directory to verify O(stripe_api_base) with.
    type: path
    env:
      - name: STRIPE_CA_PATH
  stripe_allow_http:
    description: Allow an C(http://) O(stripe_api_base) that is not a loopback address (the key travels in cleartext).
    type: bool
    default: false
    env:
      - name: STRIPE_ALLOW_HTTP
  tts_url:
    description:
      - Base address of The Things Stack deployment (not a tenant's subdomain), such as C(https://thethings.example.com).
        Required, here or in E(TTS_URL).
      - C(http://) only for a loopback address, or with O(tts_allow_http=true).
    type: str
    env:
      - name: TTS_URL
  tts_tenant_admin_key:
    description:
      - Tenant admin key of the deployment (C(is.tenancy.admin-keys)), hex. Required, here or in E(TTS_TENANT_ADMIN_KEY);
        better given by the environment than written in the inventory file.
    type: str
    env:
      - name: TTS_TENANT_ADMIN_KEY
  tts_validate_certs:
    description: Verify the TLS certificate of O(tts_url).
    type: bool
    default: true
    env:
      - name: TTS_VALIDATE_CERTS
  tts_ca_path:
    description: A CA bundle or directory to verify O(tts_url) with.
    type: path
    env:
      - name: TTS_CA_PATH
  tts_allow_http:
    description: Allow an C(http://) O(tts_url) that is not a loopback address (the key travels in cleartext).
    type: bool
    default: false
    env:
      - name: TTS_ALLOW_HTTP
  timeout:
    description: Seconds to wait for each response, for both services.
    type: float
    default: 30.0
  max_retries:
    description: Retries of a request that failed with a connection error, C(429) or C(5xx), for both services.
    type: int
    default: 5
  tbs_plans:
    description:
      - The plans the Tenant Billing Server manages (its C(tbs.stripe.recurring-plan-ids) and C(metered-plan-ids)), by
        price ID or lookup key. A tenant whose subscription's plan is one of them is V(billing), every other one
        V(direct).
    type: list
    elements: str
    default: []
  usage:
    description:
      - "Also read the registry totals of every tenant (the batch call of The Things Stack, 100 tenants a request, so
        ceil(T / 100) more TTS requests for T tenants) and give each host of a tenant the variable C(tenant_usage), per
        entity kind C({used, limit, ratio}) against the tenant's C(max_*) limits, and C(max_ratio), as
        M(thingsstack.tenancy.tts_tenant_usage_info) returns them. Hosts without a tenant get none."
      - For groups such as C(near_limit) with O(groups) or O(keyed_groups).
    type: bool
    default: false
    version_added: 0.2.0
notes:
  - For AWX / Automation Controller, use an inventory source of type I(Sourced from a Project) with this file, and attach
    the credentials of the guide R(AWX / Automation Controller,ansible_collections.thingsstack.tenancy.docsite.guide_awx);
    they inject E(STRIPE_API_KEY), E(TTS_URL) and E(TTS_TENANT_ADMIN_KEY). See the guide
    R(The live fleet as an inventory,ansible_collections.thingsstack.tenancy.docsite.guide_inventory).
seealso:
  - module: thingsstack.tenancy.stripe_subscription_info
  - module: thingsstack.tenancy.tts_tenant_info
"""

EXAMPLES = r"""
# fleet.tenants.yml: the connection settings come from the environment
# (STRIPE_API_KEY, STRIPE_API_BASE, TTS_URL, TTS_TENANT_ADMIN_KEY).
#   ansible-inventory -i fleet.tenants.yml --graph
plugin: thingsstack.tenancy.tenants
tbs_plans:
  - tts-small-monthly

---
# Cached for an hour; groups of your own and a variable from the live facts.
plugin: thingsstack.tenancy.tenants
tbs_plans: [tts-small-monthly]
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: /var/tmp/tenants-inventory
cache_timeout: 3600
compose:
  tenant_limit_end_devices: tenant_live.limits.max_end_devices
groups:
  needs_attention: tenant_live.subscription_status in ['past_due', 'unpaid']
keyed_groups:
  - key: tenant_customer.address.country | default('none')
    prefix: country

---
# Usage against the limits: the group near_limit holds the tenants that use 90 % or more of a limit.
plugin: thingsstack.tenancy.tenants
tbs_plans: [tts-small-monthly]
usage: true
groups:
  near_limit: (tenant_usage.max_ratio | default(0, true)) >= 0.9
"""

import os

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.utils.display import Display

from ansible_collections.thingsstack.tenancy.plugins.plugin_utils import stripe_api, tts_api
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import TenancyError, mask_secret_values
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tenant_fleet import (INVALID, build_fleet, invalid_line, read_fleet,
                                                                                       shown, tenant_id_problem)
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tts_usage import read_fleet_usage, with_usage
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.validation import unknown_names

display = Display()

# The plugin's option -> the client's parameter
STRIPE_OPTIONS = {
    'stripe_api_key': 'api_key', 'stripe_api_base': 'api_base', 'stripe_api_version': 'api_version', 'stripe_validate_certs':
    'validate_certs', 'stripe_ca_path': 'ca_path', 'stripe_allow_http': 'allow_http', 'timeout': 'timeout', 'max_retries': 'max_retries'
}
TTS_OPTIONS = {
    'tts_url': 'url', 'tts_tenant_admin_key': 'tenant_admin_key', 'tts_validate_certs': 'validate_certs', 'tts_ca_path': 'ca_path',
    'tts_allow_http': 'allow_http', 'timeout': 'timeout', 'max_retries': 'max_retries'
}
ENVIRONMENT = {'stripe_api_key': 'STRIPE_API_KEY', 'tts_url': 'TTS_URL', 'tts_tenant_admin_key': 'TTS_TENANT_ADMIN_KEY'}
SECRET_OPTIONS = ('stripe_api_key', 'tts_tenant_admin_key')


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    """thingsstack.tenancy.tenants: the live fleet as hosts."""

    NAME = 'thingsstack.tenancy.tenants'

    def verify_file(self, path):
        if not super().verify_file(path):
            return False
        if path.endswith(('.tenants.yml', '.tenants.yaml')):
            return True
        if path.endswith(('.yml', '.yaml')) and self.names_this_plugin(path):
            display.warning(f"{self.NAME}: the inventory source {path} names this plugin, but its file name must end in "
                            "'.tenants.yml' or '.tenants.yaml' (fleet.tenants.yml, for example); rename it")
        return False

    def names_this_plugin(self, path):
        try:
            with open(path, encoding='utf-8') as handle:
                text = handle.read(65536)
        except (OSError, UnicodeDecodeError):
            return False
        return self.NAME in text and any(
            line.split('#')[0].strip() in (f'plugin: {self.NAME}', f"plugin: '{self.NAME}'", f'plugin: "{self.NAME}"')
            for line in text.splitlines())

    def _read_config_data(self, path):
        config = super()._read_config_data(path)
        unknown = unknown_names([key for key in config if key not in self._options], self._options, 'option')
        if unknown:
            raise AnsibleParserError(f"{self.NAME}: {path}: " + '; '.join(unknown))
        return config

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        try:
            self._parse(path, cache)
            return
        except Exception as exc:  # pylint: disable=broad-exception-caught  # a service may echo a key into any message
            message = str(exc) if isinstance(exc, AnsibleParserError) else f"{self.NAME}: {type(exc).__name__}: {exc}"
        # Raised here, not in the except block: the original exception (with the key) is not even its context.
        raise AnsibleParserError(self.masked(message))

    def masked(self, message):
        """``message`` without the keys of the options (also as a client sends them: without surrounding blanks)."""
        secrets = set()
        for option in SECRET_OPTIONS:
            value = self.get_option(option)
            if isinstance(value, str) and value.strip():
                secrets |= {value, value.strip()}
        return mask_secret_values(message, secrets)

    def update_cache_if_changed(self):
        super().update_cache_if_changed()
        # The cache holds customer names, emails and addresses; ansible-core's file caches write it 0644.
        # The file name adds a prefix and a version to the key: take the files of the cache directory ending with it.
        directory = getattr(getattr(self._cache, '_plugin', None), '_cache_dir', None)
        if directory and os.path.isdir(directory):
            keys = tuple(self._cache.keys())
            for name in os.listdir(directory):
                if keys and name.endswith(keys) and os.path.isfile(os.path.join(directory, name)):
                    os.chmod(os.path.join(directory, name), 0o600)

    def _parse(self, path, cache):
        cache_key = self.get_cache_key(path)
        use_cache = self.get_option('cache') and cache
        update_cache = self.get_option('cache') and not cache
        fleet = None
        if use_cache:
            try:
                fleet = self._cache[cache_key]
            except KeyError:
                update_cache = True
        if fleet is None:
            fleet = self.read()
        if update_cache:
            self._cache[cache_key] = fleet
        self.populate(with_usage(build_fleet(fleet, self.get_option('tbs_plans') or []), fleet))

    def client_params(self, options):
        params = {param: self.get_option(option) for option, param in options.items()}
        for option, param in options.items():
            if option in ENVIRONMENT and not (params[param] or '').strip():
                raise AnsibleParserError(f"{self.NAME}: {option} must be set, in the inventory source or as {ENVIRONMENT[option]} "
                                         'in the environment')
        return params

    def read(self):
        """The raw fleet (no secret in it: it may go to the cache). Every connection option is checked first."""
        stripe_params, tts_params = self.client_params(STRIPE_OPTIONS), self.client_params(TTS_OPTIONS)
        try:
            for client, params, options in ((stripe_api, stripe_params, STRIPE_OPTIONS), (tts_api, tts_params, TTS_OPTIONS)):
                try:
                    client.check_connection(params)
                except TenancyError as exc:
                    # The client names its parameter (api_key); say which option of this plugin it is.
                    option = next((name for name, param in options.items() if param == exc.details.get('option')), None)
                    raise TenancyError(f"{option}: {exc.msg.partition(': ')[2]}" if option else exc.msg) from None
            tts = tts_api.get_api(tts_params)
            fleet = read_fleet(stripe_api.get_api(stripe_params), tts)
            if self.get_option('usage'):
                fleet['usage'] = read_fleet_usage(tts, fleet['tenants'], tenant_id_problem)
            return fleet
        except TenancyError as exc:
            raise AnsibleParserError(f"{self.NAME}: {exc.msg}") from None

    def populate(self, fleet):
        strict = self.get_option('strict')
        invalid = list(fleet.get('invalid') or [])
        # A name the constructed options give a group (groups:, keyed_groups:) cannot be a host either.
        reserved = set(self.get_option('groups') or {}) | set(fleet['groups'])
        for name in [host for host in fleet['hosts'] if host in reserved]:
            invalid.append(self.shadowing(name, fleet['hosts'].pop(name)))
        for group, members in fleet['groups'].items():
            self.inventory.add_group(group)
            for host in members:
                if host in fleet['hosts']:
                    self.inventory.add_host(host, group=group)
        for host, variables in fleet['hosts'].items():
            self.inventory.add_host(host)
            for name, value in variables.items():
                self.inventory.set_variable(host, name, value)
            self._set_composite_vars(self.get_option('compose'), variables, host, strict=strict)
            self._add_host_to_composed_groups(self.get_option('groups'), variables, host, strict=strict)
            self._add_host_to_keyed_groups(self.get_option('keyed_groups'), variables, host, strict=strict)
        for name in [host for host in fleet['hosts'] if host in self.inventory.groups]:
            self.inventory.remove_host(self.inventory.get_host(name))
            invalid.append(self.shadowing(name, fleet['hosts'][name]))
        # Not hosts, but never silent: listed in the variable invalid_tenant_ids of all, and a warning.
        self.inventory.set_variable('all', INVALID, invalid)
        if invalid:
            display.warning(f"{self.NAME}: {len(invalid)} tenant ID(s) of the fleet cannot name a host and are left out (listed "
                            f"in the variable {INVALID}): " + '; '.join(invalid_line(entry) for entry in invalid))

    @staticmethod
    def shadowing(name, variables):
        live = variables.get('tenant_live') or {}
        return {
            'tenant_id': shown(name), 'problem': 'a group of this inventory has the same name; as a host it would shadow it',
            'tenant_exists': bool(live.get('tenant_exists')), 'subscriptions': [shown(sub) for sub in live.get('live_subscriptions') or []],
            'customers': [shown(live['customer_id'])] if live.get('customer_id') else []
        }
