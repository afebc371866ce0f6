"""playbooks/deprovision.yml acts only on the tenants the operator names one by one (issue 8, point 1)."""

import pytest

from conftest import local_inventory, recap


@pytest.fixture(scope='module')
def fleet(services):
    """Three provisioned direct-mode tenants and their inventory (group `tenants`, subgroup `fleet_a`)."""
    names = [services.tenant_id('dep') for dummy in range(3)]
    hosts = {name: {'tenant_customer': {'email': services.email(name), 'name': 'Customer of ' + name}} for name in names}
    inventory = local_inventory(
        hosts, groups={'fleet_a': names[:2]}, tenant_provisioning='direct', tenant_wait_timeout=30,
        tenant_plan={'price': 'tts-large-monthly', 'collection_method': 'send_invoice', 'days_until_due': 30},
        tenant_admin={'email': 'admin@{{ inventory_hostname }}.example'})
    result = services.playbook('provision', inventory)
    assert result.rc == 0, result.output
    return names, inventory


def test_one_tenant_named_by_limit(services, fleet):
    names, inventory = fleet
    services.clear_counters()
    result = services.playbook('deprovision', inventory, limit=names[0], extra_vars={'confirm': 'yes'})
    assert result.rc == 0, result.output
    hosts = recap(result.output)
    assert list(hosts) == [names[0]]
    assert hosts[names[0]]['changed'] > 0
    counts = services.counters()
    if counts is not None:
        assert counts['stripe']['writes'] >= 1  # the subscription was canceled
        assert counts['tts']['writes'] >= 1  # and the tenant suspended
