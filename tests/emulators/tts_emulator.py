"""Run the TTS emulator: the Identity Server tenant registry and the Tenant Billing Server's Stripe webhook.

    python tests/emulators/tts_emulator.py --port 0 --port-file /tmp/tts.port --tenant-admin-key <hex>
        [--host 127.0.0.1] [--tbs-enable --tbs-stripe-api-base URL --tbs-stripe-api-key KEY
         --tbs-endpoint-secret whsec_... --tbs-recurring-plan-ids id1,id2 --tbs-metered-plan-ids id3]

--tbs-plan-ids is the older name of --tbs-recurring-plan-ids. Enabling the TBS with no plan ID fails, as TTS's startup does.

Listens on the loopback address only, writes the bound port to --port-file once it accepts
connections, and serves until SIGTERM or SIGINT.

Control API (no auth; not logged or counted; JSON):
    POST   /_emulator/reset                 clear tenants, users, request log, counters, faults, TBS events (keeps config)
    POST   /_emulator/log/clear             clear the request log and the counters
    GET    /_emulator/requests              {"requests": [{seq, method, path, query, status, fault, body}]}
    GET    /_emulator/counters              {total, reads, writes, webhooks, by_status}
    GET    /_emulator/faults                the faults still pending
    POST   /_emulator/faults                {"faults": [{type: status|delay|drop_response, count, method?, path? (prefix),
                                             status?, retry_after?, echo_request?, seconds?}]}; appended, consumed
                                             in order; echo_request repeats the request (Authorization header and
                                             body included) in the injected error's message
    DELETE /_emulator/faults                drop all pending faults
    GET    /_emulator/tbs                   the TBS configuration
    POST   /_emulator/tbs                   merge {enabled, stripe_api_base, stripe_api_key, endpoint_secret,
                                             recurring_plan_ids, metered_plan_ids}; `plan_ids` alone sets the recurring
                                             list and empties the metered one; read back, `plan_ids` is both lists
    GET    /_emulator/tbs/events            {"events": [{event_id, type, action, tenant_id, subscription_id, customer_id,
                                             subscription_status, error, status}]}
    GET    /_emulator/tenants/{id}/users    {"users": [...]} created in that tenant (no passwords)
    POST   /_emulator/tenants/{id}/registry merge the tenant's entity counts that registry totals report:
                                             {"applications", "clients", "end_devices", "activated_end_devices",
                                             "gateways", "organizations", "users"} (non-negative integers; users
                                             defaults to the users created in the tenant); 404 for a missing tenant

Registry totals (GET /api/v3/tenants/{id}/registry-totals, POST /api/v3/tenants/registry-totals) count as reads.
"""

import argparse
import ipaddress
import os
import signal
import sys
import tempfile
import threading

from tts_emu import registry, server, tbs

DEFAULT_BLOCKLIST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tts_id_blocklist.txt")


def parse_admin_keys(values):
    """is.tenancy.admin-keys: 16, 24 or 32 hex-encoded bytes each (repeat the option or separate with commas)."""
    keys = []
    for value in values:
        for item in value.split(","):
            try:
                key = bytes.fromhex(item.strip()) if item.strip().isalnum() else b""
            except ValueError:
                key = b""
            if len(key) not in (16, 24, 32):
                raise ValueError("error:pkg/identityserver:tenant_admin_key (invalid tenant admin key): "
                                 "each key must be 16, 24 or 32 hex-encoded bytes")
            keys.append(key)
    return keys


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one")
    parser.add_argument("--port-file", help="file that receives the bound port once the server listens")
    parser.add_argument("--tenant-admin-key", action="append", required=True, help="hex tenant admin key (repeatable)")
    parser.add_argument("--blocklist", default=DEFAULT_BLOCKLIST, help="ID blocklist file, one ID a line")
    parser.add_argument("--tbs-enable", action="store_true", help="enable the Tenant Billing Server's Stripe backend")
    parser.add_argument("--tbs-stripe-api-base", default="https://api.stripe.com", help="Stripe API base URL")
    parser.add_argument("--tbs-stripe-api-key", default="", help="Stripe secret key the TBS uses")
    parser.add_argument("--tbs-endpoint-secret", default="", help="webhook endpoint secret (whsec_...)")
    parser.add_argument("--tbs-recurring-plan-ids", "--tbs-plan-ids", action="append", default=[],
                        help="comma-separated recurring plan (price) IDs (repeatable)")
    parser.add_argument("--tbs-metered-plan-ids", action="append", default=[], help="comma-separated metered plan (price) IDs (repeatable)")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    return parser.parse_args(argv)


def write_port_file(path, port):
    """Write atomically: a temporary file in the same directory, then rename."""
    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(prefix=".tts-port-", dir=directory)
    with os.fdopen(handle, "w") as stream:
        stream.write(f"{port}\n")
    os.replace(temporary, path)


def main(argv=None):
    args = parse_args(argv)
    try:
        if not ipaddress.ip_address(args.host).is_loopback or ipaddress.ip_address(args.host).version != 4:
            raise ValueError(f"--host must be an IPv4 loopback address, not {args.host}")
        admin_keys = parse_admin_keys(args.tenant_admin_key)
        tbs_config = tbs.Config().merged({
            "enabled": args.tbs_enable,
            "stripe_api_base": args.tbs_stripe_api_base,
            "stripe_api_key": args.tbs_stripe_api_key,
            "endpoint_secret": args.tbs_endpoint_secret,
            "recurring_plan_ids": ",".join(args.tbs_recurring_plan_ids),
            "metered_plan_ids": ",".join(args.tbs_metered_plan_ids),
        })
        blocklist = registry.load_blocklist(args.blocklist)
    except (OSError, ValueError) as exc:
        print(f"tts_emulator: {exc}", file=sys.stderr)
        return 2

    httpd = server.EmulatorServer((args.host, args.port), server.Emulator(admin_keys, blocklist, tbs_config), verbose=args.verbose)

    def stop(signum, frame):  # pylint: disable=unused-argument
        threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    port = httpd.server_address[1]
    if args.port_file:
        write_port_file(args.port_file, port)
    print(f"tts_emulator: listening on http://{args.host}:{port}", file=sys.stderr, flush=True)
    try:
        httpd.serve_forever(poll_interval=0.2)
    finally:
        httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
