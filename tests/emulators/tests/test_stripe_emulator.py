"""The Stripe emulator, driven over HTTP by the real ``stripe`` SDK (and ``requests`` for raw details)."""
# pylint: disable=missing-function-docstring

import http.server
import json
import os
import subprocess
import sys
import threading
import time

import pytest
import requests
import stripe

EMULATOR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "stripe_emulator.py")
API_KEY = "sk_test_emulator"


def start_emulator(port_file, *extra):
    """Start the emulator and wait for its port file; returns (process, base_url)."""
    with open(f"{port_file}.stderr", "wb") as stderr:
        process = subprocess.Popen(  # pylint: disable=consider-using-with
            [sys.executable, EMULATOR, "--port", "0", "--port-file",
             str(port_file), *extra], stdout=subprocess.DEVNULL, stderr=stderr)
    deadline = time.monotonic() + 15
    while not os.path.exists(port_file):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait()
            raise RuntimeError(f"the Stripe emulator did not start: {read_stderr(port_file)}")
        time.sleep(0.02)
    with open(port_file, encoding="utf-8") as handle:
        port = int(handle.read())
    return process, f"http://127.0.0.1:{port}"


def read_stderr(port_file):
    with open(f"{port_file}.stderr", encoding="utf-8", errors="replace") as handle:
        return handle.read()


class Control:
    """The emulator's control API."""

    def __init__(self, base_url):
        self.base_url = base_url
        self.session = requests.Session()
        self.session.trust_env = False

    def get(self, path):
        response = self.session.get(self.base_url + "/_emulator/" + path, timeout=10)
        response.raise_for_status()
        return response.json()

    def post(self, path, body=None):
        response = self.session.post(self.base_url + "/_emulator/" + path, json=body or {}, timeout=10)
        response.raise_for_status()
        return response.json()

    def faults(self, *faults):
        return self.post("faults", {"faults": list(faults)})

    def requests(self):
        return self.get("requests")["requests"]

    def counters(self):
        return self.get("counters")


@pytest.fixture(scope="module", name="emulator")
def fixture_emulator(tmp_path_factory):
    port_file = tmp_path_factory.mktemp("stripe") / "port.txt"
    process, base_url = start_emulator(port_file)
    yield base_url
    process.terminate()
    try:
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    stderr = read_stderr(port_file)
    assert process.returncode == 0 and not stderr, stderr


@pytest.fixture(name="control")
def fixture_control(emulator):
    ctl = Control(emulator)
    ctl.post("reset")
    return ctl


@pytest.fixture(name="client")
def fixture_client(emulator, control):  # pylint: disable=unused-argument
    return stripe.StripeClient(API_KEY, base_addresses={"api": emulator})


@pytest.fixture(name="api")
def fixture_api(emulator, control):  # pylint: disable=unused-argument
    """A plain requests session with the API key, for looking at raw responses."""
    session = requests.Session()
    session.trust_env = False
    session.headers["Authorization"] = f"Bearer {API_KEY}"
    return session


def sdk_error(call):
    """Run ``call``, expecting a Stripe error; returns it."""
    with pytest.raises(stripe.StripeError) as info:
        call()
    return info.value


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def paid_price(client, amount=2500, **extra):
    product = client.v1.products.create(params={"name": "TTS Enterprise"})
    params = {"product": product.id, "currency": "eur", "unit_amount": amount, "recurring": {"interval": "month"}}
    params.update(extra)
    return client.v1.prices.create(params=params)


# -- process ---------------------------------------------------------------------------------------


def test_refuses_other_hosts(tmp_path):
    result = subprocess.run([sys.executable, EMULATOR, "--host", "0.0.0.0", "--port", "0", "--port-file",
                             str(tmp_path / "p")], capture_output=True, timeout=30, check=False)
    assert result.returncode != 0
    assert not (tmp_path / "p").exists()


def test_sigint_exits_cleanly(tmp_path):
    process, base_url = start_emulator(tmp_path / "port.txt")
    try:
        assert base_url.startswith("http://127.0.0.1:")
    finally:
        process.send_signal(2)
        assert process.wait(timeout=10) == 0


# -- auth, ids, unknown things ---------------------------------------------------------------------


def test_auth_required(emulator, api):
    response = api.get(emulator + "/v1/customers", headers={"Authorization": ""})
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert response.headers["Request-Id"].startswith("req_")
    bad = stripe.StripeClient("pk_test_nope", base_addresses={"api": emulator})
    assert isinstance(sdk_error(bad.v1.customers.list), stripe.AuthenticationError)


def test_unknown_path_and_object(emulator, api, client):
    response = api.get(emulator + "/v1/nothing")
    assert response.status_code == 404
    assert "Unrecognized request URL" in response.json()["error"]["message"]
    err = sdk_error(lambda: client.v1.customers.retrieve("cus_nope"))
    assert isinstance(err, stripe.InvalidRequestError)
    assert (err.http_status, err.code, err.param) == (404, "resource_missing", "id")
    assert err.user_message == "No such customer: 'cus_nope'"


def test_unknown_and_invalid_parameters(emulator, api, client):
    err = sdk_error(lambda: client.v1.customers.create(params={"address": {"line1": "x", "bogus": "y"}}))
    assert (err.code, err.param, err.user_message) == ("parameter_unknown", "address[bogus]", "Received unknown parameter: address[bogus]")
    err = sdk_error(lambda: client.v1.customers.create(params={"nmae": "typo"}))
    assert (err.code, err.param) == ("parameter_unknown", "nmae")
    err = sdk_error(lambda: client.v1.customers.create(params={"tax_exempt": "sometimes"}))
    assert err.param == "tax_exempt" and "must be one of" in err.user_message
    err = sdk_error(lambda: client.v1.customers.list(params={"limit": 101}))
    assert err.param == "limit"
    response = api.post(emulator + "/v1/prices", data={"currency": "", "unit_amount": "1", "product": "x"})
    assert response.json()["error"]["code"] == "parameter_invalid_empty"
    response = api.post(emulator + "/v1/customers/cus_x/tax_ids", data={"type": "eu_vat"})
    assert (response.json()["error"]["code"], response.json()["error"]["param"]) == ("parameter_missing", "value")
    response = api.post(emulator + "/v1/customers", data={"balance": "lots"})
    assert response.json()["error"]["code"] == "parameter_invalid_integer"


# -- customers -----------------------------------------------------------------------------------


