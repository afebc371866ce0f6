"""playbooks/deprovision.yml acts only on the tenants the operator names one by one or counts (issue 8, point 1)."""

import pytest

from conftest import local_inventory, recap

HOW = 'Name the tenants one by one (-l acme,globex), or state how many tenants you mean with -e expect=N'


@pytest.fixture(scope='module')
def fleet(services):
    """Four provisioned direct-mode tenants and their inventory (group `tenants`, subgroup `fleet_a`: the 2nd and 3rd)."""
    names = [services.tenant_id('dep') for dummy in range(4)]
    hosts = {name: {'tenant_customer': {'email': services.email(name), 'name': 'Customer of ' + name}} for name in names}
    inventory = local_inventory(hosts, groups={'fleet_a': names[1:3]}, tenant_provisioning='direct', tenant_wait_timeout=30,
                                tenant_plan={'price': 'tts-large-monthly', 'collection_method': 'send_invoice', 'days_until_due':
                                             30}, tenant_admin={'email': 'admin@{{ inventory_hostname }}.example'})
    result = services.playbook('provision', inventory)
    assert result.rc == 0, result.output
    return names, inventory


def assert_nothing_sent(services):
    counts = services.counters()
    if counts is not None:
        assert [counts['stripe']['total'], counts['tts']['total']] == [0, 0], counts


@pytest.mark.parametrize('limit, refused', [
    ('all', 'all'),
    ('tenants', 'tenants'),
    ('*', '*'),
    ('{prefix}*', '{prefix}*'),
    ('fleet_a', 'fleet_a'),
    ('~dep-.*', '~dep-.*'),
    ('{first},fleet_a', 'fleet_a'),
    ('{first},!{second}', '!{second}'),
    ('{first},no-such-tenant', 'no-such-tenant'),
], ids=['all', 'tenants', 'star', 'prefix-pattern', 'group', 'regex', 'name-and-group', 'exclusion', 'unknown-name'])
def test_refuses_limits_that_do_not_name_tenants(services, fleet, limit, refused):
    names, inventory = fleet
    values = {'prefix': names[0].rsplit('-', 1)[0], 'first': names[0], 'second': names[1]}
    limit, refused = limit.format(**values), refused.format(**values)
    services.clear_counters()
    result = services.playbook('deprovision', inventory, limit=limit, extra_vars={'confirm': 'yes', 'tenant_delete': True})
    assert result.rc != 0, result.output
    assert "deprovision refuses -l '%s': %s is not a tenant named one by one" % (limit, refused) in result.output
    assert HOW in result.output
    assert 'Ensure or cancel the Stripe subscription' not in result.output
    assert_nothing_sent(services)


def test_refuses_the_whole_inventory_without_a_count(services, fleet):
    dummy, inventory = fleet
    services.clear_counters()
    result = services.playbook('deprovision', inventory, extra_vars={'confirm': 'yes'})
    assert result.rc != 0, result.output
    assert 'deprovision refuses to run on the whole inventory without a count: it selects 4 tenant(s).' in result.output
    assert HOW in result.output
    assert_nothing_sent(services)


@pytest.mark.parametrize('expect', ['3', '5', 'all', '-4'])
def test_refuses_a_count_that_differs(services, fleet, expect):
    dummy, inventory = fleet
    services.clear_counters()
    result = services.playbook('deprovision', inventory, limit='tenants', extra_vars='confirm=yes expect=' + expect)
    assert result.rc != 0, result.output
    assert 'expect=%s, but this run selects 4 tenant(s)' % expect in result.output
    assert_nothing_sent(services)


def test_refuses_without_confirm_after_showing_the_plan(services, fleet):
    names, inventory = fleet
    services.clear_counters()
    result = services.playbook('deprovision', inventory, limit=names[0], extra_vars={'tenant_delete': True})
    assert result.rc != 0, result.output
    assert '%s (direct mode): cancel the Stripe subscription now, suspend the tenant now; DELETE the tenant now' \
        % names[0] in result.output
    assert 'run it again with -e confirm=yes' in result.output
    assert_nothing_sent(services)


def test_one_tenant_named_by_limit(services, fleet):
    names, inventory = fleet
    services.clear_counters()
    result = services.playbook('deprovision', inventory, limit=names[0], extra_vars={'confirm': 'yes'})
    assert result.rc == 0, result.output
    assert 'deprovision_state=absent on 1 tenant(s): %s' % names[0] in result.output
    assert '%s (direct mode): cancel the Stripe subscription now, suspend the tenant now' % names[0] in result.output
    hosts = recap(result.output)
    assert list(hosts) == [names[0]]
    assert hosts[names[0]]['changed'] > 0
    counts = services.counters()
    if counts is not None:
        assert counts['stripe']['writes'] >= 1  # the subscription was canceled
        assert counts['tts']['writes'] >= 1  # and the tenant suspended


def test_a_group_with_the_right_count(services, fleet):
    names, inventory = fleet
    result = services.playbook('deprovision', inventory, limit='fleet_a', extra_vars='confirm=yes expect=2', env={'ANSIBLE_FORKS': '1'})
    assert result.rc == 0, result.output
    assert 'deprovision_state=absent on 2 tenant(s): %s, %s' % (names[1], names[2]) in result.output
    hosts = recap(result.output)
    assert sorted(hosts) == names[1:3]
    assert all(counts['changed'] > 0 for counts in hosts.values())


def test_plan_lines_per_mode_and_state(services):
    """What the plan says for billing/direct, suspended/absent, now/at the period end (refused: no confirm)."""
    names = [services.tenant_id('plan') for dummy in range(3)]
    inventory = local_inventory({
        names[0]: {'tenant_provisioning': 'billing'},
        names[1]: {'tenant_provisioning': 'direct', 'tenant_cancel_at_period_end': True},
        names[2]: {'tenant_provisioning': 'direct'},
    })
    services.clear_counters()
    absent = services.playbook('deprovision', inventory, limit=','.join(names), extra_vars={'tenant_delete': True})
    suspended = services.playbook('deprovision', inventory, limit=','.join(names),
                                  extra_vars={'deprovision_state': 'suspended', 'tenant_delete': True})
    assert absent.rc != 0 and suspended.rc != 0
    delete = '; DELETE the tenant now (its ID can never be used again)'
    expected_absent = [
        '%s (billing mode): cancel the Stripe subscription now, the Tenant Billing Server suspends the tenant now%s' % (names[0], delete),
        '%s (direct mode): cancel the Stripe subscription at the period end, the tenant stays approved until a run after '
        'the period end suspends it%s' % (names[1], delete),
        '%s (direct mode): cancel the Stripe subscription now, suspend the tenant now%s' % (names[2], delete),
    ]
    expected_suspended = [
        '%s (billing mode): cancel the Stripe subscription now, the Tenant Billing Server suspends the tenant now"' % names[0],
        '%s (direct mode): keep the Stripe subscription, suspend the tenant now"' % names[1],
        '%s (direct mode): keep the Stripe subscription, suspend the tenant now"' % names[2],
    ]
    for line in expected_absent:
        assert line in absent.output
    for line in expected_suspended:
        assert line in suspended.output
    assert_nothing_sent(services)
