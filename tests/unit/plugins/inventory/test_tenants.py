# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inventory plugin thingsstack.tenancy.tenants: the fleet's mapping to the role's variables and groups (pure), and
the plugin through ansible-core's inventory machinery with fake clients."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from ansible import constants as C
from ansible.errors import AnsibleFilterError, AnsibleParserError
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import fragment_loader
from ansible.utils.plugin_docs import get_docstring

from ansible_collections.thingsstack.tenancy.plugins.inventory import tenants as plugin
from ansible_collections.thingsstack.tenancy.plugins.filter.tenant_export import (filter_tenant_export, filter_tenant_inventory_hosts)
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tenant_fleet import (TENANT_PATHS, brief_subscription, build_fleet,
                                                                                       export_files, group_name, read_fleet, shown)

TBS = ['tts-small-monthly']
KEY = 'ab' * 32

ACME_ADDRESS = {'line1': 'Street 1', 'city': 'Berlin', 'postal_code': '10115', 'country': 'DE'}
PLAN_OF_ACME = {'price': 'tts-small-monthly', 'collection_method': 'send_invoice', 'days_until_due': 30, 'metadata': {'crm': '42'}}


def customer(cid='cus_acme', **fields):
    return dict(
        {
            'id': cid, 'object': 'customer', 'email': f'billing@{cid}.example', 'name': f'{cid} Ltd', 'description': None, 'phone': None,
            'metadata': {}, 'address':
            {'line1': 'Street 1', 'line2': None, 'city': 'Berlin', 'state': None, 'postal_code': '10115', 'country': 'DE'}
        }, **fields)


def subscription(sid, tenant_id, cid='cus_acme', status='active', lookup_key='tts-small-monthly', created=100, **fields):
    metadata = {'tenant-id': tenant_id} if tenant_id else {}
    metadata.update(fields.pop('metadata', {}))
    return dict(
        {
            'id': sid,
            'object': 'subscription',
            'status': status,
            'created': created,
            'metadata': metadata,
            'customer': customer(cid),
            'collection_method': 'send_invoice',
            'days_until_due': 30,
            'default_payment_method': None,
            'cancel_at_period_end': False,
            'items': {
                'object':
                'list', 'has_more':
                False, 'data': [{
                    'id': f'si_{sid}', 'quantity': 1, 'price':
                    {'id': f'price_{lookup_key}', 'lookup_key': lookup_key, 'metadata': {'max-users': '10'}}
                }]
            },
        }, **fields)


def tenant(tenant_id, sid=None, cid='cus_acme', state='STATE_APPROVED', **fields):
    found = dict({'ids': {'tenant_id': tenant_id}, 'name': tenant_id, 'state': state, 'max_users': '10'}, **fields)
    if sid:
        found['billing'] = {
            'stripe':
            {'customer_id': cid, 'plan_id': 'price_tts-small-monthly', 'subscription_id': sid, 'subscription_item_id': f'si_{sid}'}
        }
    return found


def fleet(subscriptions=(), tenants=()):
    return build_fleet({'subscriptions': [brief_subscription(sub) for sub in subscriptions], 'tenants': list(tenants)}, TBS)


def groups_of(built, host):
    return sorted(group for group, members in built['groups'].items() if host in members)


def test_a_tenant_billed_through_tbs_has_the_role_variables_and_its_live_facts():
    sub = subscription(
        'sub_1', 'acme', metadata={
            'tenant-name': 'Acme', 'tenant-description': 'Fleet', 'admin-user': 'ada', 'admin-email': 'ada@acme.example', 'admin-full-name':
            'Ada', 'admin-password': 'hunter2-secret', 'crm': '42', 'company': 'Old'
        })
    built = fleet([sub], [tenant('acme', 'sub_1', attributes={'crm-id': '4711'})])
    hv = built['hosts']['acme']
    expected = {
        'ansible_connection': 'local',
        'tenant_provisioning': 'billing',
        'tenant_state': 'present',
        'tenant_customer_id': 'cus_acme',
        'tenant_customer': {'email': 'billing@cus_acme.example', 'name': 'cus_acme Ltd', 'address': ACME_ADDRESS},
        'tenant_name': 'Acme',
        'tenant_description': 'Fleet',
        'tenant_admin': {'user': 'ada', 'email': 'ada@acme.example', 'full_name': 'Ada'},
        # free metadata only: the tenant keys have their own variables, the deprecated 'company' is refused by the role
        'tenant_plan': PLAN_OF_ACME,
        'tenant_attributes': {'crm-id': '4711'},
    }
    assert {key: value for key, value in hv.items() if key != 'tenant_live'} == expected
    live = hv['tenant_live']
    assert live['subscription_id'] == 'sub_1' and live['subscription_status'] == 'active'
    assert live['tenant_state'] == 'approved' and live['billing']['subscription_item_id'] == 'si_sub_1'
    assert live['limits'] == {
        'max_applications': None, 'max_clients': None, 'max_end_devices': None, 'max_gateways': None, 'max_organizations': None,
        'max_users': 10
    }
    assert groups_of(built, 'acme') == ['plan_tts_small_monthly', 'provisioning_billing', 'subscription_active', 'tenant_approved']
    assert 'hunter2-secret' not in json.dumps(built)


