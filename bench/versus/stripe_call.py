"""The one HTTP call every Python contender makes: create a payment intent at
the sandbox, the same request Sluice's stripe provider sends (form body,
Bearer key, Idempotency-Key = the task's id). Benchmark harness, not product code.

Standard library only (http.client, one keep-alive connection per process),
so the contenders' cost is theirs, not a third-party HTTP client's.
"""
import http.client
import os
import urllib.parse

_BASE = urllib.parse.urlsplit(os.environ.get("BENCH_SANDBOX_URL", "http://127.0.0.1:8089"))
_connection = None


def create_payment(index):
    """POSTs /v1/payment_intents for task `index`; returns (status, retry_after_seconds)."""
    global _connection
    body = urllib.parse.urlencode({"amount": 100 + index, "currency": "usd"})
    headers = {"Authorization": "Bearer sk_test_bench", "Idempotency-Key": f"pay-{index}",
               "Content-Type": "application/x-www-form-urlencoded"}
    for attempt in (1, 2):
        try:
            if _connection is None:
                _connection = http.client.HTTPConnection(_BASE.hostname, _BASE.port, timeout=10)
            _connection.request("POST", "/v1/payment_intents", body=body, headers=headers)
            response = _connection.getresponse()
            response.read()
            return response.status, float(response.getheader("Retry-After") or 1)
        except (http.client.HTTPException, OSError):
            # A kept-alive connection the server closed: reconnect once.
            _connection = None
            if attempt == 2:
                raise
