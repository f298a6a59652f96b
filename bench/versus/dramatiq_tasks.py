"""Dramatiq contender: one actor behind its Redis BucketRateLimiter, in the
documented idiom (`with limiter.acquire():`, which raises when the bucket is
full so the Retries middleware re-enqueues the message with backoff).
Benchmark harness, not product code.

The limiter is shared by every process (it lives in Redis), so it is set to
the whole rate: BENCH_BUCKET_LIMIT operations per 1,000 ms bucket. The
actor's backoff is tuned to the bucket (100 ms…1 s, not the 15 s default),
and retries are unbounded, so no task dies of the limiter.
"""
import os

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.rate_limits import BucketRateLimiter
from dramatiq.rate_limits.backends import RedisBackend

from stripe_call import create_payment

dramatiq.set_broker(RedisBroker(url=os.environ["BENCH_BROKER_URL"]))
LIMITER = BucketRateLimiter(RedisBackend(url=os.environ["BENCH_LIMITER_URL"]), "stripe",
                            limit=int(os.environ.get("BENCH_BUCKET_LIMIT", "1")), bucket=1_000)


@dramatiq.actor(queue_name="bench", max_retries=1_000_000, min_backoff=100, max_backoff=1_000)
def charge(index):
    with LIMITER.acquire():
        status, retry_after = create_payment(index)
    if status == 429:
        raise dramatiq.Retry("429", delay=int(retry_after * 1000))
    if status >= 300:
        raise RuntimeError(f"sandbox answered {status}")
