"""The bulk comparison of the tenant role (tenant_snapshot): converged only when no module would change or refuse anything."""

from __future__ import annotations

import copy
import os

import pytest
import yaml

from ansible_collections.thingsstack.tenancy.plugins.filter.tenant_steps import filter_tenant_steps
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils import tenant_snapshot
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tenant_fleet import plain
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tenant_input import input_errors
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tenant_snapshot import Undecided, compare, index, read_snapshot, verdicts

ROLE_TASKS = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'roles', 'tenant', 'tasks')

PRICE = {
    'id': 'price_1', 'lookup_key': 'tts-small-monthly', 'metadata': {'max-gateways': '10'}, 'unit_amount': 1000, 'currency': 'eur',
    'billing_scheme': 'per_unit'
}
CUSTOMER = {
    'id': 'cus_1', 'object': 'customer', 'email': 'billing@acme.example', 'name': 'Acme', 'description': None, 'metadata': {}, 'tax_ids':
    {'object': 'list', 'data': [{'id': 'txi_1', 'type': 'eu_vat', 'value': 'DE123456789'}], 'has_more': False}
}
SUBSCRIPTION = {
    'id': 'sub_1', 'object': 'subscription', 'customer': 'cus_1', 'status': 'active', 'collection_method': 'send_invoice', 'days_until_due':
    30, 'cancel_at_period_end': False, 'default_payment_method': None, 'description': None, 'metadata':
    {'tenant-id': 'acme', 'tenant-name': 'Acme tenant', 'cost-center':
     'cc-1'}, 'items': {'object': 'list', 'data': [{'id': 'si_1', 'price': PRICE, 'quantity': 1}], 'has_more': False}
}
TENANT = {
    'ids': {'tenant_id': 'acme'}, 'name': 'Acme tenant', 'max_gateways': '10', 'state': 'STATE_APPROVED', 'contact_info':
    [{'contact_type': 'CONTACT_TYPE_BILLING', 'contact_method': 'CONTACT_METHOD_EMAIL', 'value': 'billing@acme.example'}], 'billing':
    {'stripe': {'customer_id': 'cus_1', 'plan_id': 'price_1', 'subscription_id': 'sub_1', 'subscription_item_id': 'si_1'}}
}
DECLARED = {
    'host': 'acme', 'tenant_id': 'acme', 'steps': filter_tenant_steps('present', 'direct'), 'adopt': False, 'customer_id': None, 'customer':
    {'email': 'billing@acme.example', 'name': 'Acme', 'tax_ids': [{'type': 'eu_vat', 'value': 'DE123456789'}]}, 'plan':
    {'price': 'tts-small-monthly', 'collection_method': 'send_invoice', 'days_until_due': 30, 'metadata':
     {'cost-center': 'cc-1'}}, 'admin': {'user': None, 'email': None, 'full_name': None}, 'name': 'Acme tenant', 'description': None,
    'attributes': None, 'purge_attributes': False, 'configuration': None, 'claim_lookup': 'search'
}


def snapshot(**changes):
    found = {'customers': [copy.deepcopy(CUSTOMER)], 'subscriptions': [copy.deepcopy(SUBSCRIPTION)], 'tenants': [copy.deepcopy(TENANT)]}
    for key, change in changes.items():
        change(found[key])
    return index(found)


def undecided(declared=None, **changes):
    with pytest.raises(Undecided) as caught:
        compare(declared or DECLARED, snapshot(**changes))
    return str(caught.value)


def test_a_converged_tenant_gives_its_objects():
    assert compare(DECLARED,
                   snapshot()) == {'customer': 'cus_1', 'subscription': 'sub_1', 'status': 'active', 'tenant_state': 'STATE_APPROVED'}


def test_billing_mode_compares_what_the_tenant_billing_server_made():
    declared = dict(DECLARED, steps=filter_tenant_steps('present', 'billing'))
    assert compare(declared, snapshot())['subscription'] == 'sub_1'
    assert undecided(declared, tenants=lambda tenants: tenants[0].update(name='Renamed')) == 'tenant: name'


@pytest.mark.parametrize('change, reason', [
    ({'customers': lambda found: found[0].update(name='Renamed by hand')}, 'customer: name'),
    ({'customers': lambda found: found[0]['tax_ids'].update(data=[])}, 'customer: tax_ids'),
    ({'subscriptions': lambda found: found[0]['metadata'].update({'cost-center': 'cc-2'})}, 'subscription: metadata'),
    ({'subscriptions': lambda found: found[0]['items']['data'][0].update(quantity=2)}, 'subscription: items'),
    ({'tenants': lambda found: found[0].update(max_gateways='3')}, 'tenant: max_gateways'),
    ({'tenants': lambda found: found[0].update(state='STATE_SUSPENDED')}, 'tenant: state'),
])
def test_drift_in_each_service_is_named_by_field(change, reason):
    assert undecided(**change) == reason


