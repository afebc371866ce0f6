# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The audit's view of the live fleet (filters tenant_fleet_audit and tenant_audit_report): what is not declared, the
mismatch groups as the inventory plugin makes them, the summary, and the combination of the slices of a sliced run."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.thingsstack.tenancy.plugins.filter.tenant_audit import (filter_tenant_audit_report, filter_tenant_fleet_audit,
                                                                                 filter_tenant_markdown)


def subscription(sid, tenant_id, cid='cus_acme', status='active', created=100, **metadata):
    """A subscription as stripe_subscription_info returns it: the customer as an ID, the prices in the items."""
    return {
        'id': sid, 'object': 'subscription', 'status': status, 'created': created, 'customer': cid, 'metadata':
        dict({'tenant-id': tenant_id} if tenant_id else {},
             **metadata), 'items': {'data': [{'id': f'si_{sid}', 'quantity': 1, 'price': {'id': 'price_small', 'lookup_key': 'small'}}]}
    }


def tenant(tenant_id, sid=None, cid='cus_acme', state='STATE_APPROVED'):
    found = {'ids': {'tenant_id': tenant_id}, 'name': tenant_id, 'state': state}
    if sid:
        found['billing'] = {'stripe': {'customer_id': cid, 'subscription_id': sid}}
    return found


SUBSCRIPTIONS = [
    subscription('sub_okay', 'okay'),
    subscription('sub_hidden', 'hidden', **{'admin-password': 'Secret-4711'}),
    subscription('sub_orphan', 'orphan'),
    subscription('sub_gone', 'gone', status='canceled'),
    subscription('sub_a', 'dup', cid='cus_a', created=1),
    subscription('sub_b', 'dup', cid='cus_b', created=2),
    subscription('sub_mine', 'moved', cid='cus_new'),
    subscription('sub_none', None)
]
TENANTS = [
    tenant('okay', 'sub_okay'),
    tenant('hidden', 'sub_hidden'),
    tenant('bare'),
    tenant('dup', 'sub_a', cid='cus_a'),
    tenant('moved', 'sub_mine', cid='cus_old')
]


def declared(*names, **tenant_ids):
    """(hosts, hostvars) of an inventory: hosts named after their tenant, or with tenant_id."""
    hostvars = {name: {} for name in names}
    hostvars.update({name: {'tenant_id': tenant_id} for name, tenant_id in tenant_ids.items()})
    return list(hostvars), hostvars


def check(tenant_id, drift=(), error=None):
    return {'tenant_id': tenant_id, 'drift': list(drift), 'error': error}


def test_the_fleet_that_is_not_declared_and_the_mismatch_groups_of_the_whole_fleet():
    section = filter_tenant_fleet_audit(SUBSCRIPTIONS, TENANTS, *declared('okay', 'dup', host7='moved'))
    assert section['live_tenant_ids'] == 6  # 'gone' has only a canceled subscription and no tenant: not in the fleet
    assert [entry['tenant_id'] for entry in section['undeclared']] == ['bare', 'hidden', 'orphan']
    orphan = section['undeclared'][2]
    assert orphan == {
        'tenant_id': 'orphan', 'tenant_state': None, 'subscription_id': 'sub_orphan', 'subscription_status': 'active', 'live_subscriptions':
        ['sub_orphan'], 'customer_id': 'cus_acme', 'mismatches': ['orphan_subscriptions']
    }
    assert section['undeclared'][0]['mismatches'] == ['orphan_tenants'] and section['undeclared'][0]['subscription_id'] is None
    assert section['mismatches'] == {
        'orphan_subscriptions': ['orphan'], 'orphan_tenants': ['bare'], 'owner_mismatch': ['moved'], 'duplicate_tenant_ids': ['dup']
    }
    assert 'Secret-4711' not in repr(section)


def test_the_report_counts_the_declared_checks_and_the_fleet():
    section = filter_tenant_fleet_audit(SUBSCRIPTIONS, TENANTS, *declared('okay', 'dup', 'moved'))
    report = filter_tenant_audit_report([check('okay'), check('dup', [{'resource': 'tenant'}]), check('moved', error='x')], [section])
    assert [t['tenant_id'] for t in report['tenants']] == ['dup', 'moved', 'okay']
    assert report['summary'] == {
        'tenants': 3,
        'in_sync': 1,
        'drifted': 1,
        'errors': 1,
        'undeclared_tenants': 2,
        'undeclared_subscriptions': 2,
        'orphan_subscriptions': 1,
        'orphan_tenants': 1,
        'owner_mismatch': 1,
        'duplicate_tenant_ids': 1,
        'invalid_tenant_ids': 0,
        # declared in billing mode (the role's default), on a price that is no TBS plan
        'tbs_unmatched_subscriptions': 3,
        'tbs_ambiguous_subscriptions': 0
    }
    assert report['fleet']['undeclared_tenants'] == ['bare', 'hidden']
    assert report['fleet']['undeclared_subscriptions'] == ['sub_hidden', 'sub_orphan'] and report['fleet']['error'] is None


def priced(sub, *prices):
    """``sub`` with one item per price: (ID, TBS mark or None)."""
    items = [{
        'id': f"si_{sub['id']}_{index}", 'quantity': 1, 'price':
        {'id': price_id, 'lookup_key': None, 'metadata': {'tts-tbs-plan': mark} if mark else {}}
    } for index, (price_id, mark) in enumerate(prices)]
    return dict(sub, items={'data': items})