def test_customer_lifecycle(client, control):
    customer = client.v1.customers.create(
        params={
            "name": "Acme", "email": "ops@acme.example", "phone": "+31 20 123", "description": "Acme B.V.", "address":
            {"line1": "Main 1", "city": "Amsterdam", "country": "NL"}, "preferred_locales": ["nl", "en"], "invoice_settings":
            {"footer": "Thanks", "custom_fields": [{"name": "PO", "value": "42"}]}, "metadata": {"tenant-id": "acme"}
        })
    assert customer.id.startswith("cus_") and len(customer.id) == 18
    assert customer.livemode is False and customer.tax_exempt == "none"
    assert customer.address.to_dict() == {
        "city": "Amsterdam", "country": "NL", "line1": "Main 1", "line2": None, "postal_code": None, "state": None
    }
    updated = client.v1.customers.update(
        customer.id,
        params={"description": "", "address": {"city": "Utrecht"}, "invoice_settings": {"footer": "Bye"}, "metadata": {"k": "v"}})
    assert updated.description is None
    assert updated.address.line1 is None and updated.address.city == "Utrecht"
    assert updated.invoice_settings.footer == "Bye" and updated.invoice_settings.custom_fields[0].value == "42"
    assert updated.metadata.to_dict() == {"tenant-id": "acme", "k": "v"}
    assert client.v1.customers.retrieve(customer.id).name == "Acme"
    deleted = client.v1.customers.delete(customer.id)
    assert deleted.to_dict() == {"id": customer.id, "object": "customer", "deleted": True}
    assert client.v1.customers.retrieve(customer.id).deleted is True
    assert client.v1.customers.list().data == []
    err = sdk_error(lambda: client.v1.customers.update(customer.id, params={"name": "x"}))
    assert err.http_status == 404
    types = [event.type for event in client.v1.events.list().data]
    assert types == ["customer.deleted", "customer.updated", "customer.created"]
    assert [entry["method"] for entry in control.requests()] == ["POST", "POST", "GET", "DELETE", "GET", "GET", "POST", "GET"]


def test_customer_list_filter_and_pagination(client, control):
    ids = [client.v1.customers.create(params={"email": "a@x.example" if i % 2 else "b@x.example"}).id for i in range(23)]
    client.v1.customers.create(params={"email": "A@x.example"})
    matching = [c.id for c in client.v1.customers.list(params={"email": "a@x.example", "limit": 5}).auto_paging_iter()]
    assert matching == [cid for i, cid in enumerate(ids) if i % 2][::-1]
    control.post("log/clear")
    everything = [c.id for c in client.v1.customers.list(params={"limit": 10}).auto_paging_iter()]
    assert len(everything) == 24 and everything[1:] == ids[::-1]
    pages = control.requests()
    assert [entry["query"].get("starting_after") for entry in pages] == [None, everything[9], everything[19]]
    assert control.counters() == {"total": 3, "reads": 3, "writes": 0, "by_status": {"200": 3}}
    page = client.v1.customers.list(params={"limit": 2, "ending_before": everything[5]})
    assert [c.id for c in page.data] == everything[3:5] and page.has_more is True


def test_metadata_rules(client):
    too_many = {f"k{i}": "v" for i in range(51)}
    assert sdk_error(lambda: client.v1.customers.create(params={"metadata": too_many})).param == "metadata"
    assert sdk_error(lambda: client.v1.customers.create(params={"metadata": {"k" * 41: "v"}})).param == "metadata"
    assert sdk_error(lambda: client.v1.customers.create(params={"metadata": {"k": "v" * 501}})).param == "metadata[k]"
    customer = client.v1.customers.create(params={"metadata": {f"k{i}": "v" for i in range(50)}})
    assert sdk_error(lambda: client.v1.customers.update(customer.id, params={"metadata": {"one-more": "v"}})).param == "metadata"
    updated = client.v1.customers.update(customer.id, params={"metadata": {"k0": "", "k1": "w"}})
    metadata = updated.metadata.to_dict()
    assert len(metadata) == 49 and metadata["k1"] == "w" and "k0" not in metadata
    assert client.v1.customers.update(customer.id, params={"metadata": ""}).metadata.to_dict() == {}


def test_tax_ids(client):
    customer = client.v1.customers.create(params={"name": "Acme", "tax_id_data": [{"type": "eu_vat", "value": "DE123456789"}]})
    tax_ids = client.v1.customers.tax_ids.list(customer.id)
    assert [(t.type, t.value, t.country) for t in tax_ids.data] == [("eu_vat", "DE123456789", "DE")]
    gb = client.v1.customers.tax_ids.create(customer.id, params={"type": "gb_vat", "value": "GB123456789"})
    assert gb.id.startswith("txi_") and gb.customer == customer.id and gb.verification.status == "pending"
    assert client.v1.customers.tax_ids.retrieve(customer.id, gb.id).value == "GB123456789"
    err = sdk_error(lambda: client.v1.customers.tax_ids.create(customer.id, params={"type": "xx_vat", "value": "1"}))
    assert err.param == "type"
    err = sdk_error(lambda: client.v1.customers.tax_ids.create(customer.id, params={"type": "eu_vat", "value": "nope"}))
    assert (err.code, err.param) == ("tax_id_invalid", "value")
    assert client.v1.customers.tax_ids.delete(customer.id, gb.id).deleted is True
    assert len(client.v1.customers.tax_ids.list(customer.id).data) == 1
    expanded = client.v1.customers.retrieve(customer.id, params={"expand": ["tax_ids"]})
    assert expanded.tax_ids.data[0].value == "DE123456789"


# -- idempotency and faults ---------------------------------------------------------------------------


def test_idempotent_replay_and_conflict(emulator, api, client, control):
    first = client.v1.customers.create(params={"email": "a@x.example", "name": "A"}, options={"idempotency_key": "key-1"})
    again = client.v1.customers.create(params={"name": "A", "email": "a@x.example"}, options={"idempotency_key": "key-1"})
    assert again.id == first.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    raw = api.post(emulator + "/v1/customers", data={"email": "a@x.example", "name": "A"}, headers={"Idempotency-Key": "key-1"})
    assert raw.headers["Idempotent-Replayed"] == "true" and raw.json()["id"] == first.id
    err = sdk_error(lambda: client.v1.customers.create(params={"email": "b@x.example"}, options={"idempotency_key": "key-1"}))
    assert isinstance(err, stripe.IdempotencyError)
    assert "same parameters" in err.user_message
    # errors from an endpoint are replayed too; validation failures are not saved
    failing = {"type": "eu_vat", "value": "DE123456789"}
    path = emulator + "/v1/customers/cus_missing/tax_ids"
    assert api.post(path, data=failing, headers={"Idempotency-Key": "key-2"}).status_code == 404
    assert api.post(path, data=failing, headers={"Idempotency-Key": "key-2"}).headers["Idempotent-Replayed"] == "true"
    assert api.post(emulator + "/v1/customers", data={"bogus": "1"}, headers={"Idempotency-Key": "key-3"}).status_code == 400
    assert api.post(emulator + "/v1/customers", data={"name": "ok"}, headers={"Idempotency-Key": "key-3"}).status_code == 200
    assert len(client.v1.customers.list().data) == 2
    assert [entry["replayed"] for entry in control.requests()][:3] == [False, True, True]


def test_echo_request_fault_repeats_the_key_and_body_like_a_careless_gateway(api, emulator, control):
    control.faults({"type": "status", "status": 502, "echo_request": True, "method": "POST"})
    response = api.post(emulator + "/v1/customers", data={"email": "a@x.example", "metadata[admin-password]": "Secret-Pa55"})
    assert response.status_code == 502
    message = response.json()["error"]["message"]
    assert f"Authorization: Bearer {API_KEY}" in message and "Secret-Pa55" in message
    assert api.post(emulator + "/v1/customers", data={"email": "a@x.example"}).status_code == 200


