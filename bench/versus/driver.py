"""The side-by-side of `make bench`: Sluice, Celery (`rate_limit`) and Dramatiq
(Redis `BucketRateLimiter`) on the same work. Benchmark harness, not product code.

Each leg: a fresh `sluice sandbox` (Stripe's limit), TASKS payment intents
enqueued as a backlog, the sandbox's counters reset, PROCESSES worker processes
started, and left until the sandbox has answered every task with a success;
then the workers are stopped and the sandbox's arrivals (every request's
instant and status) and stats are saved to RAW/versus/<contender>-run<K>.json.
`sluice bench report` computes every figure from those files, the same way for
all three. Also measures each limiter's own cost per decision, in isolation.

Needs: the venv's python (celery, dramatiq[redis]), a redis-server on
127.0.0.1:REDIS_PORT (scripts/bench-report.sh starts one). Stops everything it
started, on success, error or SIGTERM.
"""
import argparse
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
VENV_BIN = os.path.dirname(sys.executable)
STARTED = []  # every Popen this driver made, so none outlives it


def main():
    options = parse_arguments()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    os.makedirs(os.path.join(options.raw, "versus"), exist_ok=True)
    try:
        for run in range(1, options.runs + 1):
            for contender in options.contenders.split(","):
                figures = Leg(contender, run, options).run()
                path = os.path.join(options.raw, "versus", f"{contender}-run{run}.json")
                with open(path, "w") as file:
                    json.dump(figures, file)
                print(f"versus: {contender} run {run}: drained={figures['drained']} in {figures['wallSeconds']:.1f} s", file=sys.stderr)
        with open(os.path.join(options.raw, "versus", "decision-cost.json"), "w") as file:
            json.dump(decision_costs(options), file)
    finally:
        stop_all()


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sluice", required=True, help="the release sluice binary")
    parser.add_argument("--raw", required=True, help="where to write versus/*.json")
    parser.add_argument("--redis-port", type=int, required=True)
    parser.add_argument("--tasks", type=int, default=900)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--rate", type=float, default=90.0, help="the rate every contender is configured for, per second")
    parser.add_argument("--limit", default="100/s", help="the sandbox's Stripe limit")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--contenders", default="sluice,celery,dramatiq")
    parser.add_argument("--celery-single-instance", action="store_true",
                        help="one Celery worker with a pool of PROCESSES at the whole rate, instead of PROCESSES workers at rate ÷ PROCESSES")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds a leg may take to drain")
    return parser.parse_args()


