"""Throughput / concurrency self-test of the sandbox server.

    python -m sandbox.selftest                 # server in a subprocess, 2 client processes
    python -m sandbox.selftest --inprocess     # server thread and clients share one process (GIL)

1. detail throughput: keep-alive httpx clients (thread pool) hammer
   GET /v2/phone/call_logs/{id} (Light) with latency 0 and rate limits off;
   prints requests/s.
2. concurrency with latency: 40 keep-alive connections x N requests with 50 ms
   injected latency; prints the wall time and compares it with the serialized time.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import socket
import subprocess
import sys
import threading
import time

import httpx

START = "2026-11-20T12:00:00Z"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def token(url: str) -> str:
    r = httpx.post(url + "/oauth/token", params={"grant_type": "account_credentials", "account_id": "sandbox-account"},
                   auth=("sandbox-client-id", "sandbox-client-secret"))
    r.raise_for_status()
    return r.json()["access_token"]


def detail_ids(url: str, tok: str) -> list[str]:
    r = httpx.get(url + "/v2/phone/call_logs", params={"from": "2026-11-01", "to": "2026-11-19", "page_size": 300},
                  headers={"Authorization": f"Bearer {tok}"})
    r.raise_for_status()
    return [x["id"] for x in r.json()["call_logs"]]


def hammer(url: str, tok: str, ids: list[str], threads: int, seconds: float, out=None) -> tuple[int, int]:
    stop = time.perf_counter() + seconds
    counts = [0] * threads
    errors = [0] * threads

    def worker(i: int) -> None:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {tok}"}, timeout=30) as c:
            # requests are built once: the client's own URL handling is most of the CPU per request here
            reqs = [c.build_request("GET", f"/v2/phone/call_logs/{x}") for x in ids]
            n = i * 7
            while time.perf_counter() < stop:
                r = c.send(reqs[n % len(reqs)])
                r.read()
                n += 1
                if r.status_code == 200:
                    counts[i] += 1
                else:
                    errors[i] += 1

    ts = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    result = (sum(counts), sum(errors))
    if out is not None:
        out.put(result)
    return result


def run_subprocess_server(extra: list[str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-m", "sandbox", "--port", str(port), "--start", START, "--quiet",
                             "--calls-per-day", "200", "--days", "40", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            httpx.get(url + "/_sandbox/stats").raise_for_status()
            return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    output = proc.communicate()[0].decode(errors="replace")
    raise RuntimeError(f"sandbox did not answer on {url} within 30 s; its output:\n{output[-2000:]}")


def _cpu(pid: int | None) -> float | None:
    if pid is None:
        return None
    try:
        import psutil
    except ImportError:
        return None
    t = psutil.Process(pid).cpu_times()
    return t.user + t.system


def detail_throughput(url: str, procs: int, threads: int, seconds: float, server_pid: int | None = None) -> float:
    tok = token(url)
    ids = detail_ids(url, tok)
    hammer(url, tok, ids, 2, 0.5)  # warm-up
    cpu0 = _cpu(server_pid)
    import resource

    kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    if procs <= 1:
        ok, bad = hammer(url, tok, ids, threads, seconds)
    else:
        ctx = mp.get_context("spawn")
        q = ctx.Queue()
        ps = [ctx.Process(target=hammer, args=(url, tok, ids, threads, seconds, q)) for _ in range(procs)]
        for p in ps:
            p.start()
        results = [q.get() for _ in ps]
        for p in ps:
            p.join()
        ok, bad = sum(r[0] for r in results), sum(r[1] for r in results)
    wall = time.perf_counter() - t0
    rate = ok / seconds
    print(f"detail requests: {ok} ok, {bad} errors in {seconds:.1f} s ({wall:.1f} s wall) "
          f"-> {rate:,.0f} requests/s ({procs} client process(es) x {threads} threads)")
    cpu1 = _cpu(server_pid)
    kids1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if cpu0 is not None and cpu1 is not None and ok:
        per = (cpu1 - cpu0) / (ok + bad) * 1e6
        print(f"server CPU: {per:.0f} us per request -> about {1e6 / per:,.0f} requests/s per core")
        if procs > 1:
            client = ((kids1.ru_utime + kids1.ru_stime) - (kids0.ru_utime + kids0.ru_stime)) / (ok + bad) * 1e6
            cores = os.cpu_count() or 2
            print(f"client (httpx) CPU: {client:.0f} us per request; server + clients alone on {cores} cores "
                  f"-> about {cores * 1e6 / (per + client):,.0f} requests/s")
    return rate


def latency_concurrency(url: str, connections: int = 40, per_conn: int = 10,
                        latency_ms: float = 50) -> tuple[float, list[int]]:
    """-> (wall seconds, statuses other than 200) of `connections` keep-alive clients sending `per_conn`
    detail requests each, all at once, to a server with `latency_ms` of injected latency."""
    tok = token(url)
    ids = detail_ids(url, tok)
    clients = [httpx.Client(base_url=url, headers={"Authorization": f"Bearer {tok}"}, timeout=30)
               for _ in range(connections)]
    barrier = threading.Barrier(connections + 1)
    errors = []

    def worker(i: int) -> None:
        c = clients[i]
        c.get(f"/v2/phone/call_logs/{ids[i % len(ids)]}")  # open the keep-alive connection (not timed)
        barrier.wait()
        for j in range(per_conn):
            r = c.get(f"/v2/phone/call_logs/{ids[(i * per_conn + j) % len(ids)]}")
            if r.status_code != 200:
                errors.append(r.status_code)

    ts = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    old = sys.getswitchinterval()
    sys.setswitchinterval(0.0005)  # the client threads share one GIL: hand it over quickly
    try:
        for t in ts:
            t.start()
        barrier.wait()
        t0 = time.perf_counter()
        for t in ts:
            t.join()
        wall = time.perf_counter() - t0
    finally:
        sys.setswitchinterval(old)
        for c in clients:
            c.close()
    serial = connections * per_conn * latency_ms / 1000
    print(f"latency {latency_ms:.0f} ms, {connections} keep-alive connections x {per_conn} requests: "
          f"{wall:.2f} s wall (serialized would be {serial:.1f} s; ideal {per_conn * latency_ms / 1000:.2f} s); "
          f"errors: {len(errors)}")
    return wall, errors


def million(calls_per_day: int = 5600, days: int = 180, page_size: int = 300, extra: list[str] | None = None) -> None:
    """Page every call log of a ~1,000,000-call world, month window by month window; sample server RSS."""
    import psutil

    proc, url = run_subprocess_server(["--no-rate-limits", "--calls-per-day", str(calls_per_day),
                                       "--days", str(days), "--users", "200", *(extra or [])])
    server = psutil.Process(proc.pid)
    peak = [server.memory_info().rss]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.2):
            try:
                peak[0] = max(peak[0], server.memory_info().rss)
            except psutil.Error:
                return

    threading.Thread(target=sample, daemon=True).start()
    try:
        tok = token(url)
        windows = ["2026-05-21", "2026-06-21", "2026-07-21", "2026-08-21", "2026-09-21", "2026-10-21"]
        total, requests, t0 = 0, 0, time.perf_counter()
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {tok}"}, timeout=300) as c:
            for w in windows:
                params = {"from": w, "to": "2026-11-20", "page_size": page_size}  # cut to one month
                token_ = None
                while True:
                    r = c.get("/v2/phone/call_logs", params={**params, **({"next_page_token": token_} if token_ else {})})
                    requests += 1
                    body = r.json()
                    total += len(body["call_logs"])
                    token_ = body["next_page_token"]
                    if not token_:
                        break
        wall = time.perf_counter() - t0
        stats = httpx.get(url + "/_sandbox/stats").json()["memory"]
        print(f"paged {total:,} call logs in {requests:,} requests, {wall:.0f} s "
              f"({total / wall:,.0f} items/s); server peak RSS {peak[0] / 2**20:,.0f} MiB; cache {stats}")
    finally:
        stop.set()
        proc.terminate()
        proc.wait(10)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m sandbox.selftest")
    p.add_argument("--inprocess", action="store_true", help="server thread in this process (GIL shared)")
    p.add_argument("--procs", type=int, default=2, help="client processes (subprocess mode)")
    p.add_argument("--threads", type=int, default=8, help="client threads per process")
    p.add_argument("--repeat", type=int, default=1, help="repeat the throughput run; prints best and median")
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--million", action="store_true",
                   help="page all call logs of a 5,600 calls/day x 180 days world; report server memory")
    p.add_argument("--max-cached-calls", type=int, default=0, help="with --million: the server's day cache bound")
    a = p.parse_args(argv)
    if a.million:
        million(extra=["--max-cached-calls", str(a.max_cached_calls)] if a.max_cached_calls else None)
        return 0
    if a.inprocess:
        from . import Sandbox, SandboxConfig

        with Sandbox(SandboxConfig(seed=1, calls_per_day=200, days=40, start=START,
                                   enforce_rate_limits=False)) as sb:
            detail_throughput(sb.url, 1, a.threads, a.seconds)
        with Sandbox(SandboxConfig(seed=1, calls_per_day=200, days=40, start=START, enforce_rate_limits=False,
                                   latency_ms=50)) as sb:
            latency_concurrency(sb.url)
        return 0
    proc, url = run_subprocess_server(["--no-rate-limits"])
    try:
        rates = sorted(detail_throughput(url, a.procs, a.threads, a.seconds, proc.pid) for _ in range(a.repeat))
        if a.repeat > 1:
            print(f"detail requests/s over {a.repeat} runs: best {rates[-1]:,.0f}, median {rates[len(rates) // 2]:,.0f}"
                  f" (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    finally:
        proc.terminate()
        proc.wait(10)
    proc, url = run_subprocess_server(["--no-rate-limits", "--latency-ms", "50"])
    try:
        latency_concurrency(url)
    finally:
        proc.terminate()
        proc.wait(10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