def test_rate_limit_faults_then_success(emulator, client, control):
    control.faults({
        "type": "status", "status": 429, "code": "rate_limit", "count": 2, "path": "/v1/customers", "retry_after": 0, "should_retry": True
    })
    retrying = stripe.StripeClient("sk_test_emulator", base_addresses={"api": emulator}, max_network_retries=3)
    customer = retrying.v1.customers.create(params={"name": "Patient"})
    assert customer.name == "Patient"
    assert control.counters()["by_status"] == {"429": 2, "200": 1}
    assert [entry["fault"] for entry in control.requests()] == ["status", "status", None]
    control.faults({"type": "status", "status": 429, "code": "lock_timeout"})
    err = sdk_error(client.v1.customers.list)
    assert isinstance(err, stripe.RateLimitError) and err.json_body["error"]["code"] == "lock_timeout"
    control.faults({"type": "status", "status": 500, "method": "POST"})
    err = sdk_error(client.v1.customers.create)
    assert isinstance(err, stripe.APIError) and err.http_status == 500
    control.faults({"type": "delay", "seconds": 0.3})
    started = time.monotonic()
    client.v1.customers.list()
    assert time.monotonic() - started >= 0.3
    assert control.get("faults") == {"faults": []}


def test_drop_response_then_retry_with_same_key(emulator, client, control):
    control.faults({"type": "drop_response", "method": "POST", "path": "/v1/customers"})
    err = sdk_error(lambda: client.v1.customers.create(params={"name": "Once"}, options={"idempotency_key": "drop-1"}))
    assert isinstance(err, stripe.APIConnectionError)
    retried = client.v1.customers.create(params={"name": "Once"}, options={"idempotency_key": "drop-1"})
    assert [c.id for c in client.v1.customers.list().data] == [retried.id]
    # the SDK's own retry reuses its generated key and gets the replayed customer
    control.faults({"type": "drop_response", "method": "POST", "path": "/v1/customers"})
    retrying = stripe.StripeClient("sk_test_emulator", base_addresses={"api": emulator}, max_network_retries=2)
    second = retrying.v1.customers.create(params={"name": "Twice"})
    assert len(client.v1.customers.list().data) == 2 and second.name == "Twice"
    posts = [entry for entry in control.requests() if entry["method"] == "POST"]
    expected = [("drop_response", False), (None, True), ("drop_response", False), (None, True)]
    assert [(entry["fault"], entry["replayed"]) for entry in posts] == expected
    assert posts[2]["idempotency_key"] == posts[3]["idempotency_key"]


# -- products and prices ----------------------------------------------------------------------------


def test_products_and_prices(client):
    product = client.v1.products.create(params={"id": "tts-enterprise", "name": "TTS Enterprise", "metadata": {"tier": "1"}})
    assert product.id == "tts-enterprise" and product.active is True
    err = sdk_error(lambda: client.v1.products.create(params={"id": "tts-enterprise", "name": "Again"}))
    assert err.code == "resource_already_exists"
    first = client.v1.prices.create(
        params={
            "product": product.id, "currency": "EUR", "unit_amount": 10000, "lookup_key": "enterprise", "recurring": {"interval": "month"},
            "metadata": {"max-gateways": "10"}
        })
    assert (first.currency, first.type, str(first.unit_amount_decimal), first.recurring.interval_count) == ("eur", "recurring", "10000", 1)
    err = sdk_error(lambda: client.v1.prices.create(
        params={"product": product.id, "currency": "eur", "unit_amount": 12000, "lookup_key": "enterprise"}))
    assert err.user_message == f"A price ({first.id}) already uses that lookup key."
    second = client.v1.prices.create(
        params={
            "product": product.id, "currency": "eur", "unit_amount": 12000, "lookup_key": "enterprise", "transfer_lookup_key": True,
            "recurring": {"interval": "month"}
        })
    assert client.v1.prices.retrieve(first.id).lookup_key is None
    found = client.v1.prices.list(params={"lookup_keys": ["enterprise"]})
    assert [p.id for p in found.data] == [second.id]
    err = sdk_error(lambda: client.v1.prices.update(first.id, params={"unit_amount": 1}))
    assert (err.code, err.param) == ("parameter_unknown", "unit_amount")
    err = sdk_error(lambda: client.v1.prices.update(first.id, params={"recurring": {"interval": "year"}}))
    assert err.code == "parameter_unknown"
    archived = client.v1.prices.update(first.id, params={"active": False, "nickname": "old", "lookup_key": "enterprise-old"})
    assert (archived.active, archived.nickname, archived.lookup_key) == (False, "old", "enterprise-old")
    assert [p.id for p in client.v1.prices.list(params={"product": product.id, "active": True}).data] == [second.id]
    err = sdk_error(lambda: client.v1.products.delete(product.id))
    assert "one or more user-created prices" in err.user_message
    lonely = client.v1.products.create(params={"name": "Unused"})
    assert client.v1.products.delete(lonely.id).deleted is True
    assert sdk_error(lambda: client.v1.products.retrieve(lonely.id)).http_status == 404
    inline = client.v1.prices.create(params={"product_data": {"name": "Inline"}, "currency": "usd", "unit_amount_decimal": "12.5"})
    assert inline.unit_amount is None and str(inline.unit_amount_decimal) == "12.5" and inline.type == "one_time"
    updated = client.v1.products.update(product.id, params={"description": "Big", "active": False, "metadata": {"tier": ""}})
    assert (updated.description, updated.active, updated.metadata.to_dict()) == ("Big", False, {})
    assert [p.id for p in client.v1.products.list(params={"ids": [product.id, lonely.id]}).data] == [product.id]