def test_the_provisioning_mode_follows_the_plans_tbs_manages():
    built = fleet([subscription('sub_1', 'globex', lookup_key='tts-large-monthly'),
                   subscription('sub_2', 'nokey', lookup_key=None)],
                  [tenant('globex', 'sub_1'), tenant('nokey', 'sub_2')])
    assert built['hosts']['globex']['tenant_provisioning'] == 'direct'
    assert built['hosts']['globex']['tenant_plan']['price'] == 'tts-large-monthly'
    assert built['hosts']['nokey']['tenant_plan']['price'] == 'price_None'  # no lookup key: the price ID
    assert 'provisioning_direct' in groups_of(built, 'globex') and 'plan_price_none' in groups_of(built, 'nokey')
    by_id = build_fleet(
        {'subscriptions': [brief_subscription(subscription('sub_1', 'globex', lookup_key='tts-large-monthly'))], 'tenants': []},
        ['price_tts-large-monthly'])
    assert by_id['hosts']['globex']['tenant_provisioning'] == 'billing'


def test_tbs_groups_of_subscriptions_tbs_ignores_or_bills_by_item_order():

    def priced(sub, *prices):
        """``sub`` with one item per (price ID, TBS mark or None)."""
        sub['items']['data'] = [{
            'id': f"si_{price_id}", 'quantity': 1, 'price':
            {'id': price_id, 'lookup_key': None, 'metadata': {'tts-tbs-plan': mark} if mark else {}}
        } for price_id, mark in prices]
        return sub

    subs = [
        priced(subscription('sub_1', 'two'), ('price_addon', None), ('price_large', 'recurring'), ('price_meter', 'metered')),
        priced(subscription('sub_2', 'one'), ('price_large', 'recurring'), ('price_addon', None)),
        priced(subscription('sub_3', 'moved'), ('price_other', None)),
        priced(subscription('sub_4', 'direct'), ('price_other', None))
    ]
    tenants = [
        dict(tenant('moved', 'sub_3'),
             billing={'stripe': {'customer_id': 'cus_acme', 'plan_id': 'price_large', 'subscription_id': 'sub_3'}}),
        dict(tenant('direct', 'sub_4'),
             billing={'stripe': {'customer_id': 'cus_acme', 'plan_id': 'price_other', 'subscription_id': 'sub_4'}})
    ]
    built = build_fleet({'subscriptions': [brief_subscription(sub) for sub in subs], 'tenants': tenants}, [])
    assert built['groups']['tbs_ambiguous_subscriptions'] == ['two']
    assert built['hosts']['two']['tenant_live']['tbs_plan_prices'] == ['price_large', 'price_meter']
    assert built['hosts']['one']['tenant_live']['tbs_plan_prices'] == ['price_large']
    # TBS billed 'moved' on a marked plan (its billing link), and its subscription has no TBS plan now: TBS ignores it.
    assert built['groups']['tbs_unmatched_subscriptions'] == ['moved']
    assert built['hosts']['direct']['tenant_provisioning'] == 'direct'
    listed = build_fleet({'subscriptions': [brief_subscription(sub) for sub in subs], 'tenants': tenants}, ['price_other'])
    assert listed['groups']['tbs_unmatched_subscriptions'] == []
    assert groups_of(listed, 'direct') == ['plan_price_other', 'provisioning_billing', 'subscription_active', 'tenant_approved']


