# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filters thingsstack.tenancy.tenant_export and tenant_inventory_hosts (documented in their .yml files): hosts of the
inventory plugin thingsstack.tenancy.tenants as the files of a declarative inventory, and the hosts of a written
inventory file read back as Ansible reads it, for the export playbook."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import inventory_loader

from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tenant_fleet import export_files, plain


def filter_tenant_export(hosts, hostvars, invalid=None):
    """``export_files`` of the named hosts, which must come from the inventory plugin (they carry ``tenant_live``), with
    the plugin's ``invalid_tenant_ids``."""
    if isinstance(hosts, str) or not isinstance(hosts, (list, tuple)):
        raise AnsibleFilterError(f"tenant_export: expects a list of host names, got {type(hosts).__name__}")
    if invalid is not None and (isinstance(invalid, (str, dict)) or not isinstance(invalid, (list, tuple))):
        raise AnsibleFilterError(f"tenant_export: invalid must be the list invalid_tenant_ids, got {type(invalid).__name__}")
    foreign = [name for name in hosts if 'tenant_live' not in hostvars[name]]
    if foreign:
        raise AnsibleFilterError(f"tenant_export: {', '.join(sorted(foreign))} did not come from the inventory plugin "
                                 'thingsstack.tenancy.tenants (no tenant_live); run with -i FILE.tenants.yml')
    return export_files({name: hostvars[name] for name in hosts}, plain(invalid or []))


def filter_tenant_inventory_hosts(path):
    """The sorted host names of the inventory file ``path``, parsed by ansible-core's YAML inventory plugin."""
    if not isinstance(path, str):
        raise AnsibleFilterError(f"tenant_inventory_hosts: expects the path of an inventory file, got {type(path).__name__}")
    inventory = InventoryData()
    parser = inventory_loader.get('yaml')  # ansible.builtin.yaml
    if not parser.verify_file(path):
        raise AnsibleFilterError(f"tenant_inventory_hosts: {path} is not a YAML inventory file that Ansible would read")
    try:
        parser.parse(inventory, DataLoader(), path, cache=False)
    except Exception as exc:  # pylint: disable=broad-exception-caught  # any parse error: the file is not what was meant
        raise AnsibleFilterError(f"tenant_inventory_hosts: Ansible cannot read {path}: {exc}") from None
    return sorted(inventory.hosts)


class FilterModule:
    """thingsstack.tenancy export of the live fleet."""

    def filters(self):
        return {'tenant_export': filter_tenant_export, 'tenant_inventory_hosts': filter_tenant_inventory_hosts}
