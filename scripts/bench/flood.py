#!/usr/bin/env python3
"""Figure 6 of `make bench` (scripts/bench.sh): a flood of wrong-password sign-ins.

  flood.py ADDR PID [--count N] [--user NAME] [--deadline SECONDS]

Opens N connections (default 500) to ADDR (host:port), 50 at a time, then sends on all of
them at once `POST /api/v1/login` with a wrong password for NAME (default flood), each its
own Argon2id check. From then on it samples the server's RSS (VmRSS of /proc/PID/status)
every 50 ms, and calls `GET /healthz` on a new connection every 100 ms (one at a time, each
with a 2-s timeout; a call that is not answered 200 within it is a failure), until every
sign-in has answered or the deadline (default 120 s) has passed; a sign-in not answered by
then is an error. Python's standard library only (asyncio streams, HTTP/1.1 by hand).

Prints one JSON line: the count, RSS before the flood, the sampled peak and VmHWM at the end
(MiB), the answers by status (401 the wrong password, 429 a rate limit, 503 `busy`, any other
status, and errors: no answer, a closed or refused connection), the healthz calls made,
their failures and the slowest (ms), and how long the flood took (s).
"""

import argparse
import asyncio
import json
import time

BODY_TEMPLATE = {"password": "wrong password!"}
RSS_EVERY = 0.05
HEALTHZ_EVERY = 0.1
HEALTHZ_TIMEOUT = 2.0
# Connections opened at once: fewer than the server's listen backlog (128), whose overflow
# would cost a 1-s SYN retransmission and measure a burst of connects, not of sign-ins.
BATCH = 50


def status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} for process {pid}")


async def read_status(reader):
    """Reads one HTTP/1.1 answer (status line, headers, a Content-Length body): its status."""
    line = await reader.readline()
    parts = line.split()
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
        raise ConnectionError(f"not an HTTP answer: {line[:80]!r}")
    length = 0
    while True:
        header = await reader.readline()
        if header in (b"\r\n", b"\n", b""):
            break
        name, _, value = header.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    await reader.readexactly(length)
    return int(parts[1])


def request(method, path, host, body=b""):
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n"
        f"User-Agent: keyward-bench-flood\r\n"
    )
    if body:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


async def close(writer):
    writer.close()
    try:
        await writer.wait_closed()
    except OSError:
        pass


async def sign_in(host, port, payload, go, answers):
    """One connection, opened before `go`; the sign-in is sent when `go` is set."""
    writer = None
    try:
        try:
            reader, writer = await asyncio.open_connection(host, port)
        finally:
            answers["tried"] += 1
        await go.wait()
        writer.write(payload)
        await writer.drain()
        status = await read_status(reader)
        key = str(status) if status in (401, 429, 503) else "other"
    except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError):
        key = "errors"
    except asyncio.CancelledError:
        # The deadline passed without an answer.
        answers["errors"] += 1
        raise
    finally:
        if writer is not None:
            await close(writer)
    answers[key] += 1


async def healthz_once(host, port):
    writer = None
    try:
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(request("GET", "/healthz", f"{host}:{port}"))
        await writer.drain()
        return await read_status(reader) == 200
    except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError):
        return False
    finally:
        if writer is not None:
            await close(writer)


async def healthz_loop(host, port, done, out):
    """One call every 100 ms (the next starts on the next tick after the last one ends)."""
    loop = asyncio.get_running_loop()
    tick = loop.time()
    while not done.is_set():
        t0 = time.monotonic()
        try:
            ok = await asyncio.wait_for(healthz_once(host, port), HEALTHZ_TIMEOUT)
        except asyncio.TimeoutError:
            ok = False
        ms = (time.monotonic() - t0) * 1000
        out["healthz_calls"] += 1
        out["healthz_failures"] += 0 if ok else 1
        out["healthz_max_ms"] = max(out["healthz_max_ms"], ms)
        while tick <= loop.time():
            tick += HEALTHZ_EVERY
        try:
            await asyncio.wait_for(done.wait(), tick - loop.time())
        except asyncio.TimeoutError:
            pass


async def rss_loop(pid, done, out):
    while not done.is_set():
        try:
            kib = status_kib(pid, "VmRSS")
        except (OSError, RuntimeError):
            break  # the server is gone; the sign-ins will say so
        out["rss_samples"] += 1
        out["rss_peak_kib"] = max(out["rss_peak_kib"], kib)
        try:
            await asyncio.wait_for(done.wait(), RSS_EVERY)
        except asyncio.TimeoutError:
            pass


async def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("addr", help="host:port of the server")
    p.add_argument("pid", type=int, help="the server's process id")
    p.add_argument("--count", type=int, default=500)
    p.add_argument("--user", default="flood")
    p.add_argument("--deadline", type=float, default=120.0)
    args = p.parse_args()
    host, _, port = args.addr.rpartition(":")
    port = int(port)

    body = json.dumps({"username": args.user, **BODY_TEMPLATE}).encode()
    payload = request("POST", "/api/v1/login", args.addr, body)
    answers = {"tried": 0, "401": 0, "429": 0, "503": 0, "other": 0, "errors": 0}
    probe = {"rss_samples": 0, "rss_peak_kib": 0, "healthz_calls": 0, "healthz_failures": 0,
             "healthz_max_ms": 0.0}
    rss_before = status_kib(args.pid, "VmRSS")

    done, go = asyncio.Event(), asyncio.Event()
    # Every connection opened (or refused) first, BATCH at a time, each batch within 10 s.
    t0 = time.monotonic()
    flood = []
    for first in range(0, args.count, BATCH):
        flood += [asyncio.create_task(sign_in(host, port, payload, go, answers))
                  for _ in range(first, min(first + BATCH, args.count))]
        for _ in range(1000):
            if answers["tried"] >= len(flood):
                break
            await asyncio.sleep(0.01)
    # Then all the sign-ins at once, and the sampling until they have all answered.
    samplers = [
        asyncio.create_task(rss_loop(args.pid, done, probe)),
        asyncio.create_task(healthz_loop(host, port, done, probe)),
    ]
    connected = time.monotonic()
    go.set()
    remaining = max(0.0, args.deadline - (connected - t0))
    _, late = await asyncio.wait(flood, timeout=remaining)
    for t in late:
        t.cancel()
    await asyncio.gather(*late, return_exceptions=True)
    elapsed = time.monotonic() - connected
    done.set()
    await asyncio.gather(*samplers)

    try:
        hwm = status_kib(args.pid, "VmHWM")
    except (OSError, RuntimeError):
        hwm = 0
    print(json.dumps({
        "count": args.count,
        "rss_before_mib": round(rss_before / 1024, 1),
        "rss_peak_mib": round(probe["rss_peak_kib"] / 1024, 1),
        "vmhwm_mib": round(hwm / 1024, 1),
        "rss_samples": probe["rss_samples"],
        "answers_401": answers["401"],
        "answers_429": answers["429"],
        "answers_503": answers["503"],
        "answers_other": answers["other"],
        "errors": answers["errors"],
        "healthz_calls": probe["healthz_calls"],
        "healthz_failures": probe["healthz_failures"],
        "healthz_max_ms": round(probe["healthz_max_ms"], 1),
        "duration_s": round(elapsed, 2),
    }))


if __name__ == "__main__":
    asyncio.run(main())