@pytest.mark.parametrize('status, at_period_end, tts_state, mode, expected', [
    ('active', False, 'STATE_APPROVED', 'tts-small-monthly', ('present', None)),
    ('trialing', False, 'STATE_APPROVED', 'tts-small-monthly', ('present', None)),
    ('canceled', False, 'STATE_SUSPENDED', 'tts-small-monthly', ('suspended', None)),
    ('canceled', False, 'STATE_SUSPENDED', 'tts-large-monthly', ('absent', None)),
    ('active', True, 'STATE_APPROVED', 'tts-small-monthly', ('suspended', True)),
    ('active', True, 'STATE_APPROVED', 'tts-large-monthly', ('absent', True)),
    ('active', False, 'STATE_SUSPENDED', 'tts-large-monthly', ('suspended', None)),
])
def test_the_role_state_that_matches_the_live_state(status, at_period_end, tts_state, mode, expected):
    sub = subscription('sub_1', 'acme', status=status, lookup_key=mode, cancel_at_period_end=at_period_end)
    hv = fleet([sub], [tenant('acme', 'sub_1', state=tts_state)])['hosts']['acme']
    assert (hv['tenant_state'], hv.get('tenant_cancel_at_period_end')) == expected


def test_the_mismatch_groups():
    built = fleet(
        [
            subscription('sub_orphan', 'nobody', created=1),
            subscription('sub_old', 'gone', status='canceled', created=1),  # a deleted tenant's history: no host
            subscription('sub_a', 'dup', cid='cus_a', created=1),
            subscription('sub_b', 'dup', cid='cus_b', created=2),
            subscription('sub_mine', 'moved', cid='cus_new'),
            subscription('sub_ended', 'lapsed', status='canceled'),
            subscription('sub_over', 'stillup', status='canceled'),  # ended, but its tenant still approved
            subscription('sub_hand', 'byhand'),
            subscription('sub_x', None)
        ],  # no tenant-id: not a tenant
        [
            tenant('dup', 'sub_a', cid='cus_a'),
            tenant('moved', 'sub_mine', cid='cus_old'),
            tenant('lapsed', 'sub_ended', state='STATE_SUSPENDED'),
            tenant('stillup', 'sub_over', state='STATE_APPROVED'),
            tenant('byhand'),
            tenant('bare')
        ])
    assert sorted(built['hosts']) == ['bare', 'byhand', 'dup', 'lapsed', 'moved', 'nobody', 'stillup']
    assert built['groups']['orphan_subscriptions'] == ['nobody']
    assert built['groups']['orphan_tenants'] == ['bare', 'byhand', 'stillup']
    assert built['groups']['deprovisioned'] == ['lapsed']  # suspended after its subscription ended: no mismatch
    assert built['groups']['owner_mismatch'] == ['moved']
    assert built['groups']['duplicate_tenant_ids'] == ['dup']
    assert built['groups']['subscription_none'] == ['bare'] and built['groups']['tenant_none'] == ['nobody']
    # The subscription the tenant's billing link names, not the newer duplicate.
    assert built['hosts']['dup']['tenant_live']['subscription_id'] == 'sub_a'
    assert built['hosts']['dup']['tenant_live']['live_subscriptions'] == ['sub_b', 'sub_a']
    # Made by hand without billing.stripe but subscribed: the adoption is proposed, never decided by the fleet.
    assert built['groups']['adoption_proposed'] == ['byhand']
    assert 'tenant_adopt' not in built['hosts']['byhand'] and 'tenant_adopt' not in built['hosts']['moved']
    # A tenant without any subscription has no customer or plan to declare.
    assert {'tenant_customer', 'tenant_plan', 'tenant_provisioning', 'tenant_state'}.isdisjoint(built['hosts']['bare'])


def test_group_names_are_safe():
    assert group_name('plan', 'tts-small.monthly/EU') == 'plan_tts_small_monthly_eu'


class FakeStripe:

    def __init__(self, subscriptions):
        self.subscriptions = subscriptions
        self.calls = []

    def list_all(self, method, params=None):
        self.calls.append((method, params))
        return self.subscriptions


class FakeTts:

    def __init__(self, tenants):
        self.tenants = tenants
        self.calls = []

    def list_tenants(self, paths):
        self.calls.append(paths)
        return self.tenants


