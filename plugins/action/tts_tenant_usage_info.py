# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of thingsstack.tenancy.tts_tenant_usage_info (documented in plugins/modules/tts_tenant_usage_info.py)."""

from __future__ import annotations

from ansible_collections.thingsstack.tenancy.plugins.module_utils.tenant_limits import LIMIT_OPTIONS
from ansible_collections.thingsstack.tenancy.plugins.modules import tts_tenant_usage_info
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import InvalidOption
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tenant_rules import check_existing_tenant_id
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tts_action import TtsAction
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tts_usage import KINDS, read_totals, usage_of


class ActionModule(TtsAction):
    MODULE = tts_tenant_usage_info

    def validate(self, params):
        check_existing_tenant_id('tenant_id', params['tenant_id'])
        for index, tenant_id in enumerate(params['tenant_ids'] or []):
            check_existing_tenant_id(f"tenant_ids[{index}]", tenant_id)

    def ensure(self, api, params):
        if params['tenant_id']:
            tenant_id = params['tenant_id']
            tenant = api.get_tenant(tenant_id, list(LIMIT_OPTIONS))
            totals, kinds = (None, KINDS) if tenant is None else read_totals(lambda mask: api.get_registry_totals(tenant_id, mask))
            found = {} if tenant is None or totals is None else {tenant_id: (tenant, totals)}
            wanted = [tenant_id]
        else:
            tenants = {}
            for tenant in api.list_tenants(list(LIMIT_OPTIONS)):
                tenant_id = ((tenant or {}).get('ids') or {}).get('tenant_id')
                if isinstance(tenant_id, str):
                    tenants[tenant_id] = tenant
            if params['tenant_ids'] is None:
                # Only IDs that follow the rule are sent back to TTS or name a key of the result.
                wanted = sorted(tenant_id for tenant_id in tenants if self.valid(tenant_id))
            else:
                wanted = list(dict.fromkeys(params['tenant_ids']))
            asked = [tenant_id for tenant_id in wanted if tenant_id in tenants]
            totals, kinds = read_totals(lambda mask: api.batch_registry_totals(asked, mask)) if asked else ({}, KINDS)
            found = {tenant_id: (tenants[tenant_id], totals[tenant_id]) for tenant_id in asked if tenant_id in totals}
        if kinds != KINDS:
            self.warnings.append(f"The Things Stack does not count {', '.join(kind for kind in KINDS if kind not in kinds)}; "
                                 'left out of the usage')
        usage = {tenant_id: usage_of(tenant_id, totals, tenant, kinds) for tenant_id, (tenant, totals) in found.items()}
        return {
            'changed': False, 'usage': usage, 'missing': [tenant_id for tenant_id in wanted if tenant_id not in found], 'kinds': list(kinds)
        }

    def valid(self, tenant_id):
        try:
            check_existing_tenant_id('tenant_id', tenant_id)
        except InvalidOption:
            self.warnings.append(f"The Things Stack listed a tenant whose ID breaks the tenant ID rule; left out: {tenant_id[:40]!r}")
            return False
        return True