def test_tiered_prices_show_their_tiers_only_when_expanded(client):
    client.v1.products.create(params={"id": "tts-tiered", "name": "Tiered"})
    tiers = [{"up_to": 100, "unit_amount": 500, "flat_amount": 1000}, {"up_to": "inf", "unit_amount_decimal": "250.5"}]
    price = client.v1.prices.create(
        params={
            "product": "tts-tiered", "currency": "eur", "billing_scheme": "tiered", "tiers_mode": "graduated", "tiers": tiers, "recurring":
            {"interval": "month"}, "lookup_key": "tiered"
        })
    assert (price.billing_scheme, price.tiers_mode, price.unit_amount, price.unit_amount_decimal) == ("tiered", "graduated", None, None)
    assert "tiers" not in price.to_dict(for_json=True)
    assert "tiers" not in client.v1.prices.list(params={"lookup_keys": ["tiered"]}).data[0].to_dict(for_json=True)
    expanded = client.v1.prices.retrieve(price.id, params={"expand": ["tiers"]}).to_dict(for_json=True)["tiers"]
    assert expanded == [{
        "up_to": 100, "unit_amount": 500, "unit_amount_decimal": "500", "flat_amount": 1000, "flat_amount_decimal": "1000"
    }, {"up_to": None, "unit_amount": None, "unit_amount_decimal": "250.5", "flat_amount": None, "flat_amount_decimal": None}]
    listed = client.v1.prices.list(params={"lookup_keys": ["tiered"], "expand": ["data.tiers"]}).data[0].to_dict(for_json=True)
    assert listed["tiers"] == expanded
    assert client.v1.prices.retrieve(paid_price(client).id, params={"expand": ["tiers"]}).to_dict(for_json=True)["tiers"] is None
    base = {"product": "tts-tiered", "currency": "eur", "billing_scheme": "tiered", "tiers_mode": "volume"}
    for params, param in [
        (dict(base, tiers=tiers, unit_amount=1), "unit_amount"),
        (dict(base, tiers=[{"up_to": 10, "unit_amount": 1}]), "tiers"),
        (dict(base, tiers=[{"up_to": 10, "unit_amount": 1}, {"up_to": 5, "unit_amount": 1}, {"up_to": "inf", "unit_amount":
                                                                                             1}]), "tiers[1][up_to]"),
        (dict(base, tiers=tiers, tiers_mode=None), "tiers_mode"),
        (dict(base, tiers=tiers, transform_quantity={"divide_by": 10, "round": "up"}), "transform_quantity"),
        ({"product": "tts-tiered", "currency": "eur", "unit_amount": 1, "tiers": tiers}, "billing_scheme"),
    ]:
        assert sdk_error(lambda params=params: client.v1.prices.create(params={k: v
                                                                               for k, v in params.items() if v is not None})).param == param
    bundled = client.v1.prices.create(
        params={"product": "tts-tiered", "currency": "eur", "unit_amount": 100, "transform_quantity": {"divide_by": 10, "round": "up"}})
    assert bundled.transform_quantity.to_dict(for_json=True) == {"divide_by": 10, "round": "up"}


# -- payment methods --------------------------------------------------------------------------------


def test_payment_methods(client):
    customer = client.v1.customers.create(params={"name": "Payer"})
    other = client.v1.customers.create(params={"name": "Other"})
    card = client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    assert card.id.startswith("pm_") and card.card.brand == "visa" and card.card.last4 == "4242" and card.customer == customer.id
    err = sdk_error(lambda: client.v1.customers.update(other.id, params={"invoice_settings": {"default_payment_method": card.id}}))
    assert err.param == "invoice_settings[default_payment_method]"
    updated = client.v1.customers.update(customer.id, params={"invoice_settings": {"default_payment_method": card.id}})
    assert updated.invoice_settings.default_payment_method == card.id
    assert [pm.id for pm in client.v1.customers.payment_methods.list(customer.id).data] == [card.id]
    client.v1.payment_methods.detach(card.id)
    assert client.v1.customers.retrieve(customer.id).invoice_settings.default_payment_method is None
    created = client.v1.customers.create(
        params={"payment_method": "pm_card_mastercard", "invoice_settings": {"default_payment_method": "pm_card_mastercard"}})
    default = client.v1.payment_methods.retrieve(created.invoice_settings.default_payment_method)
    assert default.card.brand == "mastercard" and default.customer == created.id


# -- subscriptions ----------------------------------------------------------------------------------


def test_subscription_statuses(client):
    customer = client.v1.customers.create(params={"name": "Acme"})
    paid = paid_price(client)
    free = paid_price(client, amount=0)

    def subscribe(price, **params):
        return client.v1.subscriptions.create(params=dict({"customer": customer.id, "items": [{"price": price.id}]}, **params))

    invoiced = subscribe(paid, collection_method="send_invoice", days_until_due=30)
    assert (invoiced.status, invoiced.days_until_due) == ("active", 30)
    assert subscribe(free).status == "active"
    incomplete = subscribe(paid)
    assert incomplete.status == "incomplete"
    trial = subscribe(paid, trial_period_days=14)
    assert trial.status == "trialing" and trial.trial_end - trial.trial_start == 14 * 86400
    err = sdk_error(lambda: subscribe(paid, payment_behavior="error_if_incomplete"))
    assert err.code == "resource_missing"
    err = sdk_error(lambda: subscribe(paid, days_until_due=30))
    assert err.param == "days_until_due"
    err = sdk_error(lambda: subscribe(paid, collection_method="send_invoice"))
    assert (err.code, err.param) == ("parameter_missing", "days_until_due")
    card = client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    with_card = subscribe(paid, default_payment_method=card.id)
    assert with_card.status == "active" and with_card.default_payment_method == card.id
    client.v1.customers.update(customer.id, params={"invoice_settings": {"default_payment_method": card.id}})
    assert subscribe(paid).status == "active"
    declined = client.v1.payment_methods.attach("pm_card_chargeDeclined", params={"customer": customer.id})
    err = sdk_error(lambda: subscribe(paid, default_payment_method=declined.id, payment_behavior="error_if_incomplete"))
    assert isinstance(err, stripe.CardError) and err.code == "card_declined"
    item = with_card["items"].data[0]
    assert item.plan.id == paid.id and item.plan.object == "plan" and item.plan.amount == 2500 and item.price.id == paid.id
    assert item.current_period_end > item.current_period_start and item.subscription == with_card.id
    listed = client.v1.subscriptions.list(params={"customer": customer.id, "price": paid.id, "limit": 100})
    assert len(listed.data) == 5


def test_subscription_item_updates(client):
    customer = client.v1.customers.create(params={"name": "Acme"})
    base, extra, bigger = paid_price(client, 1000), paid_price(client, 200), paid_price(client, 3000)
    sub = client.v1.subscriptions.create(
        params={
            "customer": customer.id, "collection_method": "send_invoice", "days_until_due": 14, "items":
            [{"price": base.id, "quantity": 3}], "metadata": {"tenant-id": "acme"}
        })
    item_id = sub["items"].data[0].id
    sub = client.v1.subscriptions.update(
        sub.id, params={
            "items": [{"id": item_id, "price": bigger.id}, {"price": extra.id, "quantity": 2}], "metadata": {"tenant-name": "Acme"},
            "proration_behavior": "none"
        })
    by_price = {item.price.id: item for item in sub["items"].data}
    assert by_price[bigger.id].id == item_id and by_price[bigger.id].quantity == 1 and by_price[extra.id].quantity == 2
    assert sub.metadata.to_dict() == {"tenant-id": "acme", "tenant-name": "Acme"}
    extra_id = by_price[extra.id].id
    sub = client.v1.subscriptions.update(sub.id, params={"items": [{"id": extra_id, "deleted": True}, {"id": item_id, "quantity": 5}]})
    assert [(item.id, item.quantity) for item in sub["items"].data] == [(item_id, 5)]
    listed = client.v1.subscription_items.list(params={"subscription": sub.id})
    assert [item.id for item in listed.data] == [item_id]
    err = sdk_error(lambda: client.v1.subscriptions.update(sub.id, params={"items": [{"id": "si_nope", "quantity": 1}]}))
    assert err.param == "items[0][id]"
    err = sdk_error(lambda: client.v1.subscriptions.update(sub.id, params={"items": [{"id": item_id, "quantity": -1}]}))
    assert err.param == "items[0][quantity]"
    err = sdk_error(lambda: client.v1.subscriptions.update(sub.id, params={"items": [{"price": bigger.id}]}))
    assert "same price" in err.user_message
    updated_events = client.v1.events.list(params={"type": "customer.subscription.updated"}).data
    assert len(updated_events) == 2
    previous = updated_events[1].data.previous_attributes
    assert previous.metadata.to_dict() == {"tenant-name": None} and "items" in previous
    expanded = client.v1.subscriptions.retrieve(sub.id, params={"expand": ["customer", "items.data.price.product"]})
    assert expanded.customer.name == "Acme" and expanded["items"].data[0].price.product.name == "TTS Enterprise"


