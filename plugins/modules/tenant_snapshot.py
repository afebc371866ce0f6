# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: tenant_snapshot
short_description: Find the tenants of a play that need no change, with one bulk read of Stripe and The Things Stack
version_added: 0.2.0
description:
  - The bulk path of the converged runs of the role thingsstack.tenancy.tenant. One read of every live subscription
    (items and prices embedded), every customer (with its tax IDs) and every tenant, by list requests only (100 Stripe
    objects or 1,000 tenants a request), then a comparison of each declared tenant with that read by the comparison code
    of M(thingsstack.tenancy.stripe_customer), M(thingsstack.tenancy.stripe_subscription) and M(thingsstack.tenancy.tts_tenant).
  - A tenant for which none of these modules would change or refuse anything is returned in RV(converged); every other
    tenant (new, drifted, or anything the read cannot decide) in RV(per_tenant), with what differs. The role runs its
    per-tenant tasks, with their live reads before every write, only for those.
  - The read only ever decides that nothing is to be done; it is never used to write.
  - Read-only; never reports a change and works the same in check mode.
  - The connection comes from O(api_key), O(api_base), O(url) and O(tenant_admin_key), else from the environment of
    C(ansible-playbook) on the controller as the AWX credential types of this collection inject it, with the same variables
    as the Stripe and TTS modules (E(STRIPE_API_KEY), E(STRIPE_API_BASE), E(STRIPE_API_VERSION), E(STRIPE_VALIDATE_CERTS),
    E(STRIPE_CA_PATH), E(STRIPE_ALLOW_HTTP), E(TTS_URL), E(TTS_TENANT_ADMIN_KEY), E(TTS_VALIDATE_CERTS), E(TTS_CA_PATH),
    E(TTS_ALLOW_HTTP)). Without them, or when a read fails, nothing is decided (RV(read) is false) and every tenant is
    in RV(per_tenant). The tenant role passes none of these options.
author:
  - Thingsstack Tenancy Developers (@thingsstack)