def test_the_fleet_is_read_by_two_bulk_lists_without_secrets():
    stripe = FakeStripe([subscription('sub_1', 'acme', metadata={'admin-password': 'hunter2-secret'}), subscription('sub_2', None)])
    tts = FakeTts([tenant('acme', 'sub_1')])
    raw = read_fleet(stripe, tts)
    assert stripe.calls == [('/v1/subscriptions', {'status': 'all', 'expand': ['data.customer']})]
    assert tts.calls == [list(TENANT_PATHS)]
    assert [sub['id'] for sub in raw['subscriptions']] == ['sub_1']
    assert 'hunter2-secret' not in json.dumps(raw)


# -- the plugin, as ansible-inventory runs it ------------------------------------------------------


@pytest.fixture
def source(tmp_path, monkeypatch):
    for name in ('STRIPE_API_KEY', 'STRIPE_API_BASE', 'TTS_URL', 'TTS_TENANT_ADMIN_KEY'):
        monkeypatch.delenv(name, raising=False)

    def write(text, name='fleet.tenants.yml'):
        path = tmp_path / name
        path.write_text(text)
        return str(path)

    return write


@pytest.fixture
def fakes(monkeypatch):
    stripe = FakeStripe([subscription('sub_1', 'acme')])
    tts = FakeTts([tenant('acme', 'sub_1')])
    monkeypatch.setattr(plugin.stripe_api, 'get_api', lambda params: stripe)
    monkeypatch.setattr(plugin.tts_api, 'get_api', lambda params: tts)
    return stripe, tts


def parse(path, cache=True):
    inventory = InventoryData()
    module = plugin.InventoryModule()
    module._load_name = module.NAME
    # What the plugin loader does when it loads the plugin: its options, with the doc fragments', become config definitions.
    docs = get_docstring(plugin.__file__, fragment_loader, collection_name='thingsstack.tenancy')[0]
    C.config.initialize_plugin_configuration_definitions('inventory', module.NAME, docs['options'])
    module.parse(inventory, DataLoader(), path, cache=cache)
    try:
        module.update_cache_if_changed()  # as ansible-core's InventoryManager does after parse
    except AttributeError:  # no cache configured
        pass
    return inventory


CONNECTION = f"""plugin: thingsstack.tenancy.tenants
stripe_api_key: sk_test_unit
stripe_api_base: http://127.0.0.1:1
tts_url: http://127.0.0.1:2
tts_tenant_admin_key: {KEY}
tbs_plans: [tts-small-monthly]
"""


def test_only_tenants_files_are_taken(source):
    assert plugin.InventoryModule().verify_file(source(CONNECTION))
    assert plugin.InventoryModule().verify_file(source(CONNECTION, 'x.tenants.yaml'))
    assert not plugin.InventoryModule().verify_file(source(CONNECTION, 'hosts.yml'))


def test_a_wrong_file_name_says_the_name_must_end_in_tenants_yml(source, monkeypatch):
    warnings = []
    monkeypatch.setattr(plugin.display, 'warning', warnings.append)
    assert not plugin.InventoryModule().verify_file(source(CONNECTION, 'fleet.yml'))
    assert len(warnings) == 1 and "must end in '.tenants.yml'" in warnings[0] and 'fleet.yml' in warnings[0]
    assert not plugin.InventoryModule().verify_file(source('all:\n  hosts:\n    acme: {}\n', 'hosts.yml'))
    assert len(warnings) == 1  # another inventory file is not this plugin's: no hint


@pytest.mark.parametrize('extra, message', [
    ('tbs_plan: [tts-small-monthly]\n', 'unknown option tbs_plan; did you mean tbs_plans?'),
    ('keyed_group: []\n', 'unknown option keyed_group; did you mean keyed_groups?'),
])
def test_an_unknown_option_fails_the_source_naming_the_nearest_before_any_request(source, fakes, extra, message):
    with pytest.raises(AnsibleParserError, match=re.escape(message)) as error:
        parse(source(CONNECTION + extra))
    assert KEY not in str(error.value) and 'sk_test_unit' not in str(error.value)
    assert fakes[0].calls == [] and fakes[1].calls == []


