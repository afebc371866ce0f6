"""playbooks/catalog.yml ensures the operator's own catalog and never the example by itself (issue 8, point 7)."""

import os

import pytest
import yaml

from conftest import REPO

LOCALHOST = {
    'all': {'hosts': {'localhost': {'ansible_connection': 'local', 'ansible_python_interpreter': '{{ ansible_playbook_python }}'}}}
}


def catalog_file(tmp_path, **catalog):
    path = tmp_path / 'my-catalog.yml'
    path.write_text(yaml.safe_dump(catalog), encoding='utf-8')
    return '@%s' % path


def assert_nothing_sent(services):
    counts = services.counters()
    if counts is not None:
        assert counts['stripe']['total'] == 0, counts


def test_refuses_without_a_catalog(services):
    services.clear_counters()
    result = services.playbook('catalog', LOCALHOST)
    assert result.rc != 0, result.output
    assert 'No catalog given: pass your own with -e @my-catalog.yml' in result.output
    assert 'playbooks/vars/catalog.example.yml' in result.output
    assert 'tts-small-monthly' not in result.output
    assert_nothing_sent(services)


@pytest.mark.parametrize('catalog', [
    {'catalog_prices': 'tts-small-monthly'},
    {'catalog_prices': {'lookup_key': 'x-monthly'}},
    {'catalog_prices': [{'product': 'tts-enterprise', 'unit_amount': 100}]},
    {'catalog_products': ['tts-enterprise']},
], ids=['string', 'mapping', 'price-without-lookup-key', 'product-not-a-mapping'])
def test_refuses_a_malformed_catalog(services, tmp_path, catalog):
    services.clear_counters()
    result = services.playbook('catalog', LOCALHOST, extra_vars=catalog_file(tmp_path, **catalog))
    assert result.rc != 0, result.output
    assert 'catalog_products and catalog_prices must be lists of mappings' in result.output
    assert_nothing_sent(services)


def test_ensures_only_the_given_catalog(services, tmp_path):
    product = services.tenant_id('ptcat')
    products = [{'id': product, 'name': 'Playbook test product ' + product}]
    services.clear_counters()
    result = services.playbook('catalog', LOCALHOST, extra_vars=catalog_file(tmp_path, catalog_products=products))
    assert result.rc == 0, result.output
    assert 'tts-small-monthly' not in result.output and 'tts-large-monthly' not in result.output
    counts = services.counters()
    if counts is not None:
        assert counts['stripe']['writes'] == 1, counts  # the product, nothing of the example

    prices = [{
        'lookup_key': product + '-monthly', 'product': product, 'currency': 'eur', 'unit_amount': 100, 'recurring': {'interval': 'month'},
        'tenant_limits': {'gateways': 2}
    }]
    own = catalog_file(tmp_path, catalog_products=products, catalog_prices=prices)
    for writes in (1, 0):  # the price, then nothing: converged
        services.clear_counters()
        result = services.playbook('catalog', LOCALHOST, extra_vars=own)
        assert result.rc == 0, result.output
        assert '%s-monthly: price_' % product in result.output
        assert 'tts-small-monthly' not in result.output
        counts = services.counters()
        if counts is not None:
            assert counts['stripe']['writes'] == writes, counts


def test_writes_the_tbs_plan_ids_and_warns_when_a_plan_is_replaced(services, tmp_path):
    product = services.tenant_id('ptbs')
    products = [{'id': product, 'name': 'Playbook TBS product ' + product, 'unit_label': 'tenant'}]

    def price(key, amount, **extra):
        return dict(
            {
                'lookup_key': '%s-%s' %
                (product, key), 'product': product, 'currency': 'eur', 'unit_amount': amount, 'recurring': {'interval': 'month'}
            }, **extra)

    fragment = tmp_path / 'tbs-plans.yml'
    relative = os.path.relpath(fragment, REPO)  # resolved from where ansible-playbook runs

    def run(amount):
        catalog = catalog_file(tmp_path, catalog_products=products,
                               catalog_prices=[price('plan', amount, tbs_plan='recurring'),
                                               price('addon', 100)])
        result = services.playbook('catalog', LOCALHOST, '-e', 'catalog_tbs_config_file=' + relative, extra_vars=catalog)
        assert result.rc == 0, result.output
        plans = yaml.safe_load(fragment.read_text(encoding='utf-8'))['tbs']['stripe']
        return result, plans

    services.clear_counters()
    result, plans = run(100)
    first = plans['recurring-plan-ids']
    assert len(first) == 1 and first[0].startswith('price_') and plans['metered-plan-ids'] == []
    assert first[0] in result.output and 'tbs.stripe.endpoint-secret-key' in fragment.read_text(encoding='utf-8')
    assert oct(fragment.stat().st_mode & 0o777) == '0o644'

    result, plans = run(200)  # an immutable change: a new price for the marked plan
    new, = [plan for plan in plans['recurring-plan-ids'] if plan != first[0]]
    assert sorted(plans['recurring-plan-ids']) == sorted([new, first[0]])  # the old one stays while subscriptions remain on it
    warning = ' '.join(result.output.split())
    assert 'new price %s, old price %s' % (new, first[0]) in warning
    assert 'add %s to tbs.stripe.recurring-plan-ids before any new subscription uses it' % new in warning
    assert 'keep %s in tbs.stripe.recurring-plan-ids while subscriptions remain on it' % first[0] in warning

    services.clear_counters()
    result, again = run(200)
    assert again == plans and 'TBS recurring plan and was replaced' not in result.output
    counts = services.counters()
    if counts is not None:
        assert counts['stripe']['writes'] == 0, counts
