"""Celery contender: one task, `rate_limit` as its docs say. Benchmark harness, not product code.

Celery's `rate_limit` is a token bucket (capacity 1) in each worker's own
consumer, not shared: with N worker processes a user divides the API's rate
by N. BENCH_RATE_LIMIT carries that per-worker figure, e.g. "22.5/s".
A 429 is retried after its Retry-After, as a Celery user would write it.
"""
import os

from celery import Celery

from stripe_call import create_payment

app = Celery("versus", broker=os.environ["BENCH_BROKER_URL"])
app.conf.update(task_ignore_result=True, worker_hijack_root_logger=False, broker_connection_retry_on_startup=True,
                task_default_queue="bench", worker_send_task_events=False)


@app.task(bind=True, rate_limit=os.environ.get("BENCH_RATE_LIMIT", "1/s"), max_retries=None)
def charge(self, index):
    status, retry_after = create_payment(index)
    if status == 429:
        raise self.retry(countdown=retry_after)
    if status >= 300:
        raise RuntimeError(f"sandbox answered {status}")