def test_hosts_groups_and_constructed_options(source, fakes):
    inventory = parse(
        source(CONNECTION + "compose:\n  limit_users: tenant_live.limits.max_users\n"
               "keyed_groups:\n  - key: tenant_customer.address.country\n    prefix: country\n"
               "groups:\n  small: tenant_plan.price == 'tts-small-monthly'\n"))
    host = inventory.get_host('acme')
    assert host.vars['tenant_state'] == 'present' and host.vars['limit_users'] == 10
    assert {group.name for group in host.get_groups()} >= {'subscription_active', 'provisioning_billing', 'country_DE', 'small'}


@pytest.mark.parametrize('text, message', [
    (CONNECTION.replace('stripe_api_key: sk_test_unit\n', ''), 'stripe_api_key must be set, in the inventory source or as STRIPE_API_KEY'),
    (CONNECTION.replace('tts_url: http://127.0.0.1:2\n', ''), 'tts_url must be set, in the inventory source or as TTS_URL'),
    (CONNECTION.replace('sk_test_unit', 'pk_test_unit'), 'stripe_api_key: must be a Stripe secret key'),
    (CONNECTION.replace('http://127.0.0.1:2',
                        'http://tts.example.com'), "tts_url: 'http://tts.example.com' would send the credentials in cleartext"),
    (CONNECTION.replace(KEY, 'xyz'), 'tts_tenant_admin_key: must be hex-encoded'),
])
def test_bad_connection_options_fail_naming_the_option_before_any_request(source, fakes, text, message):
    with pytest.raises(AnsibleParserError, match=message) as error:
        parse(source(text))
    assert KEY not in str(error.value) and 'sk_test_unit' not in str(error.value)
    assert fakes[0].calls == [] and fakes[1].calls == []


def test_the_cache_holds_the_fleet_without_credentials(source, fakes, tmp_path):
    cache_dir = tmp_path / 'cache'
    path = source(CONNECTION + f"cache: true\ncache_plugin: jsonfile\ncache_connection: {cache_dir}\n")
    parse(path, cache=False)  # ansible-inventory --flush-cache, or the first run: read and write the cache
    parse(path, cache=True)  # read from the cache: no request
    assert len(fakes[0].calls) == 1 and len(fakes[1].calls) == 1
    cached = ''.join(file.read_text() for file in cache_dir.iterdir())
    assert 'sub_1' in cached and 'sk_test_unit' not in cached and KEY not in cached


# -- export --------------------------------------------------------------------------------------


def test_the_export_declares_the_subscribed_tenants_by_mode_and_says_what_provisioning_would_do():
    built = fleet([
        subscription('sub_1', 'acme', metadata={'tenant-name': "{{ lookup('pipe', 'id') }}"}),
        subscription('sub_2', 'globex', lookup_key='tts-large-monthly'),
        subscription('sub_3', 'byhand'),
        subscription('sub_4', 'nobody')
    ], [tenant('acme', 'sub_1'), tenant('globex', 'sub_2'),
        tenant('byhand'), tenant('bare')])
    exported = export_files(built['hosts'])
    assert exported['exported'] == ['acme', 'byhand', 'globex', 'nobody'] and exported['skipped'] == ['bare']
    assert exported['proposed'] == [{
        'tenant_id':
        'byhand', 'subscription_id':
        'sub_3', 'customer_id':
        'cus_acme', 'customer':
        'cus_acme Ltd, billing@cus_acme.example', 'claim':
        'byhand: claimed by subscription sub_3 of customer cus_acme '
        '(cus_acme Ltd, billing@cus_acme.example)'
    }]
    assert list(exported['attention']) == ['nobody']
    text = exported['files']['hosts.yml']
    assert "tenant_name: !unsafe '{{ lookup(''pipe'', ''id'') }}'" in text  # data from Stripe is never templated
    groups = yaml.safe_load(text.replace('!unsafe ', ''))['all']['children']['tenants']['children']
    assert set(groups['billing_tenants']['hosts']) == {'acme', 'byhand', 'nobody'}
    # Proposed, not decided: written so that provisioning refuses it, with the claim and how to confirm it.
    assert groups['billing_tenants']['hosts']['byhand']['tenant_adopt'] is False
    assert 'tenant_adopt' not in groups['billing_tenants']['hosts']['acme']
    assert '#   byhand: claimed by subscription sub_3 of customer cus_acme (cus_acme Ltd, billing@cus_acme.example)\n' in text
    assert 'set tenant_adopt: true on its host below' in text
    assert groups['direct_tenants']['hosts']['globex'] == {
        'tenant_customer_id': 'cus_acme', 'tenant_customer': built['hosts']['globex']['tenant_customer'], 'tenant_plan':
        {'price': 'tts-large-monthly', 'collection_method': 'send_invoice', 'days_until_due': 30}, 'tenant_state': 'present'
    }
    assert 'tenant_live' not in text and 'tenant_provisioning' not in text
    assert yaml.safe_load(exported['files']['group_vars/direct_tenants.yml']) == {'tenant_provisioning': 'direct'}


