#!/usr/bin/env python3
"""Prints the table of `make bench` from the `key value` lines bench.sh recorded."""

import sys

r = {}
with open(sys.argv[1]) as f:
    for line in f:
        key, _, value = line.strip().partition(" ")
        r[key] = value


def num(key):
    return float(r[key])


def ms(us):
    return f"{us / 1000:.2f} ms"


def mib(kib):
    return f"{kib / 1024:.1f} MiB"


def verdict(ok):
    return "PASS" if ok else "MISS"


rows = []  # (figure, what, measured, target, verdict)
# Figures 8-11 (issue 16): the profile page with 1,000 API and 1,000 service tokens.
ttis = " ".join(r[f"page.tti_ms.{i}"] for i in range(1, 6))
toggles = " ".join(r[f"page.toggle_ms.{i}"] for i in range(1, 6))
rows.append((
    "8",
    f"/profile: the WASM it loads, gzip -9 ({num('page.wasm_bytes') / 1000:,.0f} KB raw; "
    f"JS glue {num('page.js_gz_bytes') / 1000:,.1f} KB gzipped; KB = 1,000 bytes)",
    f"{num('page.wasm_gz_bytes') / 1000:,.0f} KB",
    "<= 350 KB",
    verdict(num("page.wasm_gz_bytes") <= 350_000),
))
rows.append((
    "9",
    f"/profile, 1,000 + 1,000 tokens: time to interactive (New API token enabled), "
    f"median of 5 cold loads ({ttis} ms)",
    f"{num('page.tti_ms'):,.0f} ms",
    "< 800 ms",
    verdict(num("page.tti_ms") < 800),
))
rows.append((
    "10",
    f"/profile, 1,000 + 1,000 tokens: Hide expired, click to table redrawn, median of 5 "
    f"({toggles} ms)",
    f"{num('page.toggle_ms'):,.1f} ms",
    "< 50 ms",
    verdict(num("page.toggle_ms") < 50),
))
rows.append((
    "11",
    "/profile, 1,000 + 1,000 tokens: server-rendered HTML",
    f"{num('page.html_bytes') / 1000:,.0f} KB",
    "< 256 KB",
    verdict(num("page.html_bytes") < 256_000),
))

