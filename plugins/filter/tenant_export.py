# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filter thingsstack.tenancy.tenant_export (documented in tenant_export.yml): hosts of the inventory plugin
thingsstack.tenancy.tenants as the files of a declarative inventory, for the export playbook."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tenant_fleet import export_files


def filter_tenant_export(hosts, hostvars):
    """``export_files`` of the named hosts, which must come from the inventory plugin (they carry ``tenant_live``)."""
    if isinstance(hosts, str) or not isinstance(hosts, (list, tuple)):
        raise AnsibleFilterError(f"tenant_export: expects a list of host names, got {type(hosts).__name__}")
    foreign = [name for name in hosts if 'tenant_live' not in hostvars[name]]
    if foreign:
        raise AnsibleFilterError(f"tenant_export: {', '.join(sorted(foreign))} did not come from the inventory plugin "
                                 'thingsstack.tenancy.tenants (no tenant_live); run with -i FILE.tenants.yml')
    return export_files({name: hostvars[name] for name in hosts})


class FilterModule:
    """thingsstack.tenancy export of the live fleet."""

    def filters(self):
        return {'tenant_export': filter_tenant_export}
