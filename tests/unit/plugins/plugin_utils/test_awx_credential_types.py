# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWX credential types of docs/awx/, injected as AWX does, give the modules the connection options they declare."""

from __future__ import annotations

import os

import jinja2
import pytest
import yaml

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.thingsstack.tenancy.plugins.module_utils.stripe_spec import stripe_argument_spec
from ansible_collections.thingsstack.tenancy.plugins.module_utils.tts_spec import tts_argument_spec
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils import stripe_api, tts_api

DOCS = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'docs', 'awx')
PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'
CASES = {
    'stripe': ('credential-type-stripe.yml', stripe_argument_spec, stripe_api.check_connection,
               {'api_key': 'sk_test_awx', 'api_base': 'https://api.stripe.com'}),
    'tts': ('credential-type-tts.yml', tts_argument_spec, tts_api.check_connection,
            {'url': 'https://thethings.example.com', 'tenant_admin_key': 'ab' * 16}),
}


def inject(credential_type, inputs, tmp_path):
    """The job environment AWX makes: defaults filled in, each file template written, env templates rendered."""
    values = {field['id']: field.get('default', '') for field in credential_type['inputs']['fields']}
    values.update(inputs)
    filenames = {}
    for name, template in (credential_type['injectors'].get('file') or {}).items():
        path = tmp_path / name.replace('template.', '')
        path.write_text(jinja2.Template(template).render(values))
        filenames[name.replace('template.', '')] = str(path)
    tower = {'filename': filenames}
    return {name: jinja2.Template(template).render(values, tower=tower) for name, template in credential_type['injectors']['env'].items()}


@pytest.mark.parametrize('case', sorted(CASES))
def test_every_injected_variable_is_an_option_fallback(case):
    file_name, spec, dummy, dummy = CASES[case]
    with open(os.path.join(DOCS, file_name), encoding='utf-8') as handle:
        credential_type = yaml.safe_load(handle)
    fallbacks = {name for option in spec().values() if option.get('fallback') for name in option['fallback'][1]}
    assert set(credential_type['injectors']['env']) <= fallbacks
    assert {'CA_PATH', 'VALIDATE_CERTS'} <= {name.split('_', 1)[1] for name in credential_type['injectors']['env']}
    fields = {field['id']: field for field in credential_type['inputs']['fields']}
    assert fields['ca_cert']['multiline'] and fields['validate_certs']['type'] == 'boolean'
    assert fields.get('api_base', fields.get('url'))['format'] == 'url'


@pytest.mark.parametrize('case', sorted(CASES))
@pytest.mark.parametrize('extra, verify', [({}, True), ({'validate_certs': False}, False), ({'ca_cert': PEM}, 'file')])
def test_injected_environment_validates_and_connects_as_declared(case, extra, verify, tmp_path, monkeypatch):
    file_name, spec, check_connection, inputs = CASES[case]
    with open(os.path.join(DOCS, file_name), encoding='utf-8') as handle:
        credential_type = yaml.safe_load(handle)
    for name, value in inject(credential_type, dict(inputs, **extra), tmp_path).items():
        monkeypatch.setenv(name, value)
    result = ArgumentSpecValidator(spec()).validate({})
    assert not result.error_messages
    params = result.validated_parameters
    check_connection(params)
    assert params['validate_certs'] is (verify is not False)
    if verify == 'file':
        with open(params['ca_path'], encoding='utf-8') as handle:
            assert handle.read() == PEM
    else:
        assert not params['ca_path']
