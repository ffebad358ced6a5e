"""Benchmark: the scorecard API under concurrent load, on loopback only.

    python benchmarks/load.py                       # 10M contacts, 50 clients, 60 s
    python benchmarks/load.py --rows 1000000 --seconds 20

N synthetic contacts (the metric-engine benchmark's generator) are loaded into a workspace
with two users: an administrator and a vendor user limited to one vendor. `cxpm serve`
runs in its own process on 127.0.0.1. Each scorecard variant (all, by program, site and
vendor, and the vendor user's) is asked once cold (computed), then C clients ask for them
in turn for S seconds, each waiting for its answer before asking again. Printed: the cold
times, requests, errors, throughput and latency percentiles (goal: p95 < 300 ms, 0 errors),
and as a baseline measured in the same run, the same clients on GET /healthz (no
authentication, no data): the ratio of the two p95s is what the scorecard adds to the
server's own overhead.
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import httpx
from metrics_engine import generate, load

HOST = "127.0.0.1"
PASSWORD = "load benchmark password"
VENDOR = "acme"
MAX_CLIENTS = 200
MAX_SECONDS = 600
GOAL_P95_MS = 300.0
# (user, query) of each scorecard variant the clients ask for in turn
VARIANTS = [("admin", {}), ("admin", {"by": "program"}), ("admin", {"by": "site"}),
            ("admin", {"by": "vendor"}), ("vendor", {})]


@dataclass
class Tally:
    latencies_ms: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def prepare(workspace: Path, rows: int, seed: int) -> None:
    from cxpm.users.accounts import add_user
    from cxpm.workspace import open_workspace

    data = workspace.parent / "data"
    data.mkdir(parents=True, exist_ok=True)
    load(workspace, generate(data, rows, seed))
    ws = open_workspace(workspace)
    add_user(ws, "admin", role="admin", scope=None, password=PASSWORD, actor="benchmark")
    add_user(ws, "vendor", role="vendor", scope=f"vendor={VENDOR}", password=PASSWORD,
             actor="benchmark")
    ws.close()


def start_server(workspace: Path, port: int, log: Path) -> subprocess.Popen:
    with log.open("w", encoding="utf-8") as sink:  # a pipe nobody reads would stall it
        server = subprocess.Popen(
            [sys.executable, "-m", "cxpm", "serve", "--host", HOST, "--port", str(port),
             "--workspace", str(workspace)],
            stdout=sink, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://{HOST}:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not start within 120 s")


def token(base: str, username: str) -> str:
    response = httpx.post(f"{base}/api/auth/token",
                          json={"username": username, "password": PASSWORD}, timeout=30)
    response.raise_for_status()
    return response.json()["access_token"]


def run_clients(port: int, requests: list[tuple[str, dict, dict]], clients: int,
                seconds: float) -> Tally:
    """`clients` concurrent clients (threads, each with its own keep-alive connection),
    each asking for `requests` in turn (starting at a different one) until `seconds` have
    passed. The standard library's client: its cost per request is small next to the
    server's, so the figures are the server's."""
    tally = Tally()
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    urls = [(path + ("?" + urlencode(params) if params else ""), headers)
            for path, params, headers in requests]

    def client(number: int) -> None:
        connection = http.client.HTTPConnection(HOST, port, timeout=60)
        turn = number
        while time.monotonic() < stop:
            url, headers = urls[turn % len(urls)]
            turn += 1
            started = time.perf_counter()
            try:
                connection.request("GET", url, headers=headers)
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException) as exc:
                with lock:
                    tally.error(type(exc).__name__)
                connection.close()
                connection = http.client.HTTPConnection(HOST, port, timeout=60)
                continue
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                if response.status != 200:
                    tally.error(f"HTTP {response.status}")
                else:
                    tally.latencies_ms.append(elapsed)
        connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally


def report(name: str, tally: Tally, seconds: float) -> None:
    done = len(tally.latencies_ms)
    errors = sum(tally.errors.values())
    print(f"{name}: {done:,} answered, {errors} errors {tally.errors or ''}, "
          f"{done / seconds:,.0f} requests/s")
    if done:
        print(f"  latency ms: p50 {tally.percentile(50):.1f}  p95 {tally.percentile(95):.1f}  "
              f"p99 {tally.percentile(99):.1f}  max {max(tally.latencies_ms):.1f}  "
              f"mean {statistics.fmean(tally.latencies_ms):.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--baseline-seconds", type=float, default=10.0)
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=None,
                        help="Keep the workspace here and reuse it when present "
                             "(default: a temporary folder).")
    args = parser.parse_args()
    if not 1 <= args.clients <= MAX_CLIENTS:
        parser.error(f"--clients must be between 1 and {MAX_CLIENTS}")
    if not 0 < args.seconds <= MAX_SECONDS or not 0 < args.baseline_seconds <= MAX_SECONDS:
        parser.error(f"--seconds and --baseline-seconds must be between 0 and {MAX_SECONDS}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.workdir or Path(tmp)
        workspace = folder / "workspace"
        if not (workspace / "cxpm.toml").exists():
            started = time.perf_counter()
            prepare(workspace, args.rows, args.seed)
            print(f"{args.rows:,} contacts generated and loaded in "
                  f"{time.perf_counter() - started:.1f} s")
        log = folder / "server.log"
        server = start_server(workspace, args.port, log)
        base = f"http://{HOST}:{args.port}"
        try:
            headers = {user: {"Authorization": f"Bearer {token(base, user)}"}
                       for user in ("admin", "vendor")}
            requests = [("/api/scorecard", params, headers[user]) for user, params in VARIANTS]
            for (user, params), (path, _, auth) in zip(VARIANTS, requests, strict=True):
                started = time.perf_counter()
                response = httpx.get(base + path, params=params, headers=auth, timeout=600)
                response.raise_for_status()
                rows = len(response.json()["rows"])
                print(f"cold {path} {params or ''} as {user}: "
                      f"{time.perf_counter() - started:.2f} s, {rows} rows")
            baseline = run_clients(args.port, [("/healthz", {}, {})], args.clients,
                                   args.baseline_seconds)
            report(f"baseline GET /healthz, {args.clients} clients, {args.baseline_seconds:g} s",
                   baseline, args.baseline_seconds)
            loaded = run_clients(args.port, requests, args.clients, args.seconds)
            report(f"GET /api/scorecard ({len(requests)} variants), {args.clients} clients, "
                   f"{args.seconds:g} s", loaded, args.seconds)
        finally:
            server.terminate()
            server.wait(30)
        p95 = loaded.percentile(95)
        print(f"ratio p95 scorecard / p95 healthz: {p95 / baseline.percentile(95):.2f}")
        met = p95 < GOAL_P95_MS and not loaded.errors
        print(f"goal p95 < {GOAL_P95_MS:.0f} ms and 0 errors: {'met' if met else 'NOT met'} "
              f"(p95 {p95:.1f} ms, {sum(loaded.errors.values())} errors)")
        if loaded.errors or not loaded.latencies_ms:
            print(f"server log ({log}), last lines:\n" + "\n".join(
                line for line in log.read_text().splitlines()[-40:]
                if "HTTP/1.1\" 200" not in line))
            sys.exit(1)


if __name__ == "__main__":
    main()
