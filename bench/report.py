"""Goals (reported, never asserted) and the printed table of a benchmark report."""

from __future__ import annotations

from typing import Any

from sources.zoom_phone.settings import CALL_HISTORY

BULK_RATIO_GOAL = 20.0
# callpipe against dlt's rest_api source, as measured outside the project (issue 17)
REST_API_GOALS = {0: {"rows_per_s": 3.0, "memory": 0.10}, 50: {"rows_per_s": 2.1}}
MEMORY_GOAL_MB = 600.0
FLAT_MEMORY_GOAL = 1.5  # "roughly flat": peak at 1M at most this many times the peak at 100k
FANOUT_SHARE_GOAL = 0.90
ZOHO_LIMIT = 30
LIST_PASSES = {"GET " + CALL_HISTORY.path: len(CALL_HISTORY.passes)}  # call history: once per recording_status
BUDGET_MINUTES = 15


def _ok(flag: bool | None) -> str:
    return "n/a" if flag is None else ("met" if flag else "MISSED")


def goals(results: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per goal: what was measured and whether the goal was met (None: not measured)."""
    out: list[dict[str, Any]] = []

    def add(goal: str, measured: str, met: bool | None) -> None:
        out.append({"goal": goal, "measured": measured, "met": met})

    def good(name: str) -> dict[str, Any] | None:
        result = results.get(name)
        return result if result and "error" not in result and "skipped" not in result else None

    bulk, base = good("bulk_duckdb"), good("rest_api_0ms")
    if base and bulk:
        ratio = bulk["rows_per_s"] / base["rows_per_s"] if base["rows_per_s"] else 0.0
        add(f"bulk rows/s >= {BULK_RATIO_GOAL:.0f}x the rest_api baseline",
            f"{ratio:.1f}x ({bulk['rows_per_s']:,.0f} rows/s at {bulk['calls']:,} calls vs rest_api "
            f"{base['rows_per_s']:,.0f} rows/s at {base['calls']:,} calls)", ratio >= BULK_RATIO_GOAL)
    else:
        add(f"bulk rows/s >= {BULK_RATIO_GOAL:.0f}x the rest_api baseline", "not measured", None)
    for latency, goal in REST_API_GOALS.items():
        ours, theirs = good(f"callpipe_{latency}ms"), good(f"rest_api_{latency}ms")
        wanted = f"rows/s >= {goal['rows_per_s']}x" + (f", peak RSS <= {goal['memory']:.2f}x" if "memory" in goal else "")
        name = f"callpipe vs dlt rest_api at {latency} ms: {wanted} (measured outside the project), the same rows"
        if not (ours and theirs):
            add(name, "not measured", None)
            continue
        r = rest_api_ratios(ours, theirs)
        met = r["rows_per_s"] >= goal["rows_per_s"] and ours.get("same_rows_as_rest_api", False)
        if "memory" in goal:
            met = met and r["memory"] <= goal["memory"]
        add(name, f"{r['rows_per_s']:.2f}x rows/s, {r['memory']:.2f}x peak RSS, "
                  f"same rows: {'yes' if ours.get('same_rows_as_rest_api') else 'NO'}", met)

    peaks = {name: r["peak_rss_mb"] for name, r in results.items()
             if good(name) and r.get("kind") == "callpipe" and "peak_rss_mb" in r}
    if peaks:
        worst = max(peaks, key=peaks.get)
        add(f"peak RSS <= {MEMORY_GOAL_MB:.0f} MB (every callpipe run)",
            f"max {peaks[worst]:.0f} MB ({worst})", peaks[worst] <= MEMORY_GOAL_MB)
    # "roughly flat from 100k to 1M": the largest list-only load against the 100k one (or, when
    # that did not run, the 100k bulk load); the extract step's peak is shown apart, since the
    # destination's load step is what grows
    lists = sorted((r["calls"], name) for name, r in results.items() if name.startswith("list_only_") and good(name))
    if lists:
        large = results[lists[-1][1]]
        small_name = lists[0][1] if len(lists) >= 2 else "bulk_duckdb"
        small = good(small_name)
        if small and small is not large:
            growth = large["peak_rss_mb"] / small["peak_rss_mb"] if small["peak_rss_mb"] else 0.0
            extract = [r.get("stages", {}).get("peak_rss_mb_after", {}).get("extract") for r in (small, large)]
            add("memory roughly flat from 100k to 1M calls",
                f"{small['peak_rss_mb']:.0f} MB ({small_name}) -> {large['peak_rss_mb']:.0f} MB ({lists[-1][1]}), "
                f"{growth:.2f}x; after extract {extract[0]:.0f} -> {extract[1]:.0f} MB",
                growth <= FLAT_MEMORY_GOAL)
    fan = good("fanout")
    if fan:
        f = fan["fanout"]
        add(f"fan-out >= {FANOUT_SHARE_GOAL:.0%} of the Light budget, 0 failed records",
            f"{f['share_of_budget']:.0%} ({f['detail_per_s']:.1f}/s of {f['budget_per_s']}/s), "
            f"{f['client_429']} x 429, {f['failed_records']} failed",
            f["share_of_budget"] >= FANOUT_SHARE_GOAL and f["failed_records"] == 0)
        n = fan["noop"]
        lists_ok = all(v <= LIST_PASSES.get(route, 1) for route, v in n["list_requests"].items())
        add("no-op: <= 1 list request per window (and recording_status pass), no detail requests",
            f"list {n['list_requests'] or 'none'}, detail {n['detail_requests']}, {n['wall_s']:.1f} s",
            lists_ok and n["detail_requests"] == 0)
    zoho = good("zoho")
    if zoho:
        z = zoho["zoho"]
        add(f"Zoho: <= {ZOHO_LIMIT} requests in any 60 s, 0 lock-outs",
            f"max {z['max_in_60s']} in 60 s over {z['pages_requested']} pages, {z['lockouts']} lock-outs",
            z["max_in_60s"] <= ZOHO_LIMIT and z["lockouts"] == 0 and z["outcome"] == "ok")
    storm = good("storm")
    if storm:
        st = storm["storm"]
        add("storm: a first load finishes in one run, every table identical to a clean run",
            f"{st['tables_identical']}/{len(st['tables'])} tables identical, outcomes {st['outcomes']}, "
            f"{st['slowdown']}x the clean run's time",
            all(o == "ok" for o in st["outcomes"].values()) and st["tables_identical"] == len(st["tables"]))
    return out


def rest_api_ratios(ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, float]:
    """callpipe / rest_api: rows/s (higher is better) and peak RSS (lower is better)."""
    return {"rows_per_s": round(ours["rows_per_s"] / theirs["rows_per_s"], 2) if theirs["rows_per_s"] else 0.0,
            "memory": round(ours["peak_rss_mb"] / theirs["peak_rss_mb"], 3) if theirs["peak_rss_mb"] else 0.0}


def _per_call(run: dict[str, Any]) -> str:
    kinds = ", ".join(f"{kind} {n:.3f}" for kind, n in sorted(run["per_call_by_kind"].items()))
    per = f"{run['per_call']:.3f}" if run["per_call"] is not None else "-"
    return f"{run['calls']:,} calls, {run['total']:,} requests = {per} per call ({kinds})"


def _row(cells: list[str], widths: list[int]) -> str:
    return "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True)))


def render(report: dict[str, Any]) -> str:
    meta = report["meta"]
    results = report["scenarios"]
    lines = [f"callpipe benchmark, profile {meta['profile']}: {meta['machine']['cpus']} CPUs, "
             f"load average before {meta['machine']['loadavg_before'][0]}, total {meta['total_s']:.0f} s", ""]
    header = ["scenario", "calls", "rows", "wall s", "rows/s", "peak RSS MB", "requests"]
    table = [header]
    for name, r in results.items():
        if "error" in r or "skipped" in r:
            table.append([name, "", "", "", "", "", ("ERROR: " + r["error"].splitlines()[0][:60]) if "error" in r
                          else "skipped: " + r["skipped"]])
            continue
        calls = r.get("calls") or r.get("logs") or 0
        requests = sum(v.get("calls", 0) for v in r.get("endpoints", {}).values())
        requests = requests or sum(v for k, v in (r.get("client_stats") or {}).items() if not k.startswith("_"))
        table.append([name, f"{calls:,}", f"{r['rows_total']:,}", f"{r['wall_s']:.1f}", f"{r['rows_per_s']:,.0f}",
                      f"{r['peak_rss_mb']:.0f}", f"{requests:,}" if requests else ""])
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines += [_row(row, widths) for row in table]
    pairs = [(n.removeprefix("callpipe_"), r, results.get("rest_api_" + n.removeprefix("callpipe_")))
             for n, r in results.items() if n.startswith("callpipe_") and n.endswith("ms")]
    pairs = [(latency, ours, theirs) for latency, ours, theirs in pairs
             if "rows_per_s" in ours and theirs and "rows_per_s" in theirs]
    if pairs:
        lines += ["", "callpipe vs dlt's rest_api source (bench/rest_api.py), the same slice of call history:"]
        for latency, ours, theirs in pairs:
            r = rest_api_ratios(ours, theirs)
            setting = "Zoom's limits enforced" if ours.get("latency_ms") else "no rate limits"
            lines.append(f"  latency {latency} ({setting}): rows/s {ours['rows_per_s']:,.0f} vs "
                         f"{theirs['rows_per_s']:,.0f} = {r['rows_per_s']:.2f}x; peak RSS {ours['peak_rss_mb']:.0f} "
                         f"vs {theirs['peak_rss_mb']:.0f} MB = {r['memory']:.2f}x; rows {ours['rows']} "
                         f"{'equal' if ours.get('same_rows_as_rest_api') else 'DIFFER from ' + str(theirs['rows'])}")
    req = results.get("requests_per_call")
    if req and "runs" in req:
        mix, proj = req["mix"], req["projection"]
        lines += ["", f"requests per loaded call (default mix: {mix['users']} users, {mix['calls_per_day']} calls a "
                      f"day, {mix['days']} days; list + detail + sync + users):"]
        for name, run in req["runs"].items():
            lines.append(f"  {name.replace('_', ' ')}: {_per_call(run)}")
            if "new_calls" in run:
                lines.append(f"    {run['new_calls']} calls new since the first load; details of calls loaded "
                             f"before fetched again: {run['refetched']}")
        by_label = ", ".join(f"{label} {proj['requests'][label]:,} requests = {h:.1f} h"
                             for label, h in proj["hours_by_label"].items() if label in proj["requests"])
        lines.append(f"  projected first load, {proj['calls_per_day']:,} calls a day x {proj['days']} days "
                     f"({proj['calls']:,} calls) at Business+ limits: {proj['hours']:.1f} h, {proj['binding']} binds "
                     f"({by_label}; Heavy at most {proj['heavy_daily']:,} a day)")
    fan = results.get("fanout")
    if fan and "fanout" in fan:
        f, n = fan["fanout"], fan["noop"]
        lines += ["", f"fan-out (latency 50 ms, Light {f['budget_per_s']}/s on both sides): "
                      f"{f['detail_requests']} detail requests in {f['detail_span_s']:.1f} s = "
                      f"{f['detail_per_s']:.1f}/s ({f['share_of_budget']:.0%} of budget), "
                      f"429s {f['client_429']} (sandbox refused {f['sandbox_refused']}), "
                      f"retries {f['client_retries']}, "
                      f"expected {f['expected']} loaded {f['loaded']}",
                  f"no-op nightly run: {n['wall_s']:.1f} s, sandbox requests {n['sandbox_requests']}"]
    zoho = results.get("zoho")
    if zoho and "zoho" in zoho:
        z = zoho["zoho"]
        lines.append(f"zoho: {z['pages_requested']} page requests over {z['simulated_s']:.0f} simulated s, "
                     f"max {z['max_in_60s']} in any 60 s (limit {z['limit_per_60s']}), lock-outs {z['lockouts']}")
    storm = results.get("storm")
    if storm and "storm" in storm:
        st = storm["storm"]
        lines += ["", f"storm: {st['storm_wall_s']:.1f} s against {st['clean_wall_s']:.1f} s clean "
                      f"({st['slowdown']}x); requests {st['requests']['storm']} against {st['requests']['clean']}, "
                      f"retries {st['retries']}, tokens {st['tokens']['storm']} against {st['tokens']['clean']}; "
                      f"sandbox answers by status {st['sandbox_statuses']}, faults served {st['faults_served']}"]
        for table, t in st["tables"].items():
            lines.append(f"  {table:<45} clean {t['clean_rows']:>6}  storm {t['storm_rows']:>6}  "
                         f"{'identical' if t['identical'] else 'DIFFERENT'}")
        for source, error in st["errors"].items():
            lines.append(f"  {source}: {error}")
    lines += ["", "goals (reported, not asserted):"]
    for g in report["goals"]:
        lines.append(f"  [{_ok(g['met']):>6}] {g['goal']}: {g['measured']}")
    minutes = meta["total_s"] / 60
    if meta["profile"] == "full" and meta.get("complete"):
        lines.append(f"  [{_ok(minutes < BUDGET_MINUTES):>6}] whole benchmark < {BUDGET_MINUTES} min: {minutes:.1f} min")
    return "\n".join(lines)


def markdown(report: dict[str, Any]) -> str:
    """The README "Performance" tables of a report (`python -m bench.report REPORT.json`)."""
    results = report["scenarios"]
    lines = ["| scenario | calls | rows | wall s | rows/s | peak RSS MB |", "|---|---:|---:|---:|---:|---:|"]
    for name, r in results.items():
        if "error" in r or "skipped" in r:
            lines.append(f"| {name} | | | | | {'error' if 'error' in r else 'skipped'} |")
            continue
        calls = r.get("calls") or r.get("logs") or 0
        lines.append(f"| {name} | {calls:,} | {r['rows_total']:,} | {r['wall_s']:.1f} | {r['rows_per_s']:,.0f} | "
                     f"{r['peak_rss_mb']:.0f} |")
    lines += ["", "| goal | measured | |", "|---|---|---|"]
    for g in report["goals"]:
        lines.append(f"| {g['goal']} | {g['measured']} | {_ok(g['met'])} |")
    return "\n".join(lines)


if __name__ == "__main__":
    import json
    import sys

    print(markdown(json.loads(open(sys.argv[1]).read())))
