"""The control API under /_emulator/ (no auth, not logged)."""

import copy
import json

from .calls import Response
from .faults import normalize_fault

MAX_SEARCH_LAG = 3600


def check_search_lag(value):
    """A search lag in seconds from the control API or the command line; raises ValueError."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= MAX_SEARCH_LAG:
        raise ValueError(f"search_lag must be a number of seconds between 0 and {MAX_SEARCH_LAG}")
    return float(value)


class ControlMixin:
    """Control API handlers of ``Emulator``."""

    def control(self, method, path, body):
        """The control API under /_emulator/ (no auth, not logged)."""
        handlers = {
            ("POST", "/_emulator/reset"): self._ctl_reset,
            ("POST", "/_emulator/log/clear"): self._ctl_log_clear,
            ("GET", "/_emulator/requests"): self._ctl_requests,
            ("GET", "/_emulator/counters"): self._ctl_counters,
            ("GET", "/_emulator/faults"): self._ctl_faults_list,
            ("POST", "/_emulator/faults"): self._ctl_faults_add,
            ("DELETE", "/_emulator/faults"): self._ctl_faults_clear,
            ("GET", "/_emulator/webhook_deliveries"): self._ctl_deliveries,
            ("GET", "/_emulator/health"): lambda _data: (200, {"ok": True}),
            ("GET", "/_emulator/config"): self._ctl_config,
            ("POST", "/_emulator/config"): self._ctl_config_set,
        }
        handler = handlers.get((method, path))
        if handler is None:
            return Response(404, {"error": f"unknown control endpoint {method} {path}"})
        try:
            data = json.loads(body) if body.strip() else {}
        except ValueError:
            return Response(400, {"error": "the body must be JSON"})
        status, payload = handler(data)
        return Response(status, payload)

    def _ctl_reset(self, _data):
        with self.lock:
            self._reset_state()
            self.webhooks.reset()
        return 200, {"ok": True}

    def _ctl_log_clear(self, _data):
        with self.lock:
            self.log = []
        return 200, {"ok": True}

    def _ctl_requests(self, _data):
        with self.lock:
            return 200, {"requests": copy.deepcopy(self.log)}

    def _ctl_counters(self, _data):
        with self.lock:
            by_status = {}
            for entry in self.log:
                by_status[str(entry["status"])] = by_status.get(str(entry["status"]), 0) + 1
            reads = sum(1 for entry in self.log if entry["method"] == "GET")
            return 200, {"total": len(self.log), "reads": reads, "writes": len(self.log) - reads, "by_status": by_status}

    def _ctl_faults_list(self, _data):
        with self.lock:
            return 200, {"faults": copy.deepcopy(self.faults)}

    def _ctl_faults_add(self, data):
        raw = data.get("faults") if isinstance(data, dict) else None
        if not isinstance(raw, list):
            return 400, {"error": "expected {\"faults\": [...]}"}
        try:
            faults = [normalize_fault(item) for item in raw]
        except ValueError as err:
            return 400, {"error": str(err)}
        with self.lock:
            self.faults.extend(faults)
            return 200, {"faults": copy.deepcopy(self.faults)}

    def _ctl_faults_clear(self, _data):
        with self.lock:
            self.faults = []
        return 200, {"faults": []}

    def _ctl_config(self, _data):
        with self.lock:
            return 200, dict(self.config)

    def _ctl_config_set(self, data):
        if not isinstance(data, dict):
            return 400, {"error": "expected a JSON object such as {\"search_lag\": 5}"}
        unknown = sorted(set(data) - set(self.config))
        if unknown:
            return 400, {"error": f"unknown config keys: {unknown} (known: {sorted(self.config)})"}
        if "search_lag" in data:
            try:
                data = dict(data, search_lag=check_search_lag(data["search_lag"]))
            except ValueError as err:
                return 400, {"error": str(err)}
        with self.lock:
            self.config.update(data)
            return 200, dict(self.config)

    def _ctl_deliveries(self, _data):
        return 200, {"deliveries": self.webhooks.deliveries()}