def test_cancel_and_customer_delete(client):
    customer = client.v1.customers.create(params={"name": "Leaving"})
    price = paid_price(client, 0)
    first = client.v1.subscriptions.create(params={"customer": customer.id, "items": [{"price": price.id}]})
    canceled = client.v1.subscriptions.cancel(first.id)
    assert canceled.status == "canceled" and canceled.canceled_at and canceled.ended_at
    err = sdk_error(lambda: client.v1.subscriptions.update(first.id, params={"metadata": {"a": "b"}}))
    assert err.http_status == 400
    assert client.v1.subscriptions.list(params={"customer": customer.id}).data == []
    assert len(client.v1.subscriptions.list(params={"customer": customer.id, "status": "all"}).data) == 1
    second = client.v1.subscriptions.create(params={"customer": customer.id, "items": [{"price": price.id}]})
    client.v1.customers.delete(customer.id)
    assert client.v1.subscriptions.retrieve(second.id).status == "canceled"
    deleted = client.v1.events.list(params={"type": "customer.subscription.deleted"}).data
    assert [event.data.object.id for event in deleted] == [second.id, first.id]


def test_legacy_api_version_shape(emulator, api, client):
    customer = client.v1.customers.create(params={"name": "Old"})
    price = paid_price(client, 0)
    sub = client.v1.subscriptions.create(params={"customer": customer.id, "items": [{"price": price.id}]})
    assert "current_period_end" not in sub
    old = api.get(f"{emulator}/v1/subscriptions/{sub.id}", headers={"Stripe-Version": "2022-11-15"}).json()
    assert old["plan"]["id"] == price.id and old["quantity"] == 1 and old["current_period_end"] > old["current_period_start"]


# -- webhooks --------------------------------------------------------------------------------------


class _Receiver(http.server.BaseHTTPRequestHandler):
    """Answers 500 to the first delivery, then 200; records what it got."""

    received = []

    def do_POST(self):  # pylint: disable=invalid-name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((body, self.headers["Stripe-Signature"], self.headers["Content-Type"]))
        self.send_response(500 if len(self.received) == 1 else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        """Quiet."""


def test_webhook_delivery_signature_and_retry(client, control):
    _Receiver.received = []
    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{receiver.server_address[1]}/api/v3/tbs/stripe"
        endpoint = client.v1.webhook_endpoints.create(
            params={"url": url, "api_version": "2022-11-15", "enabled_events": ["customer.subscription.created"]})
        assert endpoint.secret.startswith("whsec_")
        assert "secret" not in client.v1.webhook_endpoints.retrieve(endpoint.id)
        customer = client.v1.customers.create(params={"name": "Hooked"})
        sub = client.v1.subscriptions.create(
            params={"customer": customer.id, "items": [{"price": paid_price(client, 0).id}], "metadata": {"tenant-id": "hooked"}})
        wait_for(lambda: len(_Receiver.received) >= 2)
        body, signature, content_type = _Receiver.received[-1]
        assert content_type == "application/json"
        event = stripe.Webhook.construct_event(body.decode(), signature, endpoint.secret)
        assert event.type == "customer.subscription.created" and event.api_version == "2022-11-15"
        assert event.data.object.id == sub.id and event.data.object.metadata["tenant-id"] == "hooked"
        assert event.data.object.plan.id == sub["items"].data[0].price.id
        with pytest.raises(stripe.SignatureVerificationError):
            stripe.Webhook.construct_event(body.decode(), signature, "whsec_wrong")
        deliveries = wait_for(lambda: len(control.get("webhook_deliveries")["deliveries"]) >= 2 and control.get("webhook_deliveries"))
        assert [(d["attempt"], d["status"]) for d in deliveries["deliveries"]] == [(1, 500), (2, 200)]
        assert json.loads(body)["id"] == deliveries["deliveries"][0]["event_id"]
        time.sleep(0.3)
        assert len(_Receiver.received) == 2
    finally:
        receiver.shutdown()
        receiver.server_close()


def test_webhook_endpoint_lifecycle_and_stripe_rules(client):
    url = "https://tts.example.com/api/v3/tbs/stripe"
    events = ["customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted"]
    created = client.v1.webhook_endpoints.create(params={
        "url": url, "enabled_events": events, "api_version": "2022-11-15", "connect": False, "description": "TBS", "metadata": {"k": "v"}
    })
    assert created.secret.startswith("whsec_") and created.status == "enabled" and created.api_version == "2022-11-15"
    assert "connect" not in created  # Stripe does not return it
    others = [client.v1.webhook_endpoints.create(params={"url": f"https://h{n}.example.com/", "enabled_events": ["*"]}) for n in range(2)]
    assert others[0].api_version is None  # the account's default version
    assert "secret" not in client.v1.webhook_endpoints.retrieve(created.id)
    page = client.v1.webhook_endpoints.list(params={"limit": 2})
    assert page.has_more and all("secret" not in endpoint for endpoint in page.data)
    rest = client.v1.webhook_endpoints.list(params={"limit": 2, "starting_after": page.data[-1].id})
    assert sorted(e.id for e in page.data + rest.data) == sorted([created.id] + [o.id for o in others])
    changes = {"disabled": True, "description": "", "enabled_events": events[:2], "metadata": {"k": ""}}
    updated = client.v1.webhook_endpoints.update(created.id, params=changes)
    assert (updated.status, updated.description, updated.enabled_events, updated.metadata.to_dict()) == ("disabled", None, events[:2], {})
    assert "secret" not in updated
    version = sdk_error(lambda: client.v1.webhook_endpoints.update(created.id, params={"api_version": "2026-10-28.endive"}))
    assert version.http_status == 400 and version.error.code == "parameter_unknown" and version.error.param == "api_version"
    unknown = sdk_error(lambda: client.v1.webhook_endpoints.create(params={"url": url, "enabled_events": ["customer.subscription.updatd"]}))
    assert unknown.http_status == 400 and unknown.error.param == "enabled_events[0]"
    bad_version = sdk_error(
        lambda: client.v1.webhook_endpoints.create(params={"url": url, "enabled_events": events, "api_version": "2022-13-45"}))
    assert bad_version.http_status == 400 and bad_version.error.param == "api_version"
    assert client.v1.webhook_endpoints.delete(created.id).deleted
    gone = sdk_error(lambda: client.v1.webhook_endpoints.retrieve(created.id))
    assert gone.http_status == 404 and gone.error.code == "resource_missing"


# -- subscription search -------------------------------------------------------------------------------


def test_subscription_search_by_metadata_and_status_pages_with_next_page(client):
    price = paid_price(client)
    customer = client.v1.customers.create(params={"email": "search@acme.example"})
    made = [
        client.v1.subscriptions.create(
            params={
                "customer": customer.id, "items": [{"price": price.id}], "collection_method": "send_invoice", "days_until_due": 30,
                "metadata": {"tenant-id": tenant}
            }) for tenant in ("acme", "acme", "globex")
    ]
    client.v1.subscriptions.cancel(made[0].id)
    found = client.v1.subscriptions.search(params={"query": "metadata['tenant-id']:'acme'", "limit": 1})
    assert found.object == "search_result" and [sub.id for sub in found.data] == [made[1].id] and found.has_more
    rest = client.v1.subscriptions.search(params={"query": "metadata['tenant-id']:'acme'", "limit": 1, "page": found.next_page})
    assert [sub.id for sub in rest.data] == [made[0].id] and not rest.has_more and rest.next_page is None
    live = client.v1.subscriptions.search(params={"query": "metadata['tenant-id']:'acme' AND status:'active'"})
    assert [sub.id for sub in live.data] == [made[1].id]


def test_subscription_search_refuses_what_it_does_not_know(client):
    error = sdk_error(lambda: client.v1.subscriptions.search(params={"query": "customer:'cus_1' OR status:'active'"}))
    assert error.http_status == 400 and "Invalid search query" in error.user_message
    error = sdk_error(lambda: client.v1.customers.search(params={"query": "email:'a@b.example'"}))
    assert error.http_status == 400 and "does not implement search" in error.user_message


# -- search lag, search cursors, in-flight idempotency, created filters ---------------------------------


def subscription_for(client, tenant, price=None, customer=None):
    customer = customer or client.v1.customers.create(params={"name": tenant})
    price = price or paid_price(client, 0)
    return client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}], "metadata": {"tenant-id": tenant}})


