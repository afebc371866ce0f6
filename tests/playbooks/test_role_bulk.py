"""The tenant role's bulk path (issue 25): a converged fleet costs one bulk read, drift is found and fixed by the
per-tenant path of only the drifted tenants, a stale bulk read never causes a write, and --limit reads only what it needs.

Request counts and the request log are asserted on the emulators only; against real services the runs and their
outcome (changed hosts, the objects afterwards) are still checked. The stale-read test needs the emulators' faults.
"""

import json
import threading
import time

import pytest
import requests
import stripe

from conftest import emulators, local_inventory, recap

PLAN = {'price': 'tts-small-monthly', 'collection_method': 'send_invoice', 'days_until_due': 30, 'metadata': {'cost-center': 'cc-1'}}


def fleet(services, count, prefix='bulk'):
    tenants = [services.tenant_id(prefix) for dummy in range(count)]
    inventory = local_inventory(
        {tenant: {'tenant_customer': {'email': services.email(tenant), 'name': 'Customer of ' + tenant}}
         for tenant in tenants}, tenant_provisioning='direct', tenant_plan=PLAN)
    return tenants, inventory


def stripe_client(services):
    return stripe.StripeClient(services.env['STRIPE_API_KEY'], base_addresses={'api': services.env['STRIPE_API_BASE']})


def customer_of(client, tenant, services):
    return client.v1.customers.list(params={'email': services.email(tenant)}).data[0]


def subscription_of(client, customer_id):
    return client.v1.subscriptions.list(params={'customer': customer_id}).data[0]


def set_tts_tenant(services, tenant, **fields):
    response = requests.put('%s/api/v3/tenants/%s' % (services.env['TTS_URL'].rstrip('/'), tenant),
                            json={'tenant': fields, 'field_mask': {'paths': list(fields)}}, timeout=30,
                            headers={'Authorization': 'TenantAdminKey ' + services.env['TTS_TENANT_ADMIN_KEY']})
    response.raise_for_status()


def get_tts_tenant(services, tenant, field):
    response = requests.get('%s/api/v3/tenants/%s' % (services.env['TTS_URL'].rstrip('/'), tenant), params={'field_mask': field},
                            headers={'Authorization': 'TenantAdminKey ' + services.env['TTS_TENANT_ADMIN_KEY']}, timeout=30)
    response.raise_for_status()
    return response.json().get(field)


def request_log(services, service):
    return emulators.control(services.bases[service], 'GET', '/_emulator/requests')['requests']


def per_tenant_reads(services, tenants):
    """The tenants whose own TTS tenant was read (the per-tenant path's first request)."""
    paths = {entry['path'] for entry in request_log(services, 'tts') if entry['method'] == 'GET'}
    return sorted(tenant for tenant in tenants if '/api/v3/tenants/' + tenant in paths)


def bulk_lists(services):
    """The list requests of the bulk read: every live subscription, every customer, every tenant."""
    stripe_log = [entry for entry in request_log(services, 'stripe') if entry['method'] == 'GET']
    subscriptions = [e for e in stripe_log if e['path'] == '/v1/subscriptions' and 'customer' not in (e.get('query') or {})]
    customers = [e for e in stripe_log if e['path'] == '/v1/customers' and 'email' not in (e.get('query') or {})]
    tenants = [e for e in request_log(services, 'tts') if e['method'] == 'GET' and e['path'] == '/api/v3/tenants']
    return len(subscriptions), len(customers), len(tenants)


def provisioned(services, tenants, inventory):
    first = services.playbook('provision', inventory)
    assert first.rc == 0, first.output
    assert all(recap(first.output)[tenant]['changed'] > 0 for tenant in tenants), first.output


def test_a_converged_fleet_costs_one_bulk_read(services):
    tenants, inventory = fleet(services, 4)
    provisioned(services, tenants, inventory)
    services.clear_counters()
    converged = services.playbook('provision', inventory)
    assert converged.rc == 0, converged.output
    hosts = recap(converged.output)
    assert all(hosts[tenant]['changed'] == 0 and hosts[tenant]['ok'] >= 1 for tenant in tenants), converged.output
    if services.live:
        return
    counts = services.counters()
    assert services.writes() == 0, counts
    assert per_tenant_reads(services, tenants) == []
    subscriptions, customers, listed = bulk_lists(services)
    assert subscriptions >= 1 and customers >= 1 and listed == 1
    # nothing but the three lists (one page each here, at most a few with the other tests' objects)
    assert counts['stripe']['reads'] == subscriptions + customers and counts['tts']['reads'] == listed, counts