options:
  tenants:
    description:
      - The declared tenants, each as the role builds it (its internal variable C(__tenant_bulk)) - C(host),
        C(tenant_id), C(steps) (of the filter P(thingsstack.tenancy.tenant_steps#filter)), C(customer), C(customer_id),
        C(plan), C(admin) (without the password), C(name), C(description), C(attributes), C(purge_attributes),
        C(configuration), C(claim_lookup), C(adopt).
      - One of O(tenants), O(hosts) and O(play) is required.
    type: list
    elements: dict
  hosts:
    description:
      - The hosts of the play whose tenants to compare, for a task of the role thingsstack.tenancy.tenant (its entry
        point for the audit, C(tasks/audit.yml), passes C(ansible_play_hosts) with C(run_once)). The task reads each
        host's role variables as the role's own tasks see them (inventory, play and role variables, the role's
        defaults), checks them by the rules of the filter
        P(thingsstack.tenancy.tenant_prepare#filter) and against one another (P(thingsstack.tenancy.tenant_conflicts#filter)),
        and compares the tenants that pass; one task for the whole play instead of one a tenant.
      - A host whose input is refused, that conflicts with another, or whose variables cannot be templated is not
        compared; it is in RV(per_tenant), and its own tasks refuse it.
    type: list
    elements: str
  play:
    description:
      - Compare the hosts of the play's batch (C(ansible_play_batch), every host of the play without C(serial)) as
        O(hosts) does, with the task running for each host instead of once (no C(run_once)). The first of those hosts
        checks and reads for the whole batch while Ansible runs the task for the others, so the check and the read
        overlap the work Ansible does for each host; each other host's result names it in RV(read_by) and holds no
        finding of its own. The lookup
        P(thingsstack.tenancy.tenant_finding#lookup) takes a host's finding from the result of the host that read. The
        role thingsstack.tenancy.tenant gives it.
      - The linear strategy (Ansible's default) ends the task on every host before the next task starts. With another
        strategy a host may look for its finding before the read is done; it then finds none and takes the per-tenant
        path, and as the conflicts with other hosts are not known, the role then fails the host.
      - With C(run_once), the host that runs the task checks and reads, as with O(hosts).
      - Must be true when given.
    type: bool
  max_requests:
    description:
      - The most requests the read may take, for example what the per-tenant path would spend on the same tenants (the
        role gives 3 a tenant). A read that would take more is stopped before it does, and nothing is decided.
      - Not set, the read is not limited.
    type: int
  fleet:
    description:
      - Also classify the live fleet for the audit (the rules of the filter P(thingsstack.tenancy.tenant_fleet_audit#filter))
        and return its compact section in RV(fleet). The read then lists every subscription of the account, in any
        status, and every tenant, whatever O(max_requests) says (the audit needs them); only the customers, which the
        comparison alone needs, are held to the budget. The same read serves the comparison, so the fleet is listed once.
      - The playbook thingsstack.tenancy.audit gives it through the role.
    type: dict
    suboptions:
      declared:
        description: The declared tenant IDs of the whole inventory (also outside C(--limit)).
        type: list
        elements: str
        required: true
      billing:
        description: Those of them declared in billing mode.
        type: list
        elements: str
        default: []
  usage:
    description:
      - Also read the registry totals of the tenants of O(tenants) that exist (the batch call of
        M(thingsstack.tenancy.tts_tenant_usage_info), 100 tenants a request; the tenants and their limits come from the
        same tenant list) and return them in RV(usage).
    type: bool
    default: false
  api_key:
    description:
      - Stripe secret key (C(sk_test_...), C(sk_live_...)) or restricted key (C(rk_...)), else E(STRIPE_API_KEY).
      - Never shown in output or return values.
    type: str
  api_base:
    description:
      - Base URL of the Stripe API, else E(STRIPE_API_BASE), else Stripe's own; the rules of the Stripe modules' O(api_base).
    type: str
  url:
    description:
      - Base address of The Things Stack Enterprise deployment, else E(TTS_URL); the rules of the TTS modules' O(url).
    type: str
  tenant_admin_key:
    description:
      - A tenant administration key of the Identity Server, else E(TTS_TENANT_ADMIN_KEY).
      - Never shown in output or return values.
    type: str
attributes:
  action_group:
    description: Use C(group/thingsstack.tenancy.tenant) in C(module_defaults) to give the connection options once; the
      groups of the Stripe and TTS modules do not reach it.
    support: full
    membership:
      - thingsstack.tenancy.tenant
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - thingsstack.tenancy.attributes.info_module
seealso:
  - module: thingsstack.tenancy.stripe_customer
  - module: thingsstack.tenancy.stripe_subscription
  - module: thingsstack.tenancy.tts_tenant
"""

EXAMPLES = r"""
# Once per play, over the play's hosts (in a task of the role, so that their role variables are seen), as the role's
# audit entry does:
- name: Check the play's tenants and find those that need no change
  thingsstack.tenancy.tenant_snapshot:
    hosts: "{{ ansible_play_hosts }}"
    max_requests: "{{ ansible_play_hosts | length * 3 - 1 }}"
  register: snapshot
  run_once: true

# The role's own task: run for every host, the first reads for all while the others' tasks run, and a host's finding is
# taken from that host's result (lookup thingsstack.tenancy.tenant_finding)
- name: Check the play's tenants and read them in bulk, by the play's first host
  thingsstack.tenancy.tenant_snapshot:
    play: true
  register: snapshot

- name: End the role for a tenant that needs no change
  ansible.builtin.meta: end_role
  when: lookup('thingsstack.tenancy.tenant_finding', 'snapshot') | length > 0

# By hand, with a declaration of each host as the role builds it:
- name: Find the converged tenants
  thingsstack.tenancy.tenant_snapshot:
    tenants: "{{ ansible_play_hosts | map('extract', hostvars, '__tenant_bulk_declared') | list }}"
    max_requests: "{{ ansible_play_hosts | length * 3 }}"
  register: snapshot
  run_once: true
"""

RETURN = r"""
read:
  description: True when the bulk read was made and decided; false when it was not (no connection settings, a failed read,
    or more requests than O(max_requests)).
  returned: always
  type: bool
reason:
  description: Why the read was not made or did not decide, null when it was.
  returned: always
  type: str
converged:
  description:
    - Host name -> the tenant's objects, for each tenant the modules would not change - C(customer) and C(subscription)
      (IDs), C(status) (of the subscription) and C(tenant_state) (as The Things Stack spells it).
  returned: always
  type: dict
  sample: {acme: {customer: cus_123, subscription: sub_123, status: active, tenant_state: STATE_APPROVED}}
per_tenant:
  description: Host name -> why the tenant takes the per-tenant path (what differs, named by field, never by value).
  returned: always
  type: dict
  sample: {initech: "customer: name", globex: new tenant}
fleet:
  description:
    - With O(fleet), the audit's section of the live fleet (the output of the filter
      P(thingsstack.tenancy.tenant_fleet_audit#filter) - C(live_tenant_ids), C(undeclared), C(mismatches),
      C(invalid_tenant_ids), C(tbs_unmatched_subscriptions), C(tbs_ambiguous_subscriptions)), or C({error}) when the read
      could not be made or failed. Null without O(fleet).
  returned: always
  type: dict
usage:
  description:
    - With O(usage), C(tenants) (host name -> per entity kind C(used), C(limit), C(ratio), and C(max_ratio), as
      M(thingsstack.tenancy.tts_tenant_usage_info) returns them), C(kinds) (the kinds read) and C(error) (null, or why
      the usage could not be read). Null without O(usage).
  returned: always
  type: dict
  sample: {error: null, kinds: [end_devices, gateways], tenants: {acme: {end_devices: {used: 950, limit: 1000, ratio: 0.95},
           gateways: {used: 3, limit: 10, ratio: 0.3}, max_ratio: 0.95}}}
read_by:
  description:
    - With O(play), in the result of each host but the one that read - the host that read, whose result holds the play's
      findings; this result then holds none (RV(read) false). Null in the result of the host that read, and without
      O(play).
  returned: always
  type: str
  sample: acme
task_uuid:
  description: The task's UUID, the same in the result of every host of one task; the lookup
    P(thingsstack.tenancy.tenant_finding#lookup) takes the result of the host that read only when it is of the same task.
  returned: always
  type: str
conflicts:
  description: With O(hosts) or O(play), host name -> why its tenant conflicts with another host's (the messages of the filter
    P(thingsstack.tenancy.tenant_conflicts#filter)); C({}) with O(tenants).
  returned: always
  type: dict
  sample: {acme: ["tenant_id: hosts acme and acme-2 both declare tenant 'acme'; declare each tenant on one host only"]}
requests:
  description: The requests the read made, by service.
  returned: always
  type: dict
  sample: {stripe: 22, tts: 1}
"""

from ansible.module_utils.basic import env_fallback

from ansible_collections.thingsstack.tenancy.plugins.module_utils.controller import run_on_controller

ARGUMENT_SPEC = dict(
    tenants=dict(type='list', elements='dict'),
    hosts=dict(type='list', elements='str'),
    play=dict(type='bool'),
    max_requests=dict(type='int'),
    fleet=dict(type='dict', options=dict(declared=dict(type='list', elements='str', required=True),
                                         billing=dict(type='list', elements='str', default=[]))),
    usage=dict(type='bool', default=False),
    api_key=dict(type='str', no_log=True, fallback=(env_fallback, ['STRIPE_API_KEY'])),
    api_base=dict(type='str', fallback=(env_fallback, ['STRIPE_API_BASE'])),
    url=dict(type='str', fallback=(env_fallback, ['TTS_URL'])),
    tenant_admin_key=dict(type='str', no_log=True, fallback=(env_fallback, ['TTS_TENANT_ADMIN_KEY'])),
)  # yapf: disable

ARGUMENT_RULES = dict(required_one_of=[('tenants', 'hosts', 'play')], mutually_exclusive=[('tenants', 'hosts', 'play')])


def main():
    run_on_controller(ARGUMENT_SPEC, ARGUMENT_RULES)


if __name__ == '__main__':
    main()
