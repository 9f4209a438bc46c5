#!/usr/bin/env python3
"""Side by side: boofuzz (a hand-written grammar of the same seed requests, fuzz_*.py here) and
`sockfuzz fuzz` (the seed files, --framing), against every planted-bug server of
Tests/Fixtures/planted and against each correct twin, 60 s each (sockfuzz with seeds 1, 2, 3).
Prints a Markdown table: the time from launch to the first failure each tool reported.

A bug run stops at the first failure reported (its time is all the table shows); a twin run goes
the whole budget, and any failure there is a false alarm.

Usage (from anywhere; needs `pip install boofuzz` and a built sockfuzz):
  python3 Benchmarks/boofuzz/compare.py [--sockfuzz PATH] [--budget 60] [--seeds 1,2,3]
                                        [--only BUG,...] [--jobs 1] [--json FILE]
Loopback only; every process it starts runs in its own process group, ended by its pid.
"""

import argparse
import concurrent.futures
import json
import os
import re
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
PLANTED = "Tests/Fixtures/planted"

# bug, server, what the bug does (crash, hang, or a protocol violation only a reply check sees)
BUGS = [
    ("negative-bulk", "resp", "crash"),
    ("nul-hang", "resp", "hang"),
    ("crlf-reply", "resp", "violation: unframeable reply"),
    ("odd-mset", "resp", "violation: one reply too many"),
    ("chunk-extension", "http", "crash"),
    ("no-colon", "http", "crash"),
    ("header-case", "http", "violation: body read as a request"),
    ("int64", "line", "crash"),
    ("prefix-overrun", "length", "crash"),
]
FRAMING = {"resp": "resp", "http": "http1", "line": "line", "length": "length:4"}


def launch(command, budget, stop_at_first, is_failure):
    """Runs `command` in its own process group, timestamping its output lines; returns
    (first failure (t, line) or None, all lines, exit status). Ends the group by its pid at the
    first failure when `stop_at_first`, or when the run overstays its budget by far."""
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True, text=True, errors="replace")
    first, lines = None, []
    hard_stop = started + budget * 2 + 60
    try:
        for line in process.stdout:
            t = time.monotonic() - started
            lines.append((round(t, 2), line.rstrip("\n")))
            if first is None and is_failure(line):
                first = (round(t, 2), line.rstrip("\n"))
                if stop_at_first:
                    break
            if time.monotonic() > hard_stop:
                break
    finally:
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        process.wait()
    return first, lines, process.returncode


def boofuzz_run(server, bug, budget):
    flag = ["--correct"] if bug is None else ["--bug", bug]
    command = [sys.executable, os.path.join(HERE, "fuzz_%s.py" % server), "--duration", str(budget)] + flag
    first, lines, status = launch(command, budget, bug is not None, lambda l: l.startswith('{"') and '"failure"' in l)
    result = {"tool": "boofuzz", "server": server, "bug": bug, "status": status}
    if first:
        event = json.loads(first[1])
        result["found"] = first[0]
        result["message"] = event.get("message", "")
        result["case"] = event.get("case")
    failures = [l for _, l in lines if '"failure"' in l]
    result["failures"] = len(failures)
    ends = [json.loads(l) for _, l in lines if l.startswith('{"') and '"end"' in l]
    if ends:
        result["cases"] = ends[-1]["cases"]
    return result


FAILED = re.compile(r"^run \d+ failed: (.*?)( after .*)?:?$")


def sockfuzz_run(sockfuzz, server, bug, budget, seed, out):
    flag = "--correct" if bug is None else "--bug " + bug
    command = [sockfuzz, "fuzz",
               "--spawn", "python3 %s/%s_server.py --port {port} %s" % (PLANTED, server, flag),
               "--request-file", "%s/%s_reqs.txt" % (PLANTED, server),
               "--framing", FRAMING[server], "--duration", "%ds" % budget, "--seed", str(seed),
               "--out", out]
    first, lines, status = launch(command, budget, False, lambda l: FAILED.match(l) is not None)
    result = {"tool": "sockfuzz", "server": server, "bug": bug, "seed": seed, "status": status}
    if first:
        result["found"] = first[0]
        result["kind"] = FAILED.match(first[1]).group(1)
    for _, line in lines:
        replays = re.search(r"reproduced (\d+) of (\d+) replays", line)
        if replays:
            result["replays"] = "%s/%s" % replays.groups()
    return result


def boofuzz_cell(r, twin, kind):
    if twin:
        if not r.get("failures"):
            return "quiet (%s cases)" % r.get("cases", "?")
        return "**%d false alarms**, first at %.1f s: %s" % (r["failures"], r["found"], r["message"])
    if "found" not in r:
        # The harness reads no replies to fuzzed requests: a violation cannot show (harness.py).
        return "not found (replies not checked)" if kind.startswith("violation") else "not found"
    return "%.1f s (%s)" % (r["found"], r["message"].rstrip("."))


def sockfuzz_cell(r, twin):
    if twin:
        return "quiet" if "found" not in r else "**false alarm** at %.1f s: %s" % (r["found"], r["kind"])
    if "found" not in r:
        return "not found"
    return "%.1f s %s" % (r["found"], r["kind"])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sockfuzz", default=os.path.join(ROOT, ".build", "debug", "sockfuzz"))
    parser.add_argument("--budget", type=int, default=60)
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--only", help="comma-separated bug names, or twin:SERVER")
    parser.add_argument("--jobs", type=int, default=1, help="runs at once (timings are fairest with 1)")
    parser.add_argument("--json", help="also write every run's result here")
    parser.add_argument("--out", default="/tmp/sockfuzz-vs-boofuzz")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]

    rows = [(bug, server, kind) for bug, server, kind in BUGS]
    rows += [(None, server, "correct twin") for server in ("resp", "http", "line", "length")]
    if args.only:
        wanted = set(args.only.split(","))
        rows = [r for r in rows if (r[0] in wanted) or (r[0] is None and "twin:" + r[1] in wanted)]

    jobs = []
    for bug, server, _ in rows:
        jobs.append(("boofuzz", bug, server, None))
        for seed in seeds:
            jobs.append(("sockfuzz", bug, server, seed))

    def work(job):
        tool, bug, server, seed = job
        if tool == "boofuzz":
            r = boofuzz_run(server, bug, args.budget)
        else:
            out = os.path.join(args.out, "%s-%s-seed%d" % (server, bug or "correct", seed))
            r = sockfuzz_run(args.sockfuzz, server, bug, args.budget, seed, out)
        print("  %s %s %s%s: %s" % (tool, server, bug or "correct",
                                    "" if seed is None else " seed %d" % seed,
                                    "found at %.1f s" % r["found"] if "found" in r else "nothing"),
              file=sys.stderr, flush=True)
        return job, r

    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = dict(pool.map(work, jobs))

    print("| bug | server | what it does | boofuzz | " + " | ".join("sockfuzz seed %d" % s for s in seeds) + " |")
    print("|---" * (4 + len(seeds)) + "|")
    for bug, server, kind in rows:
        twin = bug is None
        boofuzz = results[("boofuzz", bug, server, None)]
        cells = [bug or "(correct twin)", server, kind, boofuzz_cell(boofuzz, twin, kind)]
        cells += [sockfuzz_cell(results[("sockfuzz", bug, server, s)], twin) for s in seeds]
        print("| " + " | ".join(cells) + " |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump([r for r in results.values()], f, indent=1)


if __name__ == "__main__":
    main()
