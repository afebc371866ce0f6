# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The play's check (action tenant_snapshot) templates every tenant's variables with one templar that compiles each
template string once and renders it with each host's own variables."""

from __future__ import annotations

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

from ansible_collections.thingsstack.tenancy.plugins.action.tenant_snapshot import compiling_once


def test_each_template_is_compiled_once_and_rendered_with_each_host_s_variables():
    templar = Templar(loader=DataLoader())
    compiled = []
    engine = templar._engine  # pylint: disable=protected-access
    compile_template = engine._compile_template  # pylint: disable=protected-access

    def counting(template, options):
        compiled.append(str(template))
        return compile_template(template, options)

    engine._compile_template = counting  # pylint: disable=protected-access
    templar = compiling_once(templar)
    rendered = []
    for host in ('acme', 'globex', 'initech'):
        templar.available_variables = {
            'inventory_hostname': host, 'tenant_id': trust_as_template('{{ inventory_hostname }}'), 'tenant_name':
            trust_as_template('Tenant {{ tenant_id | upper }}')
        }
        rendered.append(
            (templar.template(templar.available_variables['tenant_id']), templar.template(templar.available_variables['tenant_name'])))
    assert rendered == [('acme', 'Tenant ACME'), ('globex', 'Tenant GLOBEX'), ('initech', 'Tenant INITECH')]
    assert sorted(compiled) == ['Tenant {{ tenant_id | upper }}', '{{ inventory_hostname }}']


def test_a_templar_without_the_compile_step_is_used_as_it_is():
    """ansible-core's compile step is private: when it is not there, the check templates as before."""

    class Bare:
        _engine = object()

    bare = Bare()
    assert compiling_once(bare) is bare
