"""What every boofuzz script here shares: start one planted server on a free loopback port,
fuzz it with a boofuzz Session for a bounded time, and print what boofuzz reported.

How boofuzz notices a failure here, using only its own mechanisms:
- a process monitor (`SpawnMonitor`, a local stand-in for boofuzz's ProcessMonitor): after
  each test case it reports a failure when the server process has exited, and it restarts the
  server (subprocess, ended by its pid) when boofuzz asks for a restart;
- a target that does not accept a connection (refused, or not accepted within boofuzz's default
  5 s connect timeout, as when a hung server's backlog is full): boofuzz's own "unable to
  connect" path, which restarts it;
- `check_data_received_each_request=True`: each fuzzed request is sent after the first seed
  request, unmutated, on the same connection, and boofuzz fails the test case when that one
  gets no reply within `recv_timeout` (1 s, sockfuzz's default --hang-timeout). This is how a
  hung server shows, and it is the same liveness probe sockfuzz uses (its first seed request).
Replies to fuzzed requests are not read or checked (boofuzz's default): boofuzz has no notion
of a reply that cannot be framed or of one reply too many.

Each failure boofuzz logs (log_fail, or a connection the target did not accept, after which
boofuzz restarts it) is printed as one JSON line `{"event": "failure", "t": seconds since start,
...}`; at the end a line `{"event": "end", ...}` gives the test cases run.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import boofuzz
from boofuzz import constants
from boofuzz.ifuzz_logger_backend import IFuzzLoggerBackend
from boofuzz.monitors import BaseMonitor

PLANTED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tests", "Fixtures", "planted")
STARTED = time.monotonic()


class Deadline(BaseException):
    """Raised out of boofuzz's loop when the time budget is spent (not an Exception, so boofuzz's
    own `except Exception` handlers let it through)."""


def emit(event, **fields):
    fields["event"] = event
    fields["t"] = round(time.monotonic() - STARTED, 3)
    print(json.dumps(fields), flush=True)


def free_port():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


class SpawnMonitor(BaseMonitor):
    """Starts the server, says whether it is still running, restarts it: what boofuzz's
    ProcessMonitor does, in-process and without its RPC server."""

    def __init__(self, command, port):
        super().__init__()
        self.command = command
        self.port = port
        self.process = None
        self.exit_status = None
        self.restarts = 0

    def alive(self):
        return True

    def start_target(self):
        self.process = subprocess.Popen(self.command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return True
            except OSError:
                time.sleep(0.02)
        return False

    def stop_target(self):
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
        if self.process is not None:
            self.process.wait()

    def post_send(self, target=None, fuzz_data_logger=None, session=None):
        if self.process.poll() is not None:
            self.exit_status = self.process.returncode
            return False
        return True

    def get_crash_synopsis(self):
        if self.exit_status is None:
            return ""
        return "server process exited with status %s" % self.exit_status

    def restart_target(self, target=None, fuzz_data_logger=None, session=None):
        status = self.process.poll()
        if status is not None:
            emit("failure", message="restart: the server process had exited with status %s" % status)
        self.stop_target()
        self.restarts += 1
        self.exit_status = None
        return self.start_target()


class Connection(boofuzz.TCPSocketConnection):
    """boofuzz's TCP connection, with one fix: a connect reset by a server that is exiting
    (its listener closed with connections queued) means the target is not accepting, as a
    refused connect does; boofuzz 0.4.2 lets that ConnectionResetError end the whole session."""

    def open(self):
        try:
            super().open()
        except ConnectionResetError as e:
            raise boofuzz.exception.BoofuzzTargetConnectionFailedError(str(e))


class Recorder(IFuzzLoggerBackend):
    """A quiet fuzz logger that prints each failure as a JSON line and stops at the deadline."""

    def __init__(self, deadline):
        self.deadline = deadline
        self.cases = 0
        self.case_name = ""
        self.last_send = b""
        self.failures = 0
        self.errors = 0

    def open_test_case(self, test_case_id, name, index, *args, **kwargs):
        if time.monotonic() >= self.deadline:
            raise Deadline()
        self.cases += 1
        self.case_name = name
        self.last_send = b""

    def open_test_step(self, description):
        pass

    def log_send(self, data):
        self.last_send = data

    def log_recv(self, data):
        pass

    def log_check(self, description):
        pass

    def log_pass(self, description=""):
        pass

    def log_fail(self, description=""):
        self.failures += 1
        emit("failure", case=self.cases, name=self.case_name, message=description[:200],
             sent=self.last_send[:200].decode("latin-1"))

    def log_info(self, description):
        if description == constants.WARN_CONN_FAILED_TERMINAL:
            self.failures += 1
            emit("failure", case=self.cases, name=self.case_name, message="target did not accept a connection")

    def log_error(self, description):
        self.errors += 1
        emit("error", message=description[:300])

    def close_test_case(self):
        pass

    def close_test(self):
        pass


def stop(*_):
    raise Deadline()


def run(server, first, others, grammar):
    """Fuzzes `server` (a planted server's file name) for --duration seconds. `grammar()` defines
    the requests with s_initialize; `first` names the seed request sent unmutated before each
    fuzzed one (and fuzzed itself on its own), `others` the rest."""
    parser = argparse.ArgumentParser()
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--bug")
    group.add_argument("--correct", action="store_true")
    parser.add_argument("--duration", type=float, default=60)
    args = parser.parse_args()

    port = free_port()
    flag = ["--correct"] if args.correct else ["--bug", args.bug]
    monitor = SpawnMonitor([sys.executable, os.path.join(PLANTED, server), "--port", str(port)] + flag, port)
    recorder = Recorder(STARTED + args.duration)
    results = tempfile.mkdtemp(prefix="boofuzz-bench-")
    grammar()
    session = boofuzz.Session(
        target=boofuzz.Target(
            connection=Connection("127.0.0.1", port, recv_timeout=1.0),
            monitors=[monitor],
        ),
        web_port=None,
        keep_web_open=False,
        fuzz_loggers=[recorder],
        db_filename=os.path.join(results, "run.db"),
        fuzz_db_keep_only_n_pass_cases=1,
        check_data_received_each_request=True,
        restart_sleep_time=0,
    )
    session.connect(boofuzz.s_get(first))
    for name in others:
        session.connect(boofuzz.s_get(first), boofuzz.s_get(name))
    # SIGTERM from the driver ends the run the same way as the deadline.
    signal.signal(signal.SIGTERM, stop)
    outcome = "budget spent"
    try:
        session.fuzz()
        outcome = "grammar exhausted"
    except Deadline:
        pass
    finally:
        monitor.stop_target()
        shutil.rmtree(results, ignore_errors=True)
        emit("end", outcome=outcome, cases=recorder.cases, failures=recorder.failures, errors=recorder.errors,
             restarts=monitor.restarts, total_mutations=session.total_num_mutations)