def search_ids(client, query):
    return [sub.id for sub in client.v1.subscriptions.search(params={"query": query}).data]


def test_search_lag_hides_new_and_shows_stale_changed_subscriptions(client, control):
    assert control.get("config") == {"search_lag": 0.0}
    assert control.post("config", {"search_lag": 3}) == {"search_lag": 3.0}
    sub = subscription_for(client, "acme")
    assert search_ids(client, "metadata['tenant-id']:'acme'") == []
    # retrieve and list stay strongly consistent
    assert client.v1.subscriptions.retrieve(sub.id).metadata["tenant-id"] == "acme"
    assert [s.id for s in client.v1.subscriptions.list().data] == [sub.id]
    wait_for(lambda: search_ids(client, "metadata['tenant-id']:'acme'") == [sub.id])
    client.v1.subscriptions.update(sub.id, params={"metadata": {"tenant-id": "globex"}})
    client.v1.subscriptions.cancel(sub.id)
    stale = client.v1.subscriptions.search(params={"query": "metadata['tenant-id']:'acme' AND status:'active'"}).data
    assert [(s.id, s.status, s.metadata["tenant-id"]) for s in stale] == [(sub.id, "active", "acme")]
    assert search_ids(client, "metadata['tenant-id']:'globex'") == []
    assert search_ids(client, "status:'canceled'") == []
    current = client.v1.subscriptions.retrieve(sub.id)
    assert (current.status, current.metadata["tenant-id"]) == ("canceled", "globex")
    wait_for(lambda: search_ids(client, "metadata['tenant-id']:'globex' AND status:'canceled'") == [sub.id])
    assert search_ids(client, "metadata['tenant-id']:'acme'") == []


def test_search_lag_zero_is_immediate_and_reset_clears_the_lag(client, control):
    control.post("config", {"search_lag": 30})
    sub = subscription_for(client, "acme")
    assert search_ids(client, "metadata['tenant-id']:'acme'") == []
    assert control.post("config", {"search_lag": 0}) == {"search_lag": 0.0}
    assert search_ids(client, "metadata['tenant-id']:'acme'") == [sub.id]
    client.v1.subscriptions.update(sub.id, params={"metadata": {"tenant-id": "globex"}})
    assert search_ids(client, "metadata['tenant-id']:'globex'") == [sub.id]
    control.post("config", {"search_lag": 30})
    control.post("reset")
    assert control.get("config") == {"search_lag": 0.0}
    again = subscription_for(client, "acme")
    assert search_ids(client, "metadata['tenant-id']:'acme'") == [again.id]


def test_config_refuses_bad_values(emulator, control):
    for body in ({"search_lag": -1}, {"search_lag": True}, {"search_lag": "5"}, {"search_lag": 3601}, {"lag": 1}, [1]):
        response = control.session.post(emulator + "/_emulator/config", json=body, timeout=10)
        assert response.status_code == 400, body
    assert control.get("config") == {"search_lag": 0.0}


def test_search_lag_command_line_option_is_what_reset_restores(tmp_path):
    process, base_url = start_emulator(tmp_path / "port.txt", "--search-lag", "30")
    try:
        ctl = Control(base_url)
        assert ctl.get("config") == {"search_lag": 30.0}
        ctl.post("config", {"search_lag": 1})
        ctl.post("reset")
        assert ctl.get("config") == {"search_lag": 30.0}
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
    result = subprocess.run([sys.executable, EMULATOR, "--search-lag", "-1", "--port-file",
                             str(tmp_path / "p")], capture_output=True, timeout=30, check=False)
    assert result.returncode != 0 and b"search_lag" in result.stderr and not (tmp_path / "p").exists()


def test_search_pages_with_opaque_cursors_and_refuses_unknown_ones(emulator, api, client, control):
    price = paid_price(client, 0)
    customer = client.v1.customers.create(params={"name": "Acme"})
    made = [subscription_for(client, "acme", price, customer).id for _index in range(5)]
    subscription_for(client, "globex", price, customer)
    query = "metadata['tenant-id']:'acme'"
    first = client.v1.subscriptions.search(params={"query": query, "limit": 2})
    assert first.next_page.startswith("page_") and not first.next_page[len("page_"):].isdigit()
    pages, page = [[s.id for s in first.data]], first
    while page.has_more:
        page = client.v1.subscriptions.search(params={"query": query, "limit": 2, "page": page.next_page})
        pages.append([s.id for s in page.data])
    assert pages == [made[4:2:-1], made[2:0:-1], made[:1]] and page.next_page is None
    foreign = first.next_page
    for bad, bad_query in (("2", query), ("nope", query), ("page_", query), ("page_%%%", query), ("page_\u00e9", query),
                           (foreign + "x", query), (foreign, "metadata['tenant-id']:'globex'")):
        error = sdk_error(lambda bad=bad, bad_query=bad_query: client.v1.subscriptions.search(params={"query": bad_query, "page": bad}))
        assert isinstance(error, stripe.InvalidRequestError), bad
        assert (error.http_status, error.param, error.json_body["error"]["type"]) == (400, "page", "invalid_request_error")
    control.post("reset")
    stale = api.get(emulator + "/v1/subscriptions/search", params={"query": query, "page": foreign})
    assert stale.status_code == 400 and stale.json()["error"]["param"] == "page"
    assert control.counters()["by_status"] == {"400": 1}


