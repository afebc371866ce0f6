# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of thingsstack.tenancy.tts_tenant_info (documented in plugins/modules/tts_tenant_info.py)."""

from __future__ import annotations

import re

from ansible_collections.thingsstack.tenancy.plugins.modules import tts_tenant_info
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import ApiError, InvalidOption
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tenant_rules import check_existing_tenant_id
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tts_action import TtsAction
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tts_api import forbidden_paths, unsupported_paths

PATH_RE = re.compile(r'^[a-z0-9_]+(\.[a-z0-9_]+)*$')


class ActionModule(TtsAction):
    MODULE = tts_tenant_info

    def validate(self, params):
        check_existing_tenant_id('tenant_id', params['tenant_id'])
        for path in params['fields']:
            if not PATH_RE.match(path or ''):
                raise InvalidOption('fields', f"{path!r} is not a field mask path (snake_case names separated by dots)")

    def ensure(self, api, params):
        paths = list(dict.fromkeys(params['fields']))
        try:
            tenants = self.read(api, params['tenant_id'], paths)
            unsupported = unsupported_paths(api.last_headers)
        except ApiError as exc:
            # Current TTS refuses the whole read (releases before it left such paths out, with an X-Warning): read the others.
            unsupported = [path for path in forbidden_paths(exc) if path in paths]
            if not unsupported:
                raise
            paths = [path for path in paths if path not in unsupported]
            tenants = self.read(api, params['tenant_id'], paths)
        if unsupported:
            self.warnings.append(
                f"The Things Stack does not support the field mask path(s) {', '.join(unsupported)}; they were not returned")
        return {'changed': False, 'tenants': tenants, 'tenant_id': params['tenant_id'], 'fields': paths}

    @staticmethod
    def read(api, tenant_id, paths):
        if tenant_id:
            tenant = api.get_tenant(tenant_id, paths)
            return [] if tenant is None else [tenant]
        return api.list_tenants(paths)
