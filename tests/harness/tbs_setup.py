"""Switch on the TTS emulator's Tenant Billing Server (TBS) for the Stripe plans it should manage (stdlib only).

    STRIPE_API_BASE=... STRIPE_API_KEY=... TTS_URL=... \\
        python tests/harness/tbs_setup.py --plan tts-small-monthly [--plan LOOKUP_KEY_OR_PRICE_ID ...]
            [--metered-plan LOOKUP_KEY_OR_PRICE_ID ...] [--endpoint-secret-file FILE]
    python tests/harness/tbs_setup.py --off

What a TTS operator does once when enabling TBS (reference tts-tenant-api.md §5.1), done against the emulators:
  1. resolves each plan (a price lookup key or ID) to its price ID in Stripe;
  2. registers the TBS webhook endpoint in Stripe: POST /v1/webhook_endpoints with the URL
     {TTS_URL}/api/v3/tbs/stripe, the three customer.subscription.* events and API version 2022-11-15
     (an endpoint with that URL that already exists is replaced, so its secret is known); with
     --endpoint-secret-file, the endpoint that playbooks/billing_setup.yml made is used instead, with the secret
     that playbook wrote to FILE (make demo, make sandbox);
  3. configures the TBS through the TTS emulator's control API (POST /_emulator/tbs): enabled, the Stripe API
     base and key, the endpoint's signing secret and the plan IDs (--plan: tbs.stripe.recurring-plan-ids,
     --metered-plan: tbs.stripe.metered-plan-ids; at least one of them, as TBS does not start without a plan).
Only IDs are printed; the keys and the signing secret are never printed or written to a file.
--off switches the TBS off and removes the webhook endpoint.
"""

import argparse
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

EVENTS = ('customer.subscription.created', 'customer.subscription.updated', 'customer.subscription.deleted')
API_VERSION = '2022-11-15'
TBS_PATH = '/api/v3/tbs/stripe'


def request(method, url, headers=None, form=None, body=None):
    data = None
    headers = dict(headers or {})
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers['Content-Type'] = 'application/x-www-form-urlencoded'
    elif body is not None:
        data = json.dumps(body).encode()
        headers['Content-Type'] = 'application/json'
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:  # nosec - loopback emulators
            text = resp.read()
    except urllib.error.HTTPError as exc:
        raise SystemExit('tbs_setup: %s %s -> HTTP %d: %s' % (method, url.split('?')[0], exc.code, exc.read()[:300]))
    return json.loads(text) if text.strip() else {}


class Stripe:

    def __init__(self, base, key):
        self.base = base.rstrip('/')
        self.headers = {'Authorization': 'Bearer ' + key}

    def get(self, path, query):
        return request('GET', self.base + path + '?' + urllib.parse.urlencode(query, doseq=True), self.headers)

    def post(self, path, form):
        return request('POST', self.base + path, self.headers, form=form)

    def delete(self, path):
        return request('DELETE', self.base + path, self.headers)

    def price_id(self, plan):
        if plan.startswith('price_'):
            return plan
        found = self.get('/v1/prices', {'lookup_keys[]': [plan], 'limit': 10}).get('data') or []
        if len(found) != 1:
            raise SystemExit('tbs_setup: %d prices have the lookup key %r; run the catalog playbook first' % (len(found), plan))
        return found[0]['id']

    def endpoints(self, url):
        listed = self.get('/v1/webhook_endpoints', {'limit': 100}).get('data') or []
        return [endpoint for endpoint in listed if endpoint.get('url') == url]


def existing_endpoint(stripe, webhook_url, secret_file):
    """The one endpoint with the TBS URL and the secret in ``secret_file``, as billing_setup.yml left them."""
    found = stripe.endpoints(webhook_url)
    if len(found) != 1:
        raise SystemExit('tbs_setup: %d webhook endpoints have the URL %s; run playbooks/billing_setup.yml first' %
                         (len(found), webhook_url))
    try:
        with open(secret_file, encoding='utf-8') as handle:
            secret = handle.read().strip()
    except OSError as exc:
        raise SystemExit('tbs_setup: cannot read the endpoint secret file %s: %s' % (secret_file, exc.strerror))
    if not secret.startswith('whsec_'):
        raise SystemExit('tbs_setup: %s holds no signing secret (whsec_...)' % secret_file)
    return found[0], secret


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--plan', action='append', default=[], help='recurring plan: price lookup key or ID the TBS manages (repeatable)')
    parser.add_argument('--metered-plan', action='append', default=[], help='metered plan: price lookup key or ID (repeatable)')
    parser.add_argument('--endpoint-secret-file', metavar='FILE',
                        help="use the existing endpoint (made by playbooks/billing_setup.yml) and the signing secret in FILE")
    parser.add_argument('--off', action='store_true', help='switch the TBS off and remove its webhook endpoint')
    args = parser.parse_args(argv)
    if not args.off and not args.plan and not args.metered_plan:
        parser.error('give at least one --plan or --metered-plan')
    if args.off and args.endpoint_secret_file:
        parser.error('--off removes the endpoint: give no --endpoint-secret-file')
    try:
        stripe_base, stripe_key = os.environ['STRIPE_API_BASE'], os.environ['STRIPE_API_KEY']
        tts_url = os.environ['TTS_URL'].rstrip('/')
    except KeyError as exc:
        raise SystemExit('tbs_setup: %s is not set (source the env.sh of tests/harness/emulators.py)' % exc)
    stripe = Stripe(stripe_base, stripe_key)
    webhook_url = tts_url + TBS_PATH
    # Resolve the plans first: an unknown lookup key must not cost the TBS its endpoint.
    recurring = [stripe.price_id(plan) for plan in args.plan]
    metered = [stripe.price_id(plan) for plan in args.metered_plan]
    if args.endpoint_secret_file:
        endpoint, secret = existing_endpoint(stripe, webhook_url, args.endpoint_secret_file)
    else:
        endpoint = secret = None
        for found in stripe.endpoints(webhook_url):
            stripe.delete('/v1/webhook_endpoints/' + found['id'])
    if args.off:
        request('POST', tts_url + '/_emulator/tbs', body={'enabled': False})
        print('tbs_setup: TBS off, webhook endpoint removed')
        return 0
    if endpoint is None:
        form = [('url', webhook_url), ('api_version', API_VERSION), ('description', 'The Things Stack Tenant Billing Server')]
        form += [('enabled_events[]', event) for event in EVENTS]
        endpoint = stripe.post('/v1/webhook_endpoints', form)
        secret = endpoint['secret']
    config = request(
        'POST', tts_url + '/_emulator/tbs', body={
            'enabled': True, 'stripe_api_base': stripe_base, 'stripe_api_key': stripe_key, 'endpoint_secret': secret, 'recurring_plan_ids':
            recurring, 'metered_plan_ids': metered
        })
    if not config.get('enabled') or (config.get('recurring_plan_ids'), config.get('metered_plan_ids')) != (recurring, metered):
        raise SystemExit('tbs_setup: the TBS did not take the configuration')
    plans = ['%s (%s)' % pair for pair in zip(recurring, args.plan)]
    plans += ['%s (%s, metered)' % pair for pair in zip(metered, args.metered_plan)]
    print('tbs_setup: TBS on; webhook endpoint %s -> %s; plans %s' % (endpoint['id'], webhook_url, ', '.join(plans)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