class Leg:
    """One contender draining the backlog once."""

    def __init__(self, contender, run, options):
        self.contender, self.run_number, self.options = contender, run, options
        self.redis = f"redis://127.0.0.1:{options.redis_port}"
        self.work = tempfile.mkdtemp(prefix=f"sluice-versus-{contender}-", dir="/var/tmp")
        self.environment = dict(os.environ, PYTHONPATH=HERE, BENCH_BROKER_URL=f"{self.redis}/0",
                                BENCH_LIMITER_URL=f"{self.redis}/1", STRIPE_API_KEY="sk_test_bench")

    def run(self):
        sandbox = None
        try:
            sandbox = Sandbox(self.options.sluice, self.work, self.options.limit)
            self.environment["BENCH_SANDBOX_URL"] = sandbox.url
            import redis
            redis.Redis.from_url(self.redis).flushall()
            settings = getattr(self, f"prepare_{self.contender}")()
            sandbox.post("/__sandbox/reset")  # arrival instants count from here: the workers' spawn
            before = children_cpu_seconds()
            started = time.monotonic()
            workers = getattr(self, f"start_{self.contender}")()
            drained = sandbox.wait_for_successes(self.options.tasks, self.options.timeout, workers)
            wall = time.monotonic() - started
            for worker in workers:
                stop(worker)
            cpu = children_cpu_seconds() - before
            arrivals = sandbox.get("/__sandbox/arrivals")
            stats = sandbox.get("/__sandbox/stats")
            return {
                "contender": self.contender, "run": self.run_number, "tasks": self.options.tasks,
                "processes": self.options.processes, "configuredRatePerSecond": self.options.rate,
                "sandboxLimit": self.options.limit, "settings": settings, "drained": drained,
                "wallSeconds": wall, "workerCPUSeconds": cpu,
                "arrivals": arrivals["endpoints"]["stripe.payment_intents"], "omitted": arrivals["omitted"],
                "endpoint": stats["endpoints"]["stripe.payment_intents"], "limit": stats["limits"]["stripe.requests"],
                "versions": versions(self.redis),
            }
        finally:
            if sandbox:
                sandbox.stop()
            shutil.rmtree(self.work, ignore_errors=True)

    # Sluice: one queue at the whole rate; the shared-memory limiter spans its processes.
    def prepare_sluice(self):
        self.fleet = f"versus-{os.getpid()}-{self.run_number}"
        self.config = os.path.join(self.work, "fleet.json")
        queue = {"provider": "stripe", "baseURL": self.environment["BENCH_SANDBOX_URL"], "rate": f"{self.options.rate:g}/s",
                 "processes": self.options.processes, "maxConcurrentPerWorker": 1}
        with open(self.config, "w") as file:
            json.dump({"fleet": self.fleet, "spool": os.path.join(self.work, "spool"), "listen": "127.0.0.1:0",
                       "shutdownTimeout": "10s", "queues": {"stripe-api": queue}}, file)
        tasks = os.path.join(self.work, "tasks.ndjson")
        with open(tasks, "w") as file:
            for index in range(self.options.tasks):
                file.write(json.dumps({"id": f"pay-{index}", "kind": "create_payment",
                                       "payload": {"amount": 100 + index, "currency": "usd"}}) + "\n")
        subprocess.run([self.options.sluice, "enqueue", "stripe-api", "--config", self.config, "-f", tasks],
                       check=True, stdout=subprocess.DEVNULL)
        return f'one queue, rate "{self.options.rate:g}/s" (burst 1), {self.options.processes} processes × 1 in flight'

    def start_sluice(self):
        return [spawn([self.options.sluice, "run", "--config", self.config], self.environment, self.log("fleet"))]

    # Celery: rate_limit is per worker, so each of N workers gets rate ÷ N.
    def prepare_celery(self):
        instances, concurrency = self.celery_layout()
        self.environment["BENCH_RATE_LIMIT"] = f"{self.options.rate / instances:g}/s"
        os.environ.update(self.environment)
        sys.path.insert(0, HERE)
        import celery_tasks
        celery_tasks.app.conf.broker_url = self.environment["BENCH_BROKER_URL"]
        with celery_tasks.app.connection_for_write() as connection:
            for index in range(self.options.tasks):
                celery_tasks.charge.apply_async(args=[index], connection=connection)
        return (f'rate_limit="{self.environment["BENCH_RATE_LIMIT"]}" on each of {instances} worker instance(s), '
                f"prefork pool of {concurrency} (plus each instance's consumer process), retry after Retry-After on 429")

    def start_celery(self):
        celery = os.path.join(VENV_BIN, "celery")
        instances, concurrency = self.celery_layout()
        return [spawn([celery, "-A", "celery_tasks", "worker", "--pool", "prefork", "--concurrency", str(concurrency), "-n", f"w{index}@versus",
                       "-Q", "bench", "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "WARNING"],
                      self.environment, self.log(f"celery-{index}"), cwd=HERE)
                for index in range(instances)]

    def celery_layout(self):
        """(worker instances, pool processes each): N × 1 by default; 1 × N with --celery-single-instance."""
        return (1, self.options.processes) if self.options.celery_single_instance else (self.options.processes, 1)

    # Dramatiq: one BucketRateLimiter in Redis, shared, at the whole rate per 1 s bucket.
    def prepare_dramatiq(self):
        self.environment["BENCH_BUCKET_LIMIT"] = f"{int(self.options.rate)}"
        os.environ.update(self.environment)
        sys.path.insert(0, HERE)
        import dramatiq_tasks
        for index in range(self.options.tasks):
            dramatiq_tasks.charge.send(index)
        return (f"BucketRateLimiter(limit={self.environment['BENCH_BUCKET_LIMIT']}, bucket=1000 ms) in Redis, "
                f"{self.options.processes} processes × 1 thread, backoff 100 ms–1 s on a full bucket, Retry-After on 429")

    def start_dramatiq(self):
        dramatiq = os.path.join(VENV_BIN, "dramatiq")
        return [spawn([dramatiq, "dramatiq_tasks", "--processes", str(self.options.processes), "--threads", "1", "--queues", "bench"],
                      self.environment, self.log("dramatiq"), cwd=HERE)]

    def log(self, name):
        return os.path.join(self.work, f"{name}.log")


class Sandbox:
    """A `sluice sandbox` on a port the kernel chose, with Stripe's limit set to LIMIT."""

    def __init__(self, sluice, work, limit):
        config = os.path.join(work, "sandbox.json")
        with open(config, "w") as file:
            json.dump({"limits": {"stripe.requests": limit}}, file)
        self.process = spawn([sluice, "sandbox", "--listen", "127.0.0.1:0", "--config", config], None,
                             os.path.join(work, "sandbox.log"), stdout=subprocess.PIPE)
        line = self.process.stdout.readline().decode()
        if not line.startswith("sandbox listening on "):
            raise RuntimeError(f"the sandbox did not start: {line!r}")
        self.url = "http://" + line.strip().rsplit(" ", 1)[1]

    def get(self, path):
        with urllib.request.urlopen(self.url + path, timeout=30) as answer:
            return json.load(answer)

    def post(self, path):
        urllib.request.urlopen(urllib.request.Request(self.url + path, data=b"{}", method="POST"), timeout=10).read()

    def wait_for_successes(self, tasks, timeout, workers):
        """True once the sandbox has answered `tasks` successes; False on timeout or a worker's exit."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.get("/__sandbox/stats")["endpoints"]["stripe.payment_intents"]["successes"] >= tasks:
                return True
            if any(worker.poll() is not None for worker in workers):
                return False
            time.sleep(0.1)
        return False

    def stop(self):
        stop(self.process)


def spawn(command, environment, log, cwd=None, stdout=None):
    with open(log, "ab") as output:
        process = subprocess.Popen(command, env=environment, cwd=cwd, stdout=stdout or output, stderr=output,
                                   start_new_session=True)
    STARTED.append(process)
    return process


def stop(process, grace=15.0):
    """SIGTERM, then SIGKILL after `grace` s, to the process's whole session; always reaped."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        except ProcessLookupError:
            pass
    # Dramatiq's and Celery's children share the session; none may outlive the leg.
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def stop_all():
    for process in STARTED:
        stop(process, grace=5.0)
    for name in os.listdir("/dev/shm"):
        if name.startswith(f"sluice.versus-{os.getpid()}-"):
            os.unlink(os.path.join("/dev/shm", name))


def children_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def versions(redis_url):
    import celery
    import dramatiq
    import redis
    return {"python": sys.version.split()[0], "celery": celery.__version__, "dramatiq": dramatiq.__version__,
            "redis-server": redis.Redis.from_url(redis_url).info()["redis_version"]}


def decision_costs(options):
    """Each limiter's own cost for one granted decision, alone, median of 5 batches (ns)."""
    from kombu.utils.limits import TokenBucket
    from dramatiq.rate_limits import BucketRateLimiter
    from dramatiq.rate_limits.backends import RedisBackend

    def median_ns(call, count):
        batches = []
        for _ in range(5):
            start = time.perf_counter_ns()
            for _ in range(count):
                call()
            batches.append((time.perf_counter_ns() - start) / count)
        return sorted(batches)[2]

    bucket = TokenBucket(1e12, capacity=1)
    limiter = BucketRateLimiter(RedisBackend(url=f"redis://127.0.0.1:{options.redis_port}/3"), "cost", limit=10**12, bucket=60_000)

    def acquire():
        with limiter.acquire(raise_on_failure=False):
            pass

    return {
        "celery": {"ns": median_ns(lambda: bucket.can_consume(1), 200_000),
                   "what": "kombu TokenBucket.can_consume(1), the check Celery's consumer makes per task; in process, not shared"},
        "dramatiq": {"ns": median_ns(acquire, 2_000),
                     "what": "BucketRateLimiter.acquire() on the same redis-server over loopback (SET NX, then WATCH/GET/MULTI/SET/EXEC)"},
    }


if __name__ == "__main__":
    main()