def test_list_cursor_of_an_unknown_object_is_a_400(client):
    subscription_for(client, "acme")
    for param in ("starting_after", "ending_before"):
        error = sdk_error(lambda param=param: client.v1.subscriptions.list(params={param: "sub_nope"}))
        assert (error.http_status, error.code, error.param) == (400, "resource_missing", param)
        assert error.user_message == "No such subscription: 'sub_nope'"
    error = sdk_error(lambda: client.v1.customers.list(params={"starting_after": "cus_nope"}))
    assert (error.http_status, error.code, error.param) == (400, "resource_missing", "starting_after")


def test_delay_fault_with_path_exact_only_delays_subscription_creates(client, control):
    sub = subscription_for(client, "acme")
    response = control.session.post(control.base_url + "/_emulator/faults", json={"faults": [{"type": "delay", "path_exact": True}]},
                                    timeout=10)
    assert response.status_code == 400 and "path_exact" in response.json()["error"]
    control.faults({"type": "delay", "seconds": 0.2, "method": "POST", "path": "/v1/subscriptions", "path_exact": True})
    control.post("log/clear")
    client.v1.subscriptions.update(sub.id, params={"metadata": {"a": "b"}})
    assert len(control.get("faults")["faults"]) == 1
    subscription_for(client, "globex")
    assert control.get("faults") == {"faults": []}
    assert [(entry["path"], entry["fault"]) for entry in control.requests()] == [(f"/v1/subscriptions/{sub.id}", None),
                                                                                 ("/v1/customers", None), ("/v1/products", None),
                                                                                 ("/v1/prices", None), ("/v1/subscriptions", "delay")]


def _create_in_background(client, params, key):
    result = {}

    def run():
        try:
            result["sub"] = client.v1.subscriptions.create(params=params, options={"idempotency_key": key})
        except stripe.StripeError as err:
            result["error"] = err

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


def test_request_whose_idempotency_key_is_in_flight_is_a_409_and_saves_nothing(emulator, api, client, control):
    customer = client.v1.customers.create(params={"name": "Acme"})
    price = paid_price(client, 0)
    params = {"customer": customer.id, "items": [{"price": price.id}], "metadata": {"tenant-id": "acme"}}
    form = {"customer": customer.id, "items[0][price]": price.id, "metadata[tenant-id]": "acme"}
    control.faults({"type": "delay", "seconds": 2, "method": "POST", "path": "/v1/subscriptions", "path_exact": True})
    thread, result = _create_in_background(client, params, "tenant-acme")
    wait_for(lambda: control.get("faults") == {"faults": []})
    conflict = api.post(emulator + "/v1/subscriptions", data=form, headers={"Idempotency-Key": "tenant-acme"})
    other = api.post(emulator + "/v1/subscriptions", data=dict(form, **{"metadata[tenant-id]": "globex"}),
                     headers={"Idempotency-Key": "tenant-acme"})
    thread.join(timeout=30)
    assert "error" not in result and result["sub"].metadata["tenant-id"] == "acme"
    for response in (conflict, other):
        assert response.status_code == 409 and "Idempotent-Replayed" not in response.headers
        error = response.json()["error"]
        assert (error["type"], error["code"]) == ("invalid_request_error", "idempotency_key_in_use")
        assert error["message"].startswith("There is currently another in-progress request using this Idempotent Key")
        assert "tenant-acme" in error["message"]
    replay = api.post(emulator + "/v1/subscriptions", data=form, headers={"Idempotency-Key": "tenant-acme"})
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.json()["id"] == result["sub"].id
    other = dict(params, metadata={"tenant-id": "globex"})
    mismatch = sdk_error(lambda: client.v1.subscriptions.create(params=other, options={"idempotency_key": "tenant-acme"}))
    assert isinstance(mismatch, stripe.IdempotencyError) and mismatch.http_status == 400
    assert [s.id for s in client.v1.subscriptions.list(params={"status": "all"}).data] == [result["sub"].id]
    posts = [(entry["status"], entry["replayed"]) for entry in control.requests()
             if (entry["method"], entry["path"]) == ("POST", "/v1/subscriptions")]
    assert sorted(posts) == [(200, False), (200, True), (400, False), (409, False), (409, False)]


def test_sdk_retries_an_in_flight_409_into_the_first_requests_replay(emulator, client, control):
    customer = client.v1.customers.create(params={"name": "Acme"})
    price = paid_price(client, 0)
    params = {"customer": customer.id, "items": [{"price": price.id}]}
    control.faults({"type": "delay", "seconds": 1.0, "method": "POST", "path": "/v1/subscriptions", "path_exact": True})
    thread, result = _create_in_background(client, params, "tenant-retry")
    wait_for(lambda: control.get("faults") == {"faults": []})
    retrying = stripe.StripeClient(API_KEY, base_addresses={"api": emulator}, max_network_retries=8)
    second = retrying.v1.subscriptions.create(params=params, options={"idempotency_key": "tenant-retry"})
    thread.join(timeout=30)
    assert second.id == result["sub"].id
    statuses = [(entry["status"], entry["replayed"]) for entry in control.requests()
                if (entry["method"], entry["path"]) == ("POST", "/v1/subscriptions")]
    assert (200, False) in statuses and (409, False) in statuses and statuses[-1] == (200, True)
    assert len(client.v1.subscriptions.list().data) == 1


def test_subscription_list_created_filters(client):
    customer = client.v1.customers.create(params={"name": "Acme"})
    other = client.v1.customers.create(params={"name": "Globex"})
    price, other_price = paid_price(client, 0), paid_price(client, 0)
    old = subscription_for(client, "acme", price, customer)
    assert abs(old.created - time.time()) < 60
    wait_for(lambda: int(time.time()) > old.created)
    new = subscription_for(client, "acme", price, customer)
    client.v1.subscriptions.cancel(new.id)
    newer = subscription_for(client, "acme", other_price, customer)
    elsewhere = subscription_for(client, "globex", price, other)
    assert newer.created >= new.created > old.created

    def listed(**params):
        return [sub.id for sub in client.v1.subscriptions.list(params=dict({"status": "all"}, **params)).auto_paging_iter()]

    assert listed(created={"gte": new.created}, customer=customer.id) == [newer.id, new.id]
    assert listed(created={"gt": old.created}, customer=customer.id, limit=1) == [newer.id, new.id]
    assert listed(created={"lt": new.created}) == [old.id]
    assert listed(created={"lte": old.created}, customer=customer.id) == [old.id]
    assert listed(created=old.created) == [old.id]
    assert listed(created={"gte": old.created, "lt": new.created}, customer=customer.id) == [old.id]
    assert listed(created={"gte": new.created}, price=price.id) == [elsewhere.id, new.id]
    assert listed(created={"gt": newer.created + 3600}) == []
    live = client.v1.subscriptions.list(params={"created": {"gte": new.created}, "customer": customer.id}).data
    assert [sub.id for sub in live] == [newer.id]
    error = sdk_error(lambda: client.v1.subscriptions.list(params={"created": {"gte": "yesterday"}}))
    assert (error.http_status, error.param) == (400, "created[gte]")


