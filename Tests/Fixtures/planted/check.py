#!/usr/bin/env python3
"""Shows that every planted bug fires on its trigger and that its correct twin answers the same
bytes correctly and stays up. Prints one line per server and exits 1 if any is not as stated.
Run by the Swift test suite (PlantedServerTests); by hand: python3 check.py
"""

import concurrent.futures
import os
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

RESP_PING = b"*1\r\n$4\r\nPING\r\n"
HTTP_GET = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"
LINE_PING = b"PING\r\n"
LENGTH_PING = b"\x00\x00\x00\x04PING"

# server, bug, trigger, the probe a live server answers, what the twin's reply starts with,
# and what the bug does: "crash" (the process exits), "hang" (no answer, even to a fresh
# connection) or the reply that shows it.
CASES = [
    ("resp_server.py", "negative-bulk", b"*2\r\n$3\r\nGET\r\n$-2\r\nk\r\n", RESP_PING, b"-ERR Protocol error", "crash"),
    ("resp_server.py", "nul-hang", b"*2\r\n$3\r\nGET\r\n$3\r\nk\x00y\r\n", RESP_PING, b"$-1\r\n", "hang"),
    ("resp_server.py", "crlf-reply", b"*2\r\n$4\r\nECHO\r\n$4\r\na\r\nb\r\n", RESP_PING, b"$4\r\na\r\nb\r\n", b"$1\r\na\r\nb\r\n"),
    ("resp_server.py", "odd-mset", b"*4\r\n$4\r\nMSET\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n", RESP_PING,
     b"-ERR wrong number", b"-ERR wrong number of arguments for 'mset' command\r\n+OK\r\n"),
    ("resp_server.py", "empty-echo", b"*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", RESP_PING, b"$0\r\n\r\n", b"$-1\r\n"),
    ("http_server.py", "chunk-extension", b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n0\r\n\r\n",
     HTTP_GET, b"HTTP/1.1 200 OK", "crash"),
    ("http_server.py", "no-colon", b"GET / HTTP/1.1\r\nHost localhost\r\n\r\n", HTTP_GET, b"HTTP/1.1 400 Bad Request", "crash"),
    ("http_server.py", "header-case", b"POST / HTTP/1.1\r\ncontent-length: 5\r\n\r\nhelloGET / HTTP/1.1\r\nHost: a\r\n\r\n",
     HTTP_GET, b"HTTP/1.1 200 OK\r\nContent-Length: 12\r\nContent-Type: text/plain\r\n\r\ngot 5 bytes\nHTTP/1.1 200",
     b"HTTP/1.1 200 OK\r\nContent-Length: 12\r\nContent-Type: text/plain\r\n\r\ngot 0 bytes\nHTTP/1.1 405"),
    ("line_server.py", "int64", b"INCRBY k 99999999999999999999\r\n", LINE_PING, b"ERR not a 64-bit integer", "crash"),
    ("length_server.py", "prefix-overrun", b"\x00\x00\x00\x09PING", LENGTH_PING, None, "crash"),
]


def start(script, flag):
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    process = subprocess.Popen([sys.executable, os.path.join(HERE, script), "--port", str(port)] + flag,
                               stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, port
        except OSError:
            time.sleep(0.02)
    process.kill()
    raise RuntimeError("%s %s did not start" % (script, flag))


def exchange(port, data, wanted, timeout):
    """Sends `data`; reads until `wanted` bytes arrived, EOF, or `timeout`."""
    conn = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    conn.sendall(data)
    out = b""
    try:
        while len(out) < wanted:
            chunk = conn.recv(65536)
            if not chunk:
                break
            out += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    conn.close()
    return out


def check(case):
    script, bug, trigger, probe, twin_reply, effect = case
    problems = []
    process, port = start(script, ["--bug", bug])
    try:
        if effect == "crash":
            got = exchange(port, trigger, 1, 5)
            try:
                # Generous: on a loaded test machine a crash once was not seen to end the process within 5 s
                # (cause not found; the message now says what the server answered).
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                problems.append("did not crash (answered %r)" % got[:80])
            else:
                stderr = process.stderr.read().decode(errors="replace").strip().splitlines()
                if process.returncode == 0 or not stderr:
                    problems.append("exited %s without a message" % process.returncode)
        elif effect == "hang":
            exchange(port, trigger, 1, 0.3)
            if exchange(port, probe, 1, 1.0):
                problems.append("a fresh connection was answered: no hang")
        else:
            got = exchange(port, trigger, len(effect), 3)
            if not got.startswith(effect):
                problems.append("the bug's reply was %r, not %r" % (got[:80], effect))
    finally:
        process.kill()
        process.wait()
    process, port = start(script, ["--correct"])
    try:
        if twin_reply is not None:
            got = exchange(port, trigger, len(twin_reply), 3)
            if not got.startswith(twin_reply):
                problems.append("the twin answered %r, not %r" % (got[:80], twin_reply))
        else:
            exchange(port, trigger, 1, 0.2)
        if process.poll() is not None or not exchange(port, probe, 1, 3):
            problems.append("the twin did not answer a probe afterwards")
    finally:
        process.kill()
        process.wait()
    return "%-18s %-16s %s" % (script, bug, "; ".join(problems) if problems else "fires; twin correct"), not problems


with concurrent.futures.ThreadPoolExecutor(max_workers=len(CASES)) as pool:
    results = list(pool.map(check, CASES))
for line, _ in results:
    print(line)
sys.exit(0 if all(ok for _, ok in results) else 1)