@pytest.mark.parametrize(
    'change',
    [
        {'tenants': lambda found: found.clear()},  # a new tenant
        {'customers': lambda found: found.append(dict(CUSTOMER, id='cus_2'))},  # two customers with the email: the module fails
        {'subscriptions': lambda found: found.append(dict(SUBSCRIPTION, id='sub_2'))},  # two live subscriptions carry the tenant
        {'subscriptions': lambda found: found.clear()},  # no subscription yet
        {'subscriptions': lambda found: found[0]['items'].update(has_more=True)},  # items not all listed
        {'subscriptions': lambda found: found[0]['metadata'].update({'company': 'Old'})},  # a deprecated key: the module warns
        {'tenants': lambda found: found[0]['billing']['stripe'].update(customer_id='cus_other')},  # owned by another customer
        {'tenants': lambda found: found[0].pop('billing')},  # made by hand: the role refuses it
    ])
def test_what_the_snapshot_cannot_decide_takes_the_per_tenant_path(change):
    undecided(**change)


@pytest.mark.parametrize(
    'declared',
    [
        dict(DECLARED, adopt=True),
        dict(DECLARED, steps=filter_tenant_steps('absent', 'direct')),
        dict(DECLARED, steps=filter_tenant_steps('suspended', 'billing')),
        dict(DECLARED, plan=dict(DECLARED['plan'], price='tts-large-monthly')),  # a price no item carries: only a live read resolves it
        dict(DECLARED, customer=dict(DECLARED['customer'], email='not an email')),  # the module would refuse it
    ])
def test_adoption_cancellation_other_prices_and_bad_input_are_not_decided(declared):
    undecided(declared)


def test_verdicts_split_the_play_by_host():
    other = dict(DECLARED, host='initech', tenant_id='initech')
    found = {'customers': [CUSTOMER], 'subscriptions': [SUBSCRIPTION], 'tenants': [TENANT]}
    converged, per_tenant = verdicts([DECLARED, other], found)
    assert list(converged) == ['acme'] and per_tenant == {'initech': 'new tenant'}


class Pages:
    """A list endpoint in pages, counting requests as the clients do."""

    def __init__(self, objects, size):
        self.pages = [objects[start:start + size] for start in range(0, len(objects), size)] or [[]]
        self.counts = {'reads': 0, 'writes': 0}


class FakeStripe:

    def __init__(self, subscriptions, customers):
        self.counts = {'reads': 0, 'writes': 0}
        self.lists = {'/v1/subscriptions': Pages(subscriptions, 100), '/v1/customers': Pages(customers, 100)}
        self.params = {}

    def list_all(self, method, params=None, max_pages=None):
        self.params[method] = params
        pages = self.lists[method].pages
        for number, dummy in enumerate(pages, 1):
            if max_pages is not None and number > max_pages:
                return None
            self.counts['reads'] += 1
        return [obj for page in pages for obj in page]


class FakeTts:

    def __init__(self, tenants):
        self.counts = {'reads': 0, 'writes': 0}
        self.tenants = tenants

    def list_tenants(self, paths, max_pages=None):
        del paths, max_pages
        self.counts['reads'] += 1
        return list(self.tenants)


def test_the_read_drops_secret_metadata_and_expands_tax_ids():
    sub = copy.deepcopy(SUBSCRIPTION)
    sub['metadata']['admin-password'] = 'hunter2-secret'
    stripe, tts = FakeStripe([sub], [CUSTOMER]), FakeTts([TENANT, dict(TENANT, ids={'tenant_id': 'initech'})])
    found, spent, lists = read_snapshot(stripe, tts, float('inf'), ['acme', 'initech'])
    assert spent == {'stripe': 2, 'tts': 1} and lists == {'tenants': tts.tenants}
    assert 'admin-password' not in found['subscriptions'][0]['metadata']
    assert stripe.params['/v1/customers'] == {'expand': ['data.tax_ids']}


def test_the_read_is_not_made_when_it_costs_more_than_it_saves():
    # one tenant: 3 per-tenant reads, the bulk read at least 3 requests: nothing is read
    stripe, tts = FakeStripe([SUBSCRIPTION], [CUSTOMER]), FakeTts([TENANT])
    assert read_snapshot(stripe, tts, float('inf'), ['acme']) == (None, {'stripe': 0, 'tts': 0}, {})
    # new tenants only: after the tenant list, Stripe is not read
    assert read_snapshot(stripe, tts, float('inf'), ['new-1', 'new-2', 'new-3'])[:2] == (None, {'stripe': 0, 'tts': 1})
    # an account larger than the savings: stopped at the page that would exceed them
    crowd = [dict(SUBSCRIPTION, id='sub_%d' % number) for number in range(450)]
    stripe = FakeStripe(crowd, [CUSTOMER])
    found, spent, dummy = read_snapshot(stripe, FakeTts([TENANT, dict(TENANT, ids={'tenant_id': 'initech'})]), float('inf'),
                                        ['acme', 'initech'])
    assert found is None and spent['tts'] + spent['stripe'] <= 3 * 2 - 1


