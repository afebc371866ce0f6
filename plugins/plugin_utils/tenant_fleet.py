# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The live fleet: every tenant that Stripe or The Things Stack knows, in the tenant role's own variables.

Used by the inventory plugin ``thingsstack.tenancy.tenants``. Two bulk reads feed it (``read_fleet``): every
subscription of the account (``status=all``, customer expanded, prices embedded in the items) and every tenant of the
registry. ``build_fleet`` is pure: it turns them into one host per tenant ID, with the role's variables (so a host can be
written out as a declaration that provisions with no change), the live facts under ``tenant_live``, and the groups.

No secret is kept: the subscription metadata key ``admin-password`` is dropped when the subscriptions are read, before
anything can reach a cache, host variables or output.

What Stripe and TTS say is untrusted input: a tenant ID names a host only when it follows TTS's tenant ID rule and is no
name Ansible or this collection gives a group; the others are listed in ``invalid`` (``invalid_tenant_ids``), and every
value a report or a comment prints goes through ``shown`` (control characters escaped, length bounded).
"""

from __future__ import annotations

import re
import unicodedata

import yaml

from ansible_collections.thingsstack.tenancy.plugins.module_utils.tenant_limits import LIMIT_OPTIONS
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_prices import price_tbs_plan
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_subscriptions import ENDED, is_live, is_running, tenant_of
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import InvalidOption
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tenant_rules import (DEPRECATED_NAME_KEYS, SECRET_METADATA_KEYS,
                                                                                       SUBSCRIPTION_KEYS, check_existing_tenant_id,
                                                                                       check_tenant_id)
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tts_tenants import BILLING_PATH

# The tenant fields the role reads and compares (name, state and billing link in billing mode; every field TBS derives in
# direct mode; attributes and configuration in both), in the one list request.
TENANT_PATHS = ('name', 'description', 'contact_info') + LIMIT_OPTIONS + ('state', 'attributes', 'configuration', BILLING_PATH)
# The Stripe list calls of the bulk reads, by path: StripeApi.list_all reads a path as plain JSON, without the SDK's typed
# objects, which cost more than the request on pages of 100 subscriptions.
SUBSCRIPTIONS, CUSTOMERS = '/v1/subscriptions', '/v1/customers'
# The customer's plain text fields: read in bulk, and returned as tenant_customer variables when set.
CUSTOMER_TEXT_FIELDS = ('email', 'name', 'description', 'phone')
ADDRESS_FIELDS = ('line1', 'line2', 'city', 'state', 'postal_code', 'country')
ADMIN_KEYS = {'admin-user': 'user', 'admin-email': 'email', 'admin-full-name': 'full_name'}
TENANT_KEYS = frozenset(SUBSCRIPTION_KEYS.values())

MISMATCH_GROUPS = ('orphan_subscriptions', 'orphan_tenants', 'owner_mismatch', 'duplicate_tenant_ids')
# Live subscriptions the Tenant Billing Server would ignore (billing mode, no item on a TBS plan) or bill by item order
# (more than one item on a TBS plan: TBS takes the first).
TBS_GROUPS = ('tbs_unmatched_subscriptions', 'tbs_ambiguous_subscriptions')
ADOPTION_GROUP = 'adoption_proposed'
# Deprovisioned as the role leaves a tenant: suspended, its billing link naming its subscription, which has ended.
DEPROVISIONED_GROUP = 'deprovisioned'
INVALID = 'invalid_tenant_ids'
# Names a tenant ID could spell that Ansible or this collection's inventories give a group or the controller: such a host
# would shadow the group (``all``: the whole fleet) or run as the controller. Names with ``_`` never pass the ID rule.
RESERVED_NAMES = frozenset({'all', 'ungrouped', 'localhost', 'tenants'})
SHOWN_MAX = 80

ESCAPES = {'\n': '\\n', '\r': '\\r', '\t': '\\t'}


def shown(value, limit=SHOWN_MAX, backslash=True):
    """``value`` as one printable line: backslashes (unless ``backslash`` is false), control and format characters and
    line separators escaped (``\\n``, ``\\u001b``, ``\\u2028``), cut to ``limit`` characters with ``...``. For data from
    Stripe or TTS in a report, a message or a comment: a line break or a terminal escape in a name is shown, never acted on."""
    text = value if isinstance(value, str) else repr(value)
    cut = limit is not None and len(text) > limit
    escapes = dict(ESCAPES, **{'\\': '\\\\'}) if backslash else ESCAPES
    out = ''.join(escapes.get(char) or (f'\\u{ord(char):04x}' if _unprintable(char) else char) for char in text[:limit])
    return out + ('...' if cut else '')


def _unprintable(char):
    category = unicodedata.category(char)
    return category[0] == 'C' or category in ('Zl', 'Zp')


MARKDOWN_ESCAPES = {'&': '&amp;', '<': '&lt;', '>': '&gt;', **{char: '\\' + char for char in '\\`*[]|#!~'}}


def markdown_text(value):
    """``value`` as inline Markdown text that renders as itself: on one line (``shown``), HTML and the characters that
    make code, emphasis, links, headings or table cells escaped. ``None`` is ``-``."""
    if value is None:
        return '-'
    # Backslashes are escaped once, as Markdown: a value that is already shown escaped renders as it was shown.
    return ''.join(MARKDOWN_ESCAPES.get(char, char) for char in shown(value, None, backslash=False))


def tenant_id_problem(value, exists=False):
    """None when ``value`` may name a host, else why not. The rule of a tenant ID (``check_tenant_id``; for a tenant that
    exists in TTS ``check_existing_tenant_id``, which lets the registry's own blocklisted IDs such as ``default`` in),
    and never a name of ``RESERVED_NAMES``."""
    if not isinstance(value, str):
        return f"not a string ({type(value).__name__})"
    if value in RESERVED_NAMES:
        return 'a name Ansible or this collection gives a group or the controller; as a host it would shadow it'
    try:
        (check_existing_tenant_id if exists else check_tenant_id)('tenant-id', value)
    except InvalidOption as exc:
        return exc.msg.replace(repr(value), 'the value')  # the entry shows the value, escaped
    return None


def read_fleet(stripe, tts):
    """The raw fleet, by bulk list requests only: ceil(S/100) Stripe pages for S subscriptions (at least 1) and
    ceil(T/1000) TTS pages for T tenants (at least 1). Secret metadata is dropped here."""
    subscriptions = stripe.list_all(SUBSCRIPTIONS, params={'status': 'all', 'expand': ['data.customer']})
    return fleet_of(subscriptions, tts.list_tenants(list(TENANT_PATHS)))


def fleet_of(subscriptions, tenants):
    """The raw fleet of the two lists: the subscriptions that carry a tenant ID, without secret metadata, and the tenants."""
    return {'subscriptions': [brief_subscription(sub) for sub in subscriptions if tenant_of(sub)], 'tenants': list(tenants)}


def brief_subscription(sub):
    """What the fleet needs of a subscription (with its expanded customer and embedded prices), and no secret."""
    customer = sub.get('customer')
    if not isinstance(customer, dict):
        customer = {'id': customer}
    return {
        'id':
        sub['id'],
        'status':
        sub.get('status'),
        'created':
        sub.get('created'),
        'metadata': {key: value
                     for key, value in (sub.get('metadata') or {}).items() if key not in SECRET_METADATA_KEYS},
        'customer': {key: customer.get(key)
                     for key in ('id', 'deleted', 'address', 'metadata') + CUSTOMER_TEXT_FIELDS if key in customer},
        'items': [{
            'id': item.get('id'), 'quantity': item.get('quantity'), 'price':
            {key: (item.get('price') or {}).get(key)
             for key in ('id', 'lookup_key', 'metadata')}
        } for item in (sub.get('items') or {}).get('data') or []],
        'collection_method':
        sub.get('collection_method'),
        'days_until_due':
        sub.get('days_until_due'),
        'default_payment_method':
        sub.get('default_payment_method'),
        'cancel_at_period_end':
        bool(sub.get('cancel_at_period_end')),
    }


def group_name(*parts):
    """An Ansible group name: letters, digits and underscores (``plan_tts_small_monthly``)."""
    return re.sub(r'[^A-Za-z0-9_]', '_', '_'.join(str(part) for part in parts)).lower()


def state_name(tts_state):
    """``STATE_APPROVED`` -> ``approved``; a tenant without a state is ``requested`` (TTS omits the zero value)."""
    return (tts_state or 'STATE_REQUESTED').lower().replace('state_', '', 1)


def plan_item(sub, tbs_plans):
    """The item TBS would bill: the first whose price (ID or lookup key) is a TBS plan, else the first item."""
    items = sub.get('items') or []
    for item in items:
        if {item['price'].get('id'), item['price'].get('lookup_key')} & set(tbs_plans):
            return item
    return items[0] if items else None


def tbs_plan_prices(sub, tbs_plans):
    """The price IDs of the subscription's items that are TBS plans: marked as one in the price's metadata (the prices
    come embedded in the bulk list, so this costs no request) or listed in ``tbs_plans`` (ID or lookup key)."""
    listed = set(tbs_plans)
    return [
        item['price'].get('id') for item in sub.get('items') or []
        if price_tbs_plan(item['price']) or {item['price'].get('id'), item['price'].get('lookup_key')} & listed
    ]


def marked_plans(subs):
    """The IDs of the marked TBS plans that the items of ``subs`` show."""
    return {item['price']['id'] for sub in subs for item in sub.get('items') or [] if price_tbs_plan(item['price'])}


def provisioning(sub, tbs_plans):
    """billing when the Tenant Billing Server manages the subscription's plan (``tbs_plans``), else direct."""
    item = plan_item(sub, tbs_plans)
    price = item['price'] if item else {}
    return 'billing' if {price.get('id'), price.get('lookup_key')} & set(tbs_plans) else 'direct'


def role_state(sub, tenant, mode):
    """(tenant_state, tenant_cancel_at_period_end) of the role that matches the live subscription and tenant."""
    if not is_live(sub):
        # Canceled: TBS suspended the tenant (billing: suspended); direct mode suspends it itself (absent cancels too).
        return ('suspended' if mode == 'billing' else 'absent'), False
    if sub.get('cancel_at_period_end'):
        return ('suspended' if mode == 'billing' else 'absent'), True
    if mode == 'direct' and is_running(sub) and tenant and state_name(tenant.get('state')) == 'suspended':
        return 'suspended', False
    return 'present', False


def customer_vars(customer):
    declared = {key: customer[key] for key in CUSTOMER_TEXT_FIELDS if customer.get(key)}
    address = {key: value for key, value in (customer.get('address') or {}).items() if key in ADDRESS_FIELDS and value}
    if address:
        declared['address'] = address
    if customer.get('metadata'):
        declared['metadata'] = dict(customer['metadata'])
    return declared


def plan_vars(sub, item):
    price = item['price']
    plan = {'price': price.get('lookup_key') or price['id']}
    if item.get('quantity') not in (None, 1):
        plan['quantity'] = item['quantity']
    if sub.get('collection_method'):
        plan['collection_method'] = sub['collection_method']
    if sub.get('collection_method') == 'send_invoice' and sub.get('days_until_due') is not None:
        plan['days_until_due'] = sub['days_until_due']
    if sub.get('default_payment_method'):
        plan['default_payment_method'] = sub['default_payment_method']
    # Free keys only: the tenant keys have their own variables, and the role refuses the deprecated name keys.
    free = {key: value for key, value in (sub.get('metadata') or {}).items() if key not in TENANT_KEYS and key not in DEPRECATED_NAME_KEYS}
    if free:
        plan['metadata'] = free
    return plan


def limits_of(tenant):
    return {option: (int(tenant[option]) if tenant.get(option) not in (None, '') else None) for option in LIMIT_OPTIONS}


def host_vars(tenant_id, subs, tenant, tbs_plans, billing=False, known_plans=()):
    """The role's variables and ``tenant_live`` of one tenant ID: its subscriptions (newest first) and its tenant (or None).

    ``billing``: the tenant is declared in billing mode. ``known_plans``: the IDs of every TBS plan the fleet shows; a
    tenant whose billing link names one was managed by TBS, so its subscription counts as billing mode too."""
    live = [sub for sub in subs if is_live(sub)]
    link = ((tenant or {}).get('billing') or {}).get('stripe') or {}
    # The subscription the tenant's billing link names, else the newest live one, else the newest.
    sub = next((s for s in subs if s['id'] == link.get('subscription_id') and is_live(s)), None) or (live or subs or [None])[0]
    hv = {'ansible_connection': 'local'}
    live_facts = {
        'tenant_exists': tenant is not None,
        'tenant_state': state_name(tenant.get('state')) if tenant is not None else None,
        'name': (tenant or {}).get('name'),
        'billing': dict(link) or None,
        'limits': limits_of(tenant) if tenant is not None else None,
        'subscription_id': sub['id'] if sub else None,
        'subscription_status': sub['status'] if sub else None,
        'live_subscriptions': [s['id'] for s in live],
        'customer_id': sub['customer'].get('id') if sub else None,
        'plan_id': None,
        'plan_lookup_key': None,
        'tbs_plan_prices': None,
        'tbs_billing': bool(billing) or link.get('plan_id') in set(known_plans) | set(tbs_plans),
    }
    if sub is not None:
        mode = provisioning(sub, tbs_plans)
        item = plan_item(sub, tbs_plans)
        state, at_period_end = role_state(sub, tenant, mode)
        hv['tenant_provisioning'] = mode
        hv['tenant_state'] = state
        if at_period_end:
            hv['tenant_cancel_at_period_end'] = True
        hv['tenant_customer_id'] = sub['customer']['id']
        live_facts['tbs_plan_prices'] = tbs_plan_prices(sub, tbs_plans)
        live_facts['tbs_billing'] = live_facts['tbs_billing'] or mode == 'billing'
        customer = customer_vars(sub['customer'])
        if customer:
            hv['tenant_customer'] = customer
        metadata = sub.get('metadata') or {}
        for option in ('tenant_name', 'tenant_description'):
            if metadata.get(SUBSCRIPTION_KEYS[option]):
                hv[option] = metadata[SUBSCRIPTION_KEYS[option]]
        admin = {name: metadata[key] for key, name in ADMIN_KEYS.items() if metadata.get(key)}
        if admin:
            hv['tenant_admin'] = admin
        if item is not None:
            hv['tenant_plan'] = plan_vars(sub, item)
            live_facts['plan_id'] = item['price']['id']
            live_facts['plan_lookup_key'] = item['price'].get('lookup_key')
    if tenant is not None:
        if tenant.get('attributes'):
            hv['tenant_attributes'] = dict(tenant['attributes'])
        if tenant.get('configuration'):
            hv['tenant_configuration'] = tenant['configuration']
    hv['tenant_live'] = live_facts
    return hv


def deprovisioned(live):
    """A suspended tenant whose billing link names its newest subscription, which has ended: no mismatch."""
    return (live['tenant_state'] == 'suspended' and not live['live_subscriptions'] and bool(live['billing'])
            and live['subscription_id'] is not None and live['billing'].get('subscription_id') == live['subscription_id']
            and live['subscription_status'] in ENDED)


def host_groups(tenant_id, hv):
    """The groups of one host, from its variables."""
    live = hv['tenant_live']
    groups = [group_name('subscription', live['subscription_status'] or 'none'), group_name('tenant', live['tenant_state'] or 'none')]
    if live['plan_id']:
        groups.append(group_name('plan', live['plan_lookup_key'] or live['plan_id']))
    if hv.get('tenant_provisioning'):
        groups.append(group_name('provisioning', hv['tenant_provisioning']))
    if not live['tenant_exists']:
        groups.append('orphan_subscriptions')
    elif deprovisioned(live):
        groups.append(DEPROVISIONED_GROUP)
    elif not live['live_subscriptions'] or not live['billing']:
        groups.append('orphan_tenants')
    if live['tenant_exists'] and live['billing'] and live['customer_id'] and live['billing'].get('customer_id') != live['customer_id']:
        groups.append('owner_mismatch')
    if len(live['live_subscriptions']) > 1:
        groups.append('duplicate_tenant_ids')
    if live['tenant_exists'] and not live['billing'] and live['subscription_id']:
        groups.append(ADOPTION_GROUP)
    if live['subscription_id'] in live['live_subscriptions'] and live.get('tbs_plan_prices') is not None:
        if len(live['tbs_plan_prices']) > 1:
            groups.append('tbs_ambiguous_subscriptions')
        elif not live['tbs_plan_prices'] and live.get('tbs_billing'):
            groups.append('tbs_unmatched_subscriptions')
    return groups


def build_fleet(fleet, tbs_plans=(), billing=()):
    """``{'hosts': {tenant_id: host variables}, 'groups': {group: [tenant_id, ...]}, 'invalid': [...]}`` of the raw fleet
    of ``read_fleet``.

    A host for every tenant of the registry and every tenant ID a live subscription carries; a tenant ID that only ended
    subscriptions carry, with no tenant (a deleted tenant's history), is left out. A tenant ID that cannot name a host
    (``tenant_id_problem``) is no host: it is an entry of ``invalid`` (``invalid_entry``). ``billing``: the tenant IDs
    declared in billing mode (the audit's; they make ``tbs_unmatched_subscriptions`` of a subscription with no TBS plan).
    """
    tenants = {}
    for tenant in fleet.get('tenants') or []:
        tenant_id = ((tenant or {}).get('ids') or {}).get('tenant_id')
        tenants[tenant_id if isinstance(tenant_id, str) else repr(tenant_id)] = tenant
    subs = {}
    for sub in sorted(fleet.get('subscriptions') or [], key=lambda s: s.get('created') or 0, reverse=True):
        if tenant_of(sub):
            subs.setdefault(str(tenant_of(sub)), []).append(sub)
    ids = set(tenants) | {tenant_id for tenant_id, found in subs.items() if any(is_live(sub) for sub in found)}
    hosts, groups, invalid = {}, {name: [] for name in MISMATCH_GROUPS + (ADOPTION_GROUP, DEPROVISIONED_GROUP) + TBS_GROUPS}, []
    known_plans, billing = marked_plans(fleet.get('subscriptions') or []), set(billing)
    for tenant_id in sorted(ids):
        problem = tenant_id_problem(tenant_id, exists=tenant_id in tenants)
        if problem:
            invalid.append(invalid_entry(tenant_id, problem, subs.get(tenant_id, []), tenant_id in tenants))
            continue
        hv = host_vars(tenant_id, subs.get(tenant_id, []), tenants.get(tenant_id), tbs_plans, tenant_id in billing, known_plans)
        hosts[tenant_id] = hv
        for group in host_groups(tenant_id, hv):
            groups.setdefault(group, []).append(tenant_id)
    return {'hosts': hosts, 'groups': groups, 'invalid': invalid}


def invalid_entry(tenant_id, problem, subs, tenant_exists):
    """What the reports say of a tenant ID that names no host: everything shown escaped (``shown``)."""
    return {
        'tenant_id': shown(tenant_id), 'problem': problem, 'tenant_exists': tenant_exists, 'subscriptions':
        [shown(sub.get('id')) for sub in subs if is_live(sub)], 'customers':
        sorted({shown((sub.get('customer') or {}).get('id'))
                for sub in subs if is_live(sub)})
    }


def invalid_line(entry):
    """One line of an ``invalid`` entry (already escaped), for messages and comments."""
    where = ', '.join(
        filter(None, [
            'tenant in The Things Stack' if entry['tenant_exists'] else '',
            'subscriptions ' + ', '.join(entry['subscriptions']) if entry['subscriptions'] else '',
            'customers ' + ', '.join(entry['customers']) if entry['customers'] else ''
        ]))
    return f"\"{entry['tenant_id']}\" ({where or '-'}): {entry['problem']}"


# -- export: live hosts as a declarative inventory ---------------------------------------------------

# The role's variables a host of the fleet may carry, in the order a declaration lists them; tenant_provisioning goes to
# the group variables of billing_tenants / direct_tenants, as in playbooks/inventory/example.
DECLARED_VARS = ('tenant_name', 'tenant_description', 'tenant_customer_id', 'tenant_customer', 'tenant_plan', 'tenant_admin',
                 'tenant_state', 'tenant_cancel_at_period_end', 'tenant_attributes', 'tenant_configuration', 'tenant_adopt')
EXPORT_VARS = DECLARED_VARS + ('tenant_provisioning', 'tenant_live')
MODE_GROUPS = {'billing': 'billing_tenants', 'direct': 'direct_tenants'}
ATTENTION = {
    'orphan_subscriptions': 'no tenant: provisioning creates it (direct) or waits for the Tenant Billing Server (billing)',
    'owner_mismatch': "the tenant's billing link names another customer: the role refuses it (customer_id_mismatch) until "
    'tenant_customer_id or tenant_adopt says which customer owns it',
    'duplicate_tenant_ids': 'several live subscriptions carry the tenant ID: the role refuses it until all but one are canceled',
}
HEADER = """\
# Written by thingsstack.tenancy.export from the live fleet (inventory plugin thingsstack.tenancy.tenants).
# One host per tenant, in the format of playbooks/inventory/example; provisioning it right away changes nothing, and
# refuses the proposed adoptions below until an operator confirms them.
"""
ADOPTION_HELP = """\
# Proposed adoptions: tenants made without billing.stripe that a subscription claims. They are written with
# tenant_adopt: false, so provisioning refuses them (tenant_not_managed) and binds nothing. To confirm one, check that
# the customer owns the tenant, set tenant_adopt: true on its host below, provision, then remove tenant_adopt.
"""
INVALID_HELP = """\
# Tenant IDs of the fleet that cannot name a host, not exported (fix the tenant-id metadata of the subscription):
"""


def plain(value):
    """Plain Python data: host variables may hold Ansible's tagged strings and lazy containers. Keys keep their type (a
    key that is no string stays one, for the checks that refuse it)."""
    if isinstance(value, dict) or hasattr(value, 'items'):
        return {str.__str__(key) if isinstance(key, str) else key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str.__str__(value) if isinstance(value, str) else value


def export_fleet(hosts, invalid=()):
    """The declarative inventory of fleet hosts (``{name: host variables}``): ``hosts`` with the hosts that have a
    subscription (in billing_tenants / direct_tenants), ``skipped`` (no subscription: no customer or plan to declare),
    ``proposed`` (adoptions to confirm: written with ``tenant_adopt: false``), ``attention`` (host -> why provisioning
    would change or refuse it) and ``invalid`` (``invalid``, the fleet's tenant IDs that name no host, and any host
    name that breaks the rule)."""
    children = {group: {} for group in MODE_GROUPS.values()}
    skipped, proposed, attention, invalid = [], [], {}, list(invalid)
    for name in sorted(hosts):
        # Only the variables the export reads: a host's variables also hold Ansible's (groups, play hosts), which name
        # every host of the fleet, so converting all of them would cost O(N) a host, O(N^2) an export.
        hv = plain({key: hosts[name][key] for key in EXPORT_VARS if key in hosts[name]})
        problem = tenant_id_problem(name, exists=hv['tenant_live'].get('tenant_exists'))
        if problem:
            invalid.append({
                'tenant_id': shown(name), 'problem': problem, 'tenant_exists': bool(hv['tenant_live'].get('tenant_exists')),
                'subscriptions': [shown(hv['tenant_live'].get('subscription_id'))], 'customers': []
            })
            continue
        if not hv.get('tenant_plan') or not hv.get('tenant_provisioning'):
            skipped.append(name)
            continue
        declared = {key: hv[key] for key in DECLARED_VARS if key in hv}
        if isinstance(declared.get('tenant_admin'), dict):
            # A password set in the fleet inventory's own variables is a secret: it stays there (or in a vault), never in the export.
            declared['tenant_admin'] = {key: value for key, value in declared['tenant_admin'].items() if key != 'password'}
        groups = host_groups(name, hv)
        if ADOPTION_GROUP in groups:
            declared['tenant_adopt'] = False  # proposed, not decided: an operator confirms the claim
            customer = hv.get('tenant_customer') or {}
            entry = {
                'tenant_id': name, 'subscription_id': shown(hv['tenant_live'].get('subscription_id')), 'customer_id':
                shown(hv.get('tenant_customer_id')), 'customer':
                shown(', '.join(str(customer[key]) for key in ('name', 'email') if customer.get(key)))
            }
            proposed.append(dict(entry, claim=proposal_line(entry)))
        children[MODE_GROUPS[hv['tenant_provisioning']]][name] = declared
        reasons = [ATTENTION[group] for group in groups if group in ATTENTION]
        if reasons:
            attention[name] = '; '.join(reasons)
    tenants = {'children': {group: {'hosts': members} for group, members in children.items() if members}}
    return {
        'inventory': {'all': {'children': {'tenants':
                                           tenants}}}, 'exported': sorted(name for members in children.values() for name in members),
        'skipped': skipped, 'proposed': proposed, 'attention': attention, 'invalid': invalid
    }


def proposal_line(entry):
    """One line of a proposed adoption (its values already escaped), for messages and comments."""
    return (f"{entry['tenant_id']}: claimed by subscription {entry['subscription_id']} of customer {entry['customer_id']}" +
            (f" ({entry['customer']})" if entry['customer'] else ''))


def export_header(exported):
    """The comment block of hosts.yml: what it is, the proposed adoptions and how to confirm them, the invalid tenant IDs."""
    header = HEADER
    if exported['proposed']:
        header += ADOPTION_HELP + ''.join(f"#   {entry['claim']}\n" for entry in exported['proposed'])
    if exported['invalid']:
        header += INVALID_HELP + ''.join(f"#   {invalid_line(entry)}\n" for entry in exported['invalid'])
    return header


class _InventoryDumper(yaml.SafeDumper):
    """Inventory YAML in which a value from Stripe or TTS that looks like a template stays data (``!unsafe``)."""

    def represent_str(self, data):
        if any(mark in data for mark in ('{{', '{%', '{#')):
            return self.represent_scalar('!unsafe', data)
        return super().represent_str(data)


_InventoryDumper.add_representer(str, _InventoryDumper.represent_str)


def inventory_yaml(data, header=HEADER):
    text = yaml.dump(data, Dumper=_InventoryDumper, default_flow_style=False, sort_keys=False, allow_unicode=True, width=120)
    return header + '---\n' + text


GROUP_VARS = {
    'group_vars/tenants.yml': '---\n# Every tenant host runs on the controller: the modules are action plugins that call Stripe and TTS.\n'
    'ansible_connection: local\nansible_python_interpreter: "{{ ansible_playbook_python }}"\n',
    'group_vars/billing_tenants.yml': '---\ntenant_provisioning: billing\n',
    'group_vars/direct_tenants.yml': '---\ntenant_provisioning: direct\n',
}


def export_files(hosts, invalid=()):
    """``export_fleet`` and the files of the inventory directory, by relative path."""
    exported = export_fleet(hosts, invalid)
    exported['files'] = dict(GROUP_VARS, **{'hosts.yml': inventory_yaml(exported['inventory'], export_header(exported))})
    return exported


# -- audit: the live fleet next to the declaration ---------------------------------------------------


def fleet_audit(fleet, declared, billing=()):
    """The fleet section of one audit run: the tenant IDs of the raw ``fleet`` that ``declared`` (the tenant IDs of the
    inventory) does not hold, the mismatch groups of the whole fleet, declared tenants included, and the live
    subscriptions of the TBS groups (``billing``: the tenant IDs declared in billing mode)."""
    built = build_fleet(fleet, billing=billing)
    declared = set(declared)
    undeclared = []
    for tenant_id, hv in built['hosts'].items():
        if tenant_id in declared:
            continue
        live = hv['tenant_live']
        undeclared.append({
            'tenant_id': tenant_id,
            'tenant_state': live['tenant_state'],
            'subscription_id': live['subscription_id'],
            'subscription_status': live['subscription_status'],
            'live_subscriptions': live['live_subscriptions'],
            'customer_id': live['customer_id'],
            'mismatches': [group for group in host_groups(tenant_id, hv) if group in MISMATCH_GROUPS],
        })
    tbs = {group: [tbs_entry(tenant_id, built['hosts'][tenant_id]) for tenant_id in built['groups'][group]] for group in TBS_GROUPS}
    return {
        'live_tenant_ids': len(built['hosts']), 'undeclared': undeclared, 'mismatches':
        {group: built['groups'][group]
         for group in MISMATCH_GROUPS}, INVALID: built['invalid'], **tbs
    }


def tbs_entry(tenant_id, hv):
    """A subscription of a TBS group in the audit: its tenant ID, ID and the items' TBS plans in item order."""
    live = hv['tenant_live']
    return {
        'tenant_id': tenant_id, 'subscription_id': live['subscription_id'], 'customer_id': live['customer_id'], 'tbs_plans':
        live['tbs_plan_prices']
    }


def combine_fleets(fleets, declared):
    """One fleet section of several (the slices of a sliced run each read the fleet and know their own hosts only): a
    tenant ID is undeclared when no slice declares it, and not in ``declared`` (the tenant IDs audited)."""
    read = [fleet for fleet in fleets if not fleet.get('error')]
    common = set.intersection(*({entry['tenant_id'] for entry in fleet['undeclared']} for fleet in read)) if read else set()
    undeclared = {}
    for fleet in read:
        for entry in fleet['undeclared']:
            if entry['tenant_id'] in common - set(declared):
                undeclared.setdefault(entry['tenant_id'], entry)
    entries = [undeclared[tenant_id] for tenant_id in sorted(undeclared)]
    invalid = {}
    for fleet in read:
        for entry in fleet.get(INVALID) or []:
            invalid.setdefault(entry['tenant_id'], entry)
    return {
        'live_tenant_ids': max((fleet['live_tenant_ids'] for fleet in read), default=0),
        'undeclared': entries,
        'undeclared_tenants': [entry['tenant_id'] for entry in entries if entry['tenant_state'] is not None],
        'undeclared_subscriptions': sorted(sub for entry in entries for sub in entry['live_subscriptions']),
        'mismatches':
        {group: sorted({tenant_id
                        for fleet in read
                        for tenant_id in fleet['mismatches'].get(group, [])})
         for group in MISMATCH_GROUPS},
        INVALID: [invalid[tenant_id] for tenant_id in sorted(invalid)],
        # The union over the slices: each slice knows which of its own tenants are declared in billing mode.
        **{
            group:
            sorted({entry['subscription_id']: entry
                    for fleet in read
                    for entry in fleet.get(group) or []}.values(), key=lambda entry: (entry['tenant_id'], entry['subscription_id']))
            for group in TBS_GROUPS
        },
        'error': '; '.join(fleet['error'] for fleet in fleets if fleet.get('error')) or None,
    }


def combine_usages(usages):
    """One usage section of several (``{'kinds', 'error'}`` each, the slices'): the kinds any read, the errors joined."""
    return {
        'kinds': list(dict.fromkeys(kind for usage in usages for kind in usage.get('kinds') or [])), 'error':
        '; '.join(usage['error'] for usage in usages if usage.get('error')) or None
    }


def audit_report(tenants, fleets=None, usages=None):
    """The audit report (without its time stamp): ``tenants``, the check of each declared tenant (with its ``usage``),
    sorted, with the summary; the fleet section combined of ``fleets`` (each from ``fleet_audit``, or ``{'error': msg}``
    when the read failed; None or empty: the fleet was not read); and the usage section of ``usages`` (the kinds read and
    the error of a failed read; empty: the usage was not read)."""
    tenants = sorted(tenants, key=lambda tenant: tenant['tenant_id'])
    checked = [tenant for tenant in tenants if not tenant.get('error')]
    summary = {
        'tenants': len(tenants), 'in_sync': sum(1 for tenant in checked if not tenant['drift']), 'drifted':
        sum(1 for tenant in checked if tenant['drift']), 'errors': len(tenants) - len(checked)
    }
    report = {'tenants': tenants, 'summary': summary, 'fleet': None, 'usage': combine_usages(usages) if usages else None}
    if fleets:
        fleet = report['fleet'] = combine_fleets(fleets, {tenant['tenant_id'] for tenant in tenants})
        summary.update(
            {
                'undeclared_tenants': len(fleet['undeclared_tenants']), 'undeclared_subscriptions': len(fleet['undeclared_subscriptions']),
                INVALID: len(fleet[INVALID])
            }, **{group: len(fleet['mismatches'][group])
                  for group in MISMATCH_GROUPS}, **{group: len(fleet[group])
                                                    for group in TBS_GROUPS})
    return report
