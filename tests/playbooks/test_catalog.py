"""playbooks/catalog.yml ensures the operator's own catalog and never the example by itself (issue 8, point 7)."""

import pytest
import yaml

LOCALHOST = {'all': {'hosts': {'localhost': {
    'ansible_connection': 'local', 'ansible_python_interpreter': '{{ ansible_playbook_python }}'}}}}


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

    prices = [{'lookup_key': product + '-monthly', 'product': product, 'currency': 'eur', 'unit_amount': 100,
               'recurring': {'interval': 'month'}, 'tenant_limits': {'gateways': 2}}]
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
