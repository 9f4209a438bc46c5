#!/usr/bin/env python3
"""boofuzz against length_server.py: a hand-written grammar of the two seed requests of
Tests/Fixtures/planted/length_reqs.txt (`\\x00\\x00\\x00\\x04PING`, `\\x00\\x00\\x00\\x0aECHO
hello`): a 4-byte big-endian s_size of the payload (fuzzed too), then the payload's words as
s_string between s_delim.
Usage: fuzz_length.py (--bug NAME | --correct) [--duration 60]
"""

from boofuzz import s_block, s_delim, s_initialize, s_size, s_string

import harness


def grammar():
    s_initialize("PING")
    s_size("payload", length=4, endian=">", fuzzable=True, name="prefix")
    with s_block("payload"):
        s_string("PING", name="command")

    s_initialize("ECHO")
    s_size("payload", length=4, endian=">", fuzzable=True, name="prefix")
    with s_block("payload"):
        s_string("ECHO", name="command")
        s_delim(" ", name="space")
        s_string("hello", name="text")


harness.run("length_server.py", "PING", ["ECHO"], grammar)
