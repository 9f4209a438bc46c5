#!/usr/bin/env python3
"""boofuzz beside `sockfuzz fuzz`, on the planted-bug servers of Tests/Fixtures/planted.

boofuzz gets a hand-written grammar of the same ordinary requests sockfuzz is given as seeds
(resp_reqs.txt, line_reqs.txt), with every field it can fuzz marked fuzzable (lengths as
s_size, counts and integers as ascii integers, values as strings, CR LF as delimiters). Its
oracle is what boofuzz offers without a reply model: after each test case, the server process
has exited (crash), or a fresh connection's PING gets no answer within 1 s (hang). It does not
read replies, so an unframeable reply, an extra reply or a wrong answer is invisible to it.
sockfuzz runs with its defaults (`--spawn`, `--request-file`, `--framing`). Each side gets 60 s
per bug, on loopback; every process started here is ended by its pid.

Usage: python3 Benchmarks/boofuzz/compare.py [--budget SECONDS] [--sockfuzz PATH]
"""

import argparse
import os
import socket
import subprocess
import sys
import time

import boofuzz
from boofuzz import (Session, Target, TCPSocketConnection, s_initialize, s_static, s_string, s_size, s_block,
                     s_delim, s_get, s_dword)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PLANTED = os.path.join(ROOT, "Tests", "Fixtures", "planted")