def test_drift_in_each_service_is_found_and_fixed(services):
    tenants, inventory = fleet(services, 4)
    provisioned(services, tenants, inventory)
    client = stripe_client(services)
    named, limited, tagged, untouched = tenants
    client.v1.customers.update(customer_of(client, named, services).id, params={'name': 'Renamed by hand'})
    set_tts_tenant(services, limited, max_gateways='3')
    tagged_sub = subscription_of(client, customer_of(client, tagged, services).id)
    client.v1.subscriptions.update(tagged_sub.id, params={'metadata': {'cost-center': 'cc-2'}})

    services.clear_counters()
    fixed = services.playbook('provision', inventory)
    assert fixed.rc == 0, fixed.output
    hosts = recap(fixed.output)
    assert {tenant for tenant in tenants if hosts[tenant]['changed']} == {named, limited, tagged}, fixed.output
    assert customer_of(client, named, services).name == 'Customer of ' + named
    assert get_tts_tenant(services, limited, 'max_gateways') != '3'
    assert client.v1.subscriptions.retrieve(tagged_sub.id).metadata['cost-center'] == 'cc-1'
    if not services.live:
        assert per_tenant_reads(services, tenants) == sorted([named, limited, tagged])

    services.clear_counters()
    again = services.playbook('provision', inventory)
    assert again.rc == 0 and all(host['changed'] == 0 for host in recap(again.output).values()), again.output
    if not services.live:
        assert services.writes() == 0 and per_tenant_reads(services, tenants) == []


def test_a_stale_bulk_read_never_causes_a_write(services):
    """The bulk read sees a drifted customer name; before the per-tenant work reads it live, the name is set back: the
    per-tenant path finds nothing to change and writes nothing."""
    if services.live:
        pytest.skip('delays a request with an emulator fault and reads the request log: emulators only')
    tenants, inventory = fleet(services, 3, 'stale')
    provisioned(services, tenants, inventory)
    client = stripe_client(services)
    stale = tenants[0]
    customer = customer_of(client, stale, services)
    client.v1.customers.update(customer.id, params={'name': 'Renamed by hand'})
    services.clear_counters()
    # The per-tenant path's first request (its read of the tenant) waits, so the name is set back in between.
    requests.post(services.bases['tts'].rstrip('/') + '/_emulator/faults', timeout=10,
                  json={'faults': [{'type': 'delay', 'seconds': 3, 'method': 'GET', 'path':
                                    '/api/v3/tenants/' + stale}]}).raise_for_status()

    def set_back():
        for dummy in range(600):
            if bulk_lists(services)[1]:  # the bulk read listed the customers: it saw the drift
                client.v1.customers.update(customer.id, params={'name': 'Customer of ' + stale})
                return
            time.sleep(0.05)

    thread = threading.Thread(target=set_back)
    thread.start()
    try:
        run = services.playbook('provision', inventory)
    finally:
        thread.join()
        requests.delete(services.bases['tts'].rstrip('/') + '/_emulator/faults', timeout=10)
    assert run.rc == 0, run.output
    assert per_tenant_reads(services, tenants) == [stale]  # the bulk read decided it drifted
    stripe_writes = [entry for entry in request_log(services, 'stripe') if entry['method'] == 'POST']
    # the only write is the test's own, setting the name back; the role wrote nothing
    assert [entry['path'] for entry in stripe_writes] == ['/v1/customers/' + customer.id], stripe_writes
    assert services.counters()['tts']['writes'] == 0
    assert all(host['changed'] == 0 for host in recap(run.output).values()), run.output


def test_limit_reads_only_what_it_needs(services):
    tenants, inventory = fleet(services, 3, 'limit')
    provisioned(services, tenants, inventory)
    services.clear_counters()
    limited = services.playbook('provision', inventory, limit=tenants[1])
    assert limited.rc == 0, limited.output
    hosts = recap(limited.output)
    assert set(hosts) == {tenants[1]} and hosts[tenants[1]]['changed'] == 0, limited.output
    if services.live:
        return
    # one tenant: the bulk read could not cost less than its 3 per-tenant reads, so it is not made
    assert bulk_lists(services) == (0, 0, 0)
    counts = services.counters()
    assert counts['stripe']['reads'] + counts['tts']['reads'] <= 3 and services.writes() == 0, counts