# -- billing meters ----------------------------------------------------------------------------------


def new_meter(client, event_name="tts_devices", formula="sum", **extra):
    params = {"display_name": "Devices", "event_name": event_name, "default_aggregation": {"formula": formula}}
    params.update(extra)
    return client.v1.billing.meters.create(params=params)


def test_meter_lifecycle_and_only_display_name_changes(client):
    meter = new_meter(client, value_settings={"event_payload_key": "devices"})
    assert meter.id.startswith("mtr_") and meter.status == "active" and meter.event_time_window is None
    assert meter.customer_mapping.to_dict() == {"event_payload_key": "stripe_customer_id", "type": "by_id"}
    assert meter.value_settings.event_payload_key == "devices"
    err = sdk_error(lambda: new_meter(client))
    assert (err.http_status, err.param) == (400, "event_name")
    err = sdk_error(lambda: client.v1.billing.meters.update(meter.id, params={"event_name": "other"}))
    assert (err.code, err.param) == ("parameter_unknown", "event_name")
    assert client.v1.billing.meters.update(meter.id, params={"display_name": "End devices"}).display_name == "End devices"
    inactive = client.v1.billing.meters.deactivate(meter.id)
    assert inactive.status == "inactive" and inactive.status_transitions.deactivated_at
    assert [m.id for m in client.v1.billing.meters.list(params={"status": "inactive"}).data] == [meter.id]
    assert client.v1.billing.meters.list(params={"status": "active"}).data == []
    assert client.v1.billing.meters.reactivate(meter.id).status == "active"
    assert client.v1.billing.meters.retrieve(meter.id).display_name == "End devices"
    err = sdk_error(lambda: client.v1.billing.meters.retrieve("mtr_nope"))
    assert err.http_status == 404


def test_meter_events_deduplicate_identifiers_and_aggregate_per_customer(client):
    meter = new_meter(client)
    counted = new_meter(client, event_name="tts_logins", formula="count")
    last = new_meter(client, event_name="tts_gateways", formula="last")
    start = int(time.time()) // 60 * 60 - 600
    for value, identifier, customer in (("5", "acme-1", "cus_A"), ("7", "acme-2", "cus_A"), ("100", "other-1", "cus_B")):
        event = client.v1.billing.meter_events.create(
            params={
                "event_name": "tts_devices", "identifier": identifier, "timestamp": start +
                60, "payload": {"stripe_customer_id": customer, "value": value}
            })
        assert event.identifier == identifier
    err = sdk_error(lambda: client.v1.billing.meter_events.create(
        params={"event_name": "tts_devices", "identifier": "acme-1", "payload": {"stripe_customer_id": "cus_A", "value": "5"}}))
    assert (err.http_status, err.param) == (400, "identifier")
    for value in ("3", "4"):
        client.v1.billing.meter_events.create(
            params={"event_name": "tts_logins", "payload": {"stripe_customer_id": "cus_A", "value": value}})
        client.v1.billing.meter_events.create(
            params={"event_name": "tts_gateways", "payload": {"stripe_customer_id": "cus_A", "value": value}})
    window = {"customer": "cus_A", "start_time": start, "end_time": start + 3600}

    def total(meter_id, **params):
        summaries = client.v1.billing.meters.event_summaries.list(meter_id, params=dict(window, **params)).data
        return [summary.aggregated_value for summary in summaries]

    assert total(meter.id) == [12.0]
    assert total(meter.id, customer="cus_B") == [100.0]
    assert total(counted.id) == [2.0] and total(last.id) == [4.0]
    err = sdk_error(lambda: total(meter.id, start_time=start + 1))
    assert err.param == "start_time"
    err = sdk_error(lambda: client.v1.billing.meter_events.create(
        params={"event_name": "tts_devices", "timestamp": start - 40 * 86400, "payload": {"stripe_customer_id": "cus_A", "value": "1"}}))
    assert err.param == "timestamp"


def test_metered_prices_need_an_active_meter_from_basil_on(emulator, api, client):
    meter = new_meter(client)
    product = client.v1.products.create(params={"name": "Metered"})
    params = {
        "product": product.id, "currency": "eur", "unit_amount": 10, "recurring":
        {"interval": "month", "usage_type": "metered", "meter": meter.id}
    }
    price = client.v1.prices.create(params=params)
    assert (price.recurring.usage_type, price.recurring.meter) == ("metered", meter.id)
    legacy = dict(params, recurring={"interval": "month", "usage_type": "metered"})
    err = sdk_error(lambda: client.v1.prices.create(params=legacy))
    assert err.param == "recurring[meter]" and "Legacy metered" in err.user_message
    old = api.post(
        f"{emulator}/v1/prices", headers={"Stripe-Version": "2024-06-20"}, data={
            "product": product.id, "currency": "eur", "unit_amount": "10", "recurring[interval]": "month", "recurring[usage_type]":
            "metered"
        })
    assert old.status_code == 200 and old.json()["recurring"]["meter"] is None
    err = sdk_error(lambda: client.v1.prices.create(params=dict(params, recurring={"interval": "month", "meter": meter.id})))
    assert err.param == "recurring[meter]"
    err = sdk_error(lambda: client.v1.prices.create(params=dict(params, recurring=dict(params["recurring"], meter="mtr_nope"))))
    assert (err.http_status, err.param) == (400, "recurring[meter]")
    client.v1.billing.meters.deactivate(meter.id)
    err = sdk_error(lambda: client.v1.prices.create(params=params))
    assert "inactive" in err.user_message


def test_a_metered_item_takes_no_quantity(client):
    meter = new_meter(client)
    product = client.v1.products.create(params={"name": "Metered"})
    metered = client.v1.prices.create(
        params={
            "product": product.id, "currency": "eur", "unit_amount": 10, "recurring":
            {"interval": "month", "usage_type": "metered", "meter": meter.id}
        })
    flat = paid_price(client, 1000)
    customer = client.v1.customers.create(params={"name": "Acme"})
    err = sdk_error(
        lambda: client.v1.subscriptions.create(params={"customer": customer.id, "items": [{"price": metered.id, "quantity": 1}]}))
    assert err.param == "items[0][quantity]"
    sub = client.v1.subscriptions.create(params={"customer": customer.id, "items": [{"price": metered.id}]})
    assert sub.status == "active" and sub["items"].data[0].quantity is None
    item_id = sub["items"].data[0].id
    err = sdk_error(lambda: client.v1.subscriptions.update(sub.id, params={"items": [{"id": item_id, "quantity": 2}]}))
    assert err.param == "items[0][quantity]"
    sub = client.v1.subscriptions.update(sub.id, params={"items": [{"id": item_id, "price": flat.id}]})
    assert sub["items"].data[0].quantity == 1
    sub = client.v1.subscriptions.update(sub.id, params={"items": [{"id": item_id, "price": metered.id}]})
    assert sub["items"].data[0].quantity is None