def test_the_audit_s_fleet_read_is_the_comparison_s_read():
    ended = dict(SUBSCRIPTION, id='sub_0', status='canceled', metadata={'tenant-id': 'acme', 'admin-password': 'hunter2-secret'})
    stripe, tts = FakeStripe([ended, SUBSCRIPTION], [CUSTOMER]), FakeTts([TENANT, dict(TENANT, ids={'tenant_id': 'initech'})])
    found, spent, lists = read_snapshot(stripe, tts, float('inf'), ['acme', 'initech'], ('tenants', 'subscriptions'))
    # one list each: every status for the fleet, only the live ones compared; no secret in either
    assert spent == {'stripe': 2, 'tts': 1} and stripe.params['/v1/subscriptions'] == {'status': 'all'}
    assert [sub['id'] for sub in lists['subscriptions']] == ['sub_0', 'sub_1'] and [sub['id']
                                                                                    for sub in found['subscriptions']] == ['sub_1']
    assert 'admin-password' not in lists['subscriptions'][0]['metadata']
    converged = {'acme': {'customer': 'cus_1', 'subscription': 'sub_1', 'status': 'active', 'tenant_state': 'STATE_APPROVED'}}
    assert verdicts([DECLARED], found)[0] == converged


def test_the_fleet_is_read_whatever_the_budget_and_only_the_customers_are_held_to_it():
    stripe, tts = FakeStripe([SUBSCRIPTION], [CUSTOMER]), FakeTts([TENANT])
    # one tenant saves 3 reads: the fleet lists are needed anyway, the customers fit (1 page): it decides
    found, spent, lists = read_snapshot(stripe, tts, float('inf'), ['acme'], ('tenants', 'subscriptions'))
    assert found is not None and spent == {'stripe': 2, 'tts': 1}
    # a budget of 0 (or no tenant to compare): the fleet lists only, nothing decided
    for budget, ids in ((0, ['acme']), (float('inf'), [])):
        stripe = FakeStripe([SUBSCRIPTION], [CUSTOMER])
        found, spent, lists = read_snapshot(stripe, tts, budget, ids, ('tenants', 'subscriptions'))
        assert found is None and spent['stripe'] == 1 and '/v1/customers' not in stripe.params and len(lists['subscriptions']) == 1
    # the usage needs the tenants only: they are free, the two Stripe lists must fit the budget
    stripe = FakeStripe([SUBSCRIPTION], [CUSTOMER])
    assert read_snapshot(stripe, tts, float('inf'), ['acme'], ('tenants', ))[1] == {'stripe': 2, 'tts': 1}
    stripe = FakeStripe([SUBSCRIPTION], [CUSTOMER])
    found, spent, lists = read_snapshot(stripe, tts, 1, ['acme'], ('tenants', ))
    assert found is None and spent == {'stripe': 0, 'tts': 1} and lists == {'tenants': [TENANT]}


def task_options(path, module):
    with open(path, encoding='utf-8') as handle:
        tasks = yaml.safe_load(handle)
    return [set(task[module]) for task in tasks if isinstance(task.get(module), dict) and task[module].get('state') != 'absent']


def test_the_options_compared_are_the_options_the_role_passes():
    """A new option of a role task must be compared by the bulk path too (or it would call a changed tenant converged)."""
    main = os.path.join(ROLE_TASKS, 'tenant.yml')
    assert task_options(main, 'thingsstack.tenancy.stripe_customer') == [set(tenant_snapshot.CUSTOMER_OPTIONS)]
    assert task_options(main, 'thingsstack.tenancy.stripe_subscription') == [set(tenant_snapshot.SUBSCRIPTION_OPTIONS)]
    assert task_options(main, 'thingsstack.tenancy.tts_tenant') == [set(tenant_snapshot.DIRECT_TENANT_OPTIONS)]
    billing = os.path.join(ROLE_TASKS, 'tenant_billing.yml')
    assert task_options(billing, 'thingsstack.tenancy.tts_tenant') == [set(tenant_snapshot.BILLING_TENANT_OPTIONS)]


class TaggedStr(str):
    """Stands in for Ansible's tagged strings, which the play's check receives from its templar."""


def test_the_play_s_check_gets_plain_data_with_keys_of_their_own_type():
    """The play's check (action tenant_snapshot) makes each tenant's templated variables plain before its input check:
    strings become str, containers dict and list, and a key keeps its type, so a key that is no string is refused as the
    per-tenant path refuses it instead of passing as its text."""
    tenant = plain({TaggedStr('tenant_attributes'): {123: TaggedStr('x')}, 'tenant_plan': {'metadata': {TaggedStr('k'): (1, 2.5)}}})
    assert tenant == {'tenant_attributes': {123: 'x'}, 'tenant_plan': {'metadata': {'k': [1, 2.5]}}}
    strings = list(tenant) + [tenant['tenant_attributes'][123], next(iter(tenant['tenant_plan']['metadata']))]
    assert {type(value) for value in strings} == {str}
    declared = dict(tenant, tenant_id='acme', tenant_customer={'email': 'billing@acme.example'}, tenant_provisioning='direct',
                    tenant_plan={'price': 'tts-small-monthly'}, tenant_state='present')
    assert any('tenant_attributes' in error and '123' in error for error in input_errors(declared)), input_errors(declared)