def test_tbs_groups_flag_billing_subscriptions_tbs_would_ignore_or_bill_by_item_order():
    subs = [
        priced(subscription('sub_plain', 'plain'), ('price_unmarked', None)),
        priced(subscription('sub_direct', 'direct'), ('price_unmarked', None)),
        priced(subscription('sub_two', 'two'), ('price_addon', None), ('price_small', 'recurring'), ('price_meter', 'metered')),
        priced(subscription('sub_good', 'good'), ('price_small', 'recurring'), ('price_addon', None)),
        priced(subscription('sub_odd', 'odd'), ('price_odd', 'yes')),  # not a mark TBS knows: no plan
        priced(subscription('sub_was', 'was'), ('price_unmarked', None)),
        priced(subscription('sub_old', 'ended', status='canceled'), ('price_unmarked', None))
    ]
    tenants = [
        tenant('plain', 'sub_plain'),
        tenant('direct', 'sub_direct'),
        tenant('good', 'sub_good'),
        dict(tenant('was', 'sub_was'),
             billing={'stripe': {'customer_id': 'cus_acme', 'subscription_id': 'sub_was', 'plan_id': 'price_small'}})
    ]
    hosts, hostvars = declared('plain', 'direct', 'two', 'good', 'odd', 'ended')
    hostvars['direct']['tenant_provisioning'] = 'direct'
    section = filter_tenant_fleet_audit(subs, tenants, hosts, hostvars)
    # 'was' is not declared, but its tenant's billing link names a TBS plan: TBS managed it, and now ignores it.
    assert [(e['tenant_id'], e['subscription_id'], e['tbs_plans'])
            for e in section['tbs_unmatched_subscriptions']] == [('odd', 'sub_odd', []), ('plain', 'sub_plain', []), ('was', 'sub_was', [])]
    assert [(e['tenant_id'], e['tbs_plans']) for e in section['tbs_ambiguous_subscriptions']] == [('two', ['price_small', 'price_meter'])]
    report = filter_tenant_audit_report([check(name) for name in hosts], [section, section])
    assert (report['summary']['tbs_unmatched_subscriptions'], report['summary']['tbs_ambiguous_subscriptions']) == (3, 1)
    assert report['fleet']['tbs_ambiguous_subscriptions'][0]['customer_id'] == 'cus_acme'


def test_without_the_fleet_the_report_is_the_declared_checks_only():
    report = filter_tenant_audit_report([check('b'), check('a')])
    assert report == {
        'tenants': [check('a'), check('b')], 'fleet': None, 'usage': None, 'summary':
        {'tenants': 2, 'in_sync': 2, 'drifted': 0, 'errors': 0}
    }


def test_slices_combine_into_the_report_of_the_whole_inventory():
    # Two slices of the inventory {ok, dup, moved}: each knew its own hosts only, and read the fleet once.
    first = filter_tenant_fleet_audit(SUBSCRIPTIONS, TENANTS, *declared('okay', 'moved'))
    second = filter_tenant_fleet_audit(SUBSCRIPTIONS, TENANTS, *declared('dup'))
    assert 'dup' in [entry['tenant_id'] for entry in first['undeclared']]
    report = filter_tenant_audit_report([check('okay'), check('moved')] + [check('dup')], [first, second])
    assert [entry['tenant_id'] for entry in report['fleet']['undeclared']] == ['bare', 'hidden', 'orphan']
    assert report['fleet']['mismatches']['duplicate_tenant_ids'] == ['dup']
    # A combined report combines again to the same; a slice whose fleet read failed says so.
    again = filter_tenant_audit_report(report['tenants'], [report['fleet'], {'error': 'TTS API error (HTTP 503)'}])
    assert again['fleet']['undeclared'] == report['fleet']['undeclared'] and again['fleet']['error'] == 'TTS API error (HTTP 503)'


def test_bad_input_says_which():
    with pytest.raises(AnsibleFilterError, match='tenants must be a list'):
        filter_tenant_fleet_audit([], {'tenants': []}, [], {})
    with pytest.raises(AnsibleFilterError, match='expects a list of tenant checks'):
        filter_tenant_audit_report('ok')


def test_the_tenant_ids_that_cannot_name_a_host_are_reported_escaped_and_combined():
    hostile = [subscription('sub_all', 'all'), subscription('sub_nl', 'x|y\nz', cid='cus_nl')]
    section = filter_tenant_fleet_audit(SUBSCRIPTIONS + hostile, TENANTS, *declared('okay', 'dup', 'moved'))
    assert [(entry['tenant_id'], entry['subscriptions'], entry['customers'])
            for entry in section['invalid_tenant_ids']] == [('all', ['sub_all'], ['cus_acme']), ('x|y\\nz', ['sub_nl'], ['cus_nl'])]
    assert 'all' not in [entry['tenant_id'] for entry in section['undeclared']]
    report = filter_tenant_audit_report([check('okay')], [section, section])
    assert report['summary']['invalid_tenant_ids'] == 2 and report['fleet']['invalid_tenant_ids'] == section['invalid_tenant_ids']


@pytest.mark.parametrize('value, expected', [
    ('x|y\nz', 'x\\|y\\\\nz'),
    ('# Heading', '\\# Heading'),
    ('[click](https://evil.example) ![i](x)', '\\[click\\](https://evil.example) \\!\\[i\\](x)'),
    ('<script>alert(1)</script> & `code` *em* ~s~', '&lt;script&gt;alert(1)&lt;/script&gt; &amp; \\`code\\` \\*em\\* \\~s\\~'),
    ('sub_1Abc cus_x-1', 'sub_1Abc cus_x-1'),
    (None, '-'),
    (3, '3'),
])
def test_markdown_text_renders_as_itself_on_one_line(value, expected):
    assert filter_tenant_markdown(value) == expected
    assert '\n' not in filter_tenant_markdown(value)