def test_tenants_the_read_cannot_find_converged_cost_it_nothing(services):
    """What the read may spend counts only the tenants it may find converged: deprovisioned ones (tenant_state absent)
    exist, but their play lists nothing; each takes the per-tenant path."""
    tenants, inventory = fleet(services, 3, 'bulkgone')
    provisioned(services, tenants, inventory)
    services.clear_counters()
    gone = services.playbook('deprovision', inventory, limit=','.join(tenants), extra_vars={'confirm': 'yes'})
    assert gone.rc == 0 and all(recap(gone.output)[tenant]['changed'] for tenant in tenants), gone.output
    if not services.live:
        assert bulk_lists(services) == (0, 0, 0)
        assert per_tenant_reads(services, tenants) == sorted(tenants)


def test_the_audit_checks_only_the_drifted_tenants_and_reports_as_before(services, tmp_path):
    tenants, inventory = fleet(services, 3, 'bulkaud')
    provisioned(services, tenants, inventory)
    client = stripe_client(services)
    drifted, in_sync = tenants[0], tenants[1:]
    customer = customer_of(client, drifted, services)
    client.v1.customers.update(customer.id, params={'name': 'Renamed by hand'})
    services.clear_counters()
    result = services.playbook('audit', inventory, extra_vars={'audit_report_dir': str(tmp_path), 'audit_fleet': False})
    assert result.rc == 0, result.output
    with open(tmp_path / 'tenants.json', encoding='utf-8') as handle:
        report = {tenant['tenant_id']: tenant for tenant in json.load(handle)['tenants']}
    assert report[drifted]['drift'] == [{'resource': 'customer', 'change': 'update', 'fields': ['name']}]
    for tenant in tenants:  # the converged ones too: their objects as the per-tenant path would report them
        sub = subscription_of(client, customer_of(client, tenant, services).id)
        assert (report[tenant]['customer_id'], report[tenant]['subscription_id'], report[tenant]['subscription_status'],
                report[tenant]['tenant_state']) == (sub.customer, sub.id, 'active', 'STATE_APPROVED'), report[tenant]
        assert report[tenant]['error'] is None
    assert all(report[tenant]['drift'] == [] for tenant in in_sync)
    assert customer_of(client, drifted, services).name == 'Renamed by hand'  # an audit writes nothing
    if not services.live:
        assert services.writes() == 0
        assert per_tenant_reads(services, tenants) == [drifted]


ROLE_PLAY = '''---
- name: The tenant role with its variables in the play and in role parameters
  hosts: tenants
  gather_facts: false
  vars:
    tenant_provisioning: direct
  roles:
    - role: thingsstack.tenancy.tenant
      tenant_plan: {plan}
  tasks:
    - name: After the role
      ansible.builtin.debug:
        msg: "after the role: {{{{ inventory_hostname }}}} {{{{ tenant_report.subscription.status }}}}"
'''


def test_the_bulk_check_sees_play_variables_and_role_parameters(services, tmp_path):
    """The one task that checks every tenant reads each host's variables as the role's own tasks see them: play vars and
    role parameters too, not only the inventory (there, tenant_provisioning and tenant_plan would be the role's defaults,
    the input refused, and every tenant would take the per-tenant path). A converged tenant ends the role, not the play:
    the play's next task runs for it, with the subscription the bulk read found in tenant_report."""
    tenants = [services.tenant_id('bulkvars') for dummy in range(3)]
    inventory = local_inventory(
        {tenant: {'tenant_customer': {'email': services.email(tenant), 'name': 'Customer of ' + tenant}}
         for tenant in tenants})
    playbook = tmp_path / 'role.yml'
    playbook.write_text(ROLE_PLAY.format(plan=json.dumps(PLAN)))
    first = services.playbook(str(playbook), inventory)
    assert first.rc == 0 and all(recap(first.output)[tenant]['changed'] for tenant in tenants), first.output
    services.clear_counters()
    converged = services.playbook(str(playbook), inventory)
    assert converged.rc == 0 and all(host['changed'] == 0 for host in recap(converged.output).values()), converged.output
    assert all(f'after the role: {tenant} active' in converged.output for tenant in tenants), converged.output
    if not services.live:
        assert per_tenant_reads(services, tenants) == [] and services.writes() == 0

    # A role parameter changed: the bulk check sees it, and every tenant's subscription is updated by the per-tenant path.
    playbook.write_text(ROLE_PLAY.format(plan=json.dumps(dict(PLAN, metadata={'cost-center': 'cc-9'}))))
    changed = services.playbook(str(playbook), inventory)
    assert changed.rc == 0 and all(recap(changed.output)[tenant]['changed'] for tenant in tenants), changed.output
    client = stripe_client(services)
    assert {subscription_of(client, customer_of(client, tenant, services).id).metadata['cost-center'] for tenant in tenants} == {'cc-9'}