class _HostVars(dict):
    """Host variables as Ansible gives them: reading a variable renders it, and the magic ones name every host."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.read = []

    def __getitem__(self, key):
        self.read.append(key)
        return super().__getitem__(key)

    def items(self):
        raise AssertionError('the export converted every variable of the host')


def test_the_export_reads_only_the_variables_it_declares_not_those_naming_the_whole_fleet():
    built = fleet([subscription('sub_1', 'acme')], [tenant('acme', 'sub_1')])
    everyone = ['tenant-%04d' % number for number in range(1000)]
    host = _HostVars(built['hosts']['acme'], groups={'all': everyone}, ansible_play_hosts=everyone)
    exported = export_files({'acme': host})
    assert exported['exported'] == ['acme']
    assert 'groups' not in host.read and 'ansible_play_hosts' not in host.read and 'tenant_live' in host.read


def test_the_export_never_writes_the_admin_password_of_the_inventory_variables():
    built = fleet([subscription('sub_1', 'acme', metadata={'tenant-id': 'acme', 'admin-email': 'ops@acme.example'})],
                  [tenant('acme', 'sub_1')])
    host = dict(built['hosts']['acme'])
    host['tenant_admin'] = dict(host.get('tenant_admin') or {}, password='S3cret-pw')
    exported = export_files({'acme': host})
    assert 'S3cret-pw' not in json.dumps(exported['files']) and 'password' not in exported['files']['hosts.yml']
    declared = yaml.safe_load(exported['files']['hosts.yml'])['all']['children']['tenants']['children']
    without_password = {key: value for key, value in host['tenant_admin'].items() if key != 'password'}
    assert declared['billing_tenants']['hosts']['acme']['tenant_admin'] == without_password


def test_the_export_takes_only_hosts_of_the_inventory_plugin():
    with pytest.raises(Exception, match=r'tenant_export: web1 did not come from the inventory plugin'):
        filter_tenant_export(['web1'], {'web1': {'ansible_host': 'x'}})


# -- what the fleet says is untrusted input --------------------------------------------------------

HOSTILE = ['all', 'tenants', 'localhost', 'Acme', 'x|y\nz', "{{ lookup('pipe', 'id') }}", '# [a](http://x) <b>', 'admin']


def test_a_tenant_id_that_breaks_the_rule_or_names_a_group_is_no_host_but_listed_escaped():
    subs = [subscription(f'sub_{number}', value, cid=f'cus_{number}') for number, value in enumerate(HOSTILE)]
    built = fleet(subs +
                  [subscription('sub_ok', 'acme'), subscription('sub_end', 'Gone', status='canceled')],
                  [tenant('acme', 'sub_ok'), tenant('default'), tenant('ALSO\x1bBAD')])
    # default: a tenant the registry made itself (blocklisted IDs are refused only for new tenants)
    assert sorted(built['hosts']) == ['acme', 'default']
    assert not {member for members in built['groups'].values() for member in members} - {'acme', 'default'}
    invalid = {entry['tenant_id']: entry for entry in built['invalid']}
    assert sorted(invalid) == sorted(
        ['all', 'tenants', 'localhost', 'Acme', 'x|y\\nz', "{{ lookup('pipe', 'id') }}", '# [a](http://x) <b>', 'admin', 'ALSO\\u001bBAD'])
    assert invalid['all'] == {
        'tenant_id': 'all', 'tenant_exists': False, 'subscriptions': ['sub_0'], 'customers': ['cus_0'], 'problem':
        'a name Ansible or this collection gives a group or the controller; as a host it would shadow it'
    }
    assert 'blocklist' in invalid['admin']['problem'] and invalid['ALSO\\u001bBAD']['tenant_exists'] is True
    assert 'lowercase letters and digits' in invalid['x|y\\nz']['problem'] and 'x|y' not in invalid['x|y\\nz']['problem']
    assert '\n' not in json.dumps(built['invalid']).replace('\\n', '')


def test_shown_escapes_what_would_break_a_line_and_bounds_it():
    assert shown('a\nb\r\t\x1b[31m\u2028\\') == 'a\\nb\\r\\t\\u001b[31m\\u2028\\\\'
    assert shown('x' * 100) == 'x' * 80 + '...' and shown(None) == 'None' and shown('Müller & Co') == 'Müller & Co'


def test_the_export_lists_the_invalid_tenant_ids_in_comments_that_stay_comments():
    built = fleet([subscription('sub_1', 'acme'), subscription('sub_2', 'x|y\n- z: 1', cid='cus_evil\nall:')], [tenant('acme', 'sub_1')])
    exported = export_files(built['hosts'], built['invalid'])
    assert exported['invalid'] == built['invalid'] and exported['exported'] == ['acme']
    text = exported['files']['hosts.yml']
    assert '#   "x|y\\n- z: 1" (subscriptions sub_2, customers cus_evil\\nall:): tenant-id: the value must be' in text
    assert all(line.startswith('#') for line in text.split('---\n', 1)[0].splitlines())
    assert list(yaml.safe_load(text)['all']['children']['tenants']['children']['billing_tenants']['hosts']) == ['acme']


def test_keys_echoed_by_a_service_are_masked_in_every_error_of_the_plugin(source, monkeypatch):

    def echo(params):
        raise RuntimeError(f"502 from gateway: GET /v1/subscriptions Authorization: Bearer {params['api_key']} "
                           f"TenantAdminKey {KEY}")

    monkeypatch.setattr(plugin.stripe_api, 'get_api', echo)
    with pytest.raises(AnsibleParserError) as error:
        parse(source(CONNECTION))
    text = str(error.value) + repr(error.value.__cause__) + repr(error.value.__context__)
    assert 'sk_test_unit' not in text and KEY not in text and '502 from gateway' in text
    assert error.value.__cause__ is None and error.value.__context__ is None


def test_a_host_that_a_constructed_group_names_is_removed_and_listed(source, fakes):
    for option in ("groups:\n  acme: true\n", "keyed_groups:\n  - key: \"'me'\"\n    prefix: ac\n    separator: ''\n"):
        inventory = parse(source(CONNECTION + option))
        assert 'acme' not in inventory.hosts
        listed = inventory.groups['all'].get_vars()['invalid_tenant_ids']
        assert [(entry['tenant_id'], entry['subscriptions']) for entry in listed] == [('acme', ['sub_1'])]


def test_the_fleet_with_a_hostile_tenant_id_keeps_its_valid_hosts(source, fakes):
    fakes[0].subscriptions.append(subscription('sub_2', 'all', cid='cus_2'))
    inventory = parse(source(CONNECTION))
    assert 'acme' in inventory.hosts and 'all' not in inventory.hosts
    assert inventory.groups['all'].get_vars()['invalid_tenant_ids'][0]['tenant_id'] == 'all'


def test_the_cache_is_written_for_its_owner_only(source, fakes, tmp_path):
    cache_dir = tmp_path / 'cache-mode'
    parse(source(CONNECTION + f"cache: true\ncache_plugin: jsonfile\ncache_connection: {cache_dir}\n"), cache=False)
    files = list(cache_dir.iterdir())
    assert files and all(file.stat().st_mode & 0o077 == 0 for file in files)


def test_the_written_inventory_is_read_back_as_ansible_reads_it(tmp_path):
    built = fleet([subscription('sub_1', 'acme'), subscription('sub_2', 'globex')], [tenant('acme', 'sub_1')])
    path = tmp_path / 'hosts.yml'
    path.write_text(export_files(built['hosts'])['files']['hosts.yml'])
    assert filter_tenant_inventory_hosts(str(path)) == ['acme', 'globex']
    # What a host name with a newline and | did to an export before: Ansible cannot read it, and says so.
    path.write_text('all:\n  children:\n    tenants:\n      hosts:\n        "x|y\n- z": {}\n  - broken\n')
    with pytest.raises(AnsibleFilterError, match='Ansible cannot read'):
        filter_tenant_inventory_hosts(str(path))