# Figures 1-7 (issues 11, 13, 15), unless BENCH_ONLY=page left them out.
if "sqlite.1k.tokens" in r:
    DBS = [("sqlite", "SQLite", 0.25), ("postgres", "PostgreSQL", 0.15)]

    for kind, name, target in DBS:
        for size in ["1k", "1M"]:
            w, h = num(f"{kind}.{size}.whoami.rps"), num(f"{kind}.{size}.healthz.rps")
            ratio = w / h
            tokens = int(r[f"{kind}.{size}.tokens"])
            touched = int(r[f"{kind}.{size}.touched"])
            rows.append((
                "1",
                f"{name}, {tokens:,} tokens: whoami / healthz req/s ({touched} last-used writes)",
                f"{w:,.0f} / {h:,.0f} = {ratio:.2f}",
                f">= {target}" if size == "1M" else "(1k: no target)",
                verdict(ratio >= target) if size == "1M" else "",
            ))
        p1k, p1m = num(f"{kind}.1k.whoami.p99_us"), num(f"{kind}.1M.whoami.p99_us")
        rows.append((
            "1",
            f"{name}: whoami p99 at 1M vs 1k (p50 {ms(num(f'{kind}.1M.whoami.p50_us'))} / "
            f"{ms(num(f'{kind}.1k.whoami.p50_us'))})",
            f"{ms(p1m)} / {ms(p1k)} = {p1m / p1k:.2f}x",
            "<= 1.2x",
            verdict(p1m <= 1.2 * p1k),
        ))

    for kind, name, _ in DBS:
        rows.append((
            "2",
            f"{name}: GET /api/v1/projects (200 projects), 1 connection",
            f"p50 {ms(num(f'{kind}.projects.p50_us'))}, p99 {ms(num(f'{kind}.projects.p99_us'))}, "
            f"{r[f'{kind}.queries.projects']} queries/request",
            "(no target)",
            "",
        ))
        rows.append((
            "2",
            f"{name}: GET /api/v1/whoami, statements per request (one at a time / under load)",
            f"{r[f'{kind}.queries.whoami']} / {r[f'{kind}.queries.whoami_load']} queries/request",
            "(no target)",
            "",
        ))

    wrong, login, token = num("wrong_password.mean_us"), num("login.mean_us"), num("token.mean_us")
    rows.append((
        "3",
        "SQLite, 1 connection: POST /login, wrong password (one Argon2id check) vs a token check (whoami)",
        f"{ms(wrong)} vs {ms(token)}: {wrong / token:,.0f}x",
        "(no target)",
        "",
    ))
    rows.append((
        "3",
        "SQLite, 1 connection: POST /login, right password (the check and a new session)",
        ms(login),
        "(no target)",
        "",
    ))

    accepted, total = int(r["revoke.accepted"]), int(r["revoke.requests"])
    rows.append((
        "4",
        "PostgreSQL, 2 instances: revoked on A, then requests on B with it",
        f"{accepted} of {total:,} accepted ({int(r['revoke.refused_401']):,} x 401)",
        "0 of 10,000",
        verdict(accepted == 0 and total == 10000),
    ))

    configs = [f"{k}.{s}" for k, _, _ in DBS for s in ["1k", "1M"]]
    idle = max(configs, key=lambda c: num(f"{c}.rss_idle_kib"))
    load = max(configs, key=lambda c: num(f"{c}.rss_load_kib"))
    rows.append((
        "5",
        f"server RSS idle (VmRSS after start, largest of 4: {idle})",
        mib(num(f"{idle}.rss_idle_kib")),
        "< 60 MiB",
        verdict(num(f"{idle}.rss_idle_kib") < 60 * 1024),
    ))
    rows.append((
        "5",
        f"server RSS under the load of 1 (VmHWM, largest of 4: {load})",
        mib(num(f"{load}.rss_load_kib")),
        "< 150 MiB",
        verdict(num(f"{load}.rss_load_kib") < 150 * 1024),
    ))

    flood = int(num("flood.count"))
    peak = max(num("flood.rss_peak_mib"), num("flood.vmhwm_mib"))
    rows.append((
        "6",
        f"SQLite: RSS peak during {flood} concurrent wrong-password sign-ins "
        f"({int(num('flood.answers_401'))} x 401, {int(num('flood.answers_503'))} x 503 busy, "
        f"{int(num('flood.answers_429'))} x 429)",
        f"{num('flood.rss_peak_mib'):.1f} MiB sampled, VmHWM {num('flood.vmhwm_mib'):.1f} MiB "
        f"(idle {num('flood.rss_before_mib'):.1f} MiB)",
        "< 250 MiB",
        verdict(peak < 250),
    ))
    calls, failures = int(num("flood.healthz_calls")), int(num("flood.healthz_failures"))
    rows.append((
        "6",
        f"/healthz during the flood (every 100 ms, {num('flood.duration_s'):.1f} s): "
        "failures / max latency",
        f"{failures} of {calls} / {num('flood.healthz_max_ms'):.1f} ms",
        "0 failures",
        verdict(failures == 0 and calls > 0),
    ))

    runs = [1, 2, 3]
    counted = [num(f"usage.on.{i}.rps") for i in runs]
    uncounted = [num(f"usage.off.{i}.rps") for i in runs]
    on, off = sum(counted) / len(runs), sum(uncounted) / len(runs)
    rows.append((
        "7",
        "SQLite, 1M tokens: whoami req/s with usage counted / not counted "
        f"(KEYWARD_USAGE_COUNTING=off; {len(runs)} alternating runs each: "
        f"{' '.join(f'{x:,.0f}' for x in counted)} / {' '.join(f'{x:,.0f}' for x in uncounted)})",
        f"{on:,.0f} / {off:,.0f} = {on / off:.2f}",
        ">= 0.90",
        verdict(on / off >= 0.90),
    ))

head = ("#", "figure", "measured", "target", "")
widths = [max(len(str(row[i])) for row in rows + [head]) for i in range(5)]
line = "  ".join("-" * w for w in widths)
print()
print(
    f"keyward `make bench`: {r['machine.cores']} cores, {r['machine.mem_gib']} GiB, "
    f"load average {r['machine.load_start']} at start, {r['machine.load_end']} at end"
)
if r.get("machine.busy"):
    print("WARNING: builds or tests were running beside the bench: these figures are not valid")
print(line)
for row in [head] + rows:
    print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip())
    if row is head:
        print(line)
print(line)
missed = sum(1 for row in rows if row[4] == "MISS")
print(f"{missed} target(s) missed" if missed else "every target met")