BUGS = [  # server, bug, framing for sockfuzz, requests file, what sockfuzz names it
    ("resp_server.py", "negative-bulk", "resp", "resp_reqs.txt"),
    ("resp_server.py", "nul-hang", "resp", "resp_reqs.txt"),
    ("resp_server.py", "crlf-reply", "resp", "resp_reqs.txt"),
    ("resp_server.py", "odd-mset", "resp", "resp_reqs.txt"),
    ("line_server.py", "int64", "line", "line_reqs.txt"),
]
PROBES = {"resp_server.py": b"*1\r\n$4\r\nPING\r\n", "line_server.py": b"PING\r\n"}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start(server, flag, port):
    p = subprocess.Popen([sys.executable, os.path.join(PLANTED, server), "--port", str(port)] + flag,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return p
        except OSError:
            time.sleep(0.02)
    p.kill()
    raise RuntimeError("server did not start")


def answers(port, probe):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.settimeout(1)
            s.sendall(probe)
            return len(s.recv(64)) > 0
    except OSError:
        return False


def bulk(name, value):
    """One RESP bulk string: $<len>\\r\\n<value>\\r\\n, its length and its value fuzzable."""
    s_static("$")
    s_size(name, output_format="ascii", fuzzable=True)
    s_delim("\r\n", name=name + "-len-end")
    with s_block(name):
        s_string(value, name=name + "-value")
    s_delim("\r\n", name=name + "-end")


def resp_grammar():
    """The requests of resp_reqs.txt as a boofuzz grammar."""
    for command, args in [("PING", []), ("SET", ["key", "hello"]), ("GET", ["key"]), ("ECHO", ["hi"]),
                          ("MSET", ["a", "1", "b", "2"])]:
        s_initialize(command)
        s_static("*")
        s_dword(1 + len(args), output_format="ascii", name="count")
        s_delim("\r\n", name="count-end")
        bulk("arg0", command)
        for i, a in enumerate(args):
            bulk("arg%d" % (i + 1), a)
    return ["PING", "SET", "GET", "ECHO", "MSET"]


def line_grammar():
    """The requests of line_reqs.txt (words on a line) as a boofuzz grammar."""
    names = []
    with open(os.path.join(PLANTED, "line_reqs.txt")) as f:
        lines = [l.rstrip("\n") for l in f if l.strip() and not l.startswith("#")]
    for n, line in enumerate(lines):
        words = line.replace("\\r\\n", "").split(" ")
        name = "line%d" % n
        s_initialize(name)
        for i, w in enumerate(words):
            if i:
                s_delim(" ", name="sp%d" % i)
            if w.lstrip("-").isdigit():
                s_dword(int(w), output_format="ascii", signed=True, name="w%d" % i)
            else:
                s_string(w, name="w%d" % i)
        s_delim("\r\n", name="end")
        names.append(name)
    return names


class Quiet(boofuzz.IFuzzLogger):
    """boofuzz's log callbacks, all silent (its default logger prints every test case)."""
    def _nothing(self, *args, **kwargs):
        pass

    open_test_case = open_test_step = close_test_case = close_test = _nothing
    log_check = log_error = log_fail = log_info = log_pass = log_recv = log_send = _nothing


def boofuzz_child(server, bug, budget, result_file):
    """Runs in a child process: boofuzz until a finding (written to `result_file`, then exit) or
    the end of its test cases; the parent bounds it in time."""
    port = free_port()
    proc = start(server, ["--bug", bug] if bug else ["--correct"], port)
    started = time.monotonic()
    cases = [0]

    def finish(what):
        with open(result_file, "w") as f:
            f.write("%s %.1f %d\n" % (what, time.monotonic() - started, cases[0]))
        if proc.poll() is None:
            proc.kill()
        os._exit(0)

    def after_case(target, fuzz_data_logger, session, *args, **kwargs):
        cases[0] += 1
        if os.environ.get("COMPARE_DEBUG") and cases[0] % 100 == 1:
            print("case", cases[0], time.monotonic() - started, file=sys.stderr, flush=True)
        if proc.poll() is not None:
            finish("crash")
        if not answers(port, PROBES[server]):
            finish("crash" if proc.poll() is not None else "hang")

    session = Session(target=Target(connection=TCPSocketConnection("127.0.0.1", port)), web_port=None,
                      fuzz_loggers=[Quiet()], post_test_case_callbacks=[after_case], receive_data_after_fuzz=False,
                      receive_data_after_each_request=False, ignore_connection_reset=True, ignore_connection_aborted=True,
                      restart_sleep_time=0, crash_threshold_element=10 ** 9, crash_threshold_request=10 ** 9)
    names = resp_grammar() if server == "resp_server.py" else line_grammar()
    for name in names:
        session.connect(s_get(name))
    try:
        session.fuzz()
    except BaseException as e:
        if proc.poll() is not None:
            finish("crash")
        finish("stopped:" + type(e).__name__)
    finish("exhausted")


def run_boofuzz(server, bug, budget):
    """(what, seconds, test cases): crash, hang, exhausted (every test case ran, nothing found),
    or timeout."""
    result_file = "/tmp/boofuzz-compare-%d.txt" % os.getpid()
    if os.path.exists(result_file):
        os.remove(result_file)
    started = time.monotonic()
    child = subprocess.Popen([sys.executable, __file__, "--child", server, bug or "", str(budget), result_file],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        child.wait(timeout=budget)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, 9)  # the child and the server it started: its own process group
        child.wait()
        return "timeout", time.monotonic() - started, None
    os.killpg(child.pid, 9) if child.poll() is None else None
    try:
        what, seconds, cases = open(result_file).read().split()
    except OSError:
        return "no result", time.monotonic() - started, None
    return what, float(seconds), int(cases)


def run_sockfuzz(binary, server, bug, framing, requests, seed, budget):
    started = time.monotonic()
    out = subprocess.run([binary, "fuzz", "--spawn", "python3 %s --port {port} %s" % (os.path.join(PLANTED, server),
                                                                                     "--bug " + bug if bug else "--correct"),
                          "--request-file", os.path.join(PLANTED, requests), "--framing", framing, "--seed", str(seed),
                          "--duration", "%ds" % budget, "--out", "/tmp/boofuzz-compare-findings"],
                         capture_output=True, text=True, timeout=budget + 300)
    elapsed = time.monotonic() - started
    kind = next((l.split("failed: ", 1)[1].split(" after")[0] for l in out.stdout.splitlines() if " failed: " in l), None)
    return out.returncode, kind, elapsed


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        server, bug, budget, result_file = sys.argv[2:6]
        boofuzz_child(server, bug or None, int(budget), result_file)
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--budget", type=int, default=60)
    parser.add_argument("--sockfuzz", default=os.path.join(ROOT, ".build", "debug", "sockfuzz"))
    parser.add_argument("--seeds", type=int, default=3, help="sockfuzz campaign seeds 1..N per bug")
    args = parser.parse_args()
    seeds = list(range(1, args.seeds + 1))
    print("| server | bug | boofuzz | " + " | ".join("sockfuzz seed %d" % n for n in seeds) + " |")
    print("|---|---|---|" + "---|" * len(seeds))
    for server, bug, framing, requests in BUGS + [("resp_server.py", None, "resp", "resp_reqs.txt"),
                                                  ("line_server.py", None, "line", "line_reqs.txt")]:
        what, seconds, cases = run_boofuzz(server, bug, args.budget)
        if what in ("crash", "hang"):
            b = "%s in %.0f s (test case %d)" % (what, seconds, cases)
        elif what == "exhausted":
            b = "nothing: its %d test cases ran out in %.0f s" % (cases, seconds)
        else:
            b = "nothing in %.0f s (%s)" % (seconds, what)
        cells = []
        for seed in seeds:
            status, kind, elapsed = run_sockfuzz(args.sockfuzz, server, bug, framing, requests, seed, args.budget)
            cells.append("%s in %.0f s" % (kind, elapsed) if status == 1 else "nothing in %.0f s" % elapsed if status == 0
                         else "exit %d" % status)
        print("| %s | %s | %s | %s |" % (server, bug or "(correct twin)", b, " | ".join(cells)), flush=True)


if __name__ == "__main__":
    main()
