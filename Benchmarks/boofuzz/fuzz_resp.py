#!/usr/bin/env python3
"""boofuzz against resp_server.py: a hand-written grammar of the five seed requests of
Tests/Fixtures/planted/resp_reqs.txt (PING, SET, GET, ECHO, MSET as RESP arrays of bulks).
Each bulk's length is an s_size of its payload (so it follows a mutated payload, and is fuzzed
itself); the array count, command names and arguments are s_string.
Usage: fuzz_resp.py (--bug NAME | --correct) [--duration 60]
"""

from boofuzz import s_block, s_initialize, s_size, s_static, s_string

import harness

SEEDS = {
    "PING": [b"PING"],
    "SET": [b"SET", b"key", b"hello"],
    "GET": [b"GET", b"key"],
    "ECHO": [b"ECHO", b"hi"],
    "MSET": [b"MSET", b"a", b"1", b"b", b"2"],
}


def grammar():
    for name, arguments in SEEDS.items():
        s_initialize(name)
        s_static("*")
        s_string(str(len(arguments)), name="count")
        s_static("\r\n")
        for i, argument in enumerate(arguments):
            s_static("$")
            s_size("arg%d" % i, output_format="ascii", signed=True, fuzzable=True, name="len%d" % i)
            s_static("\r\n")
            with s_block("arg%d" % i):
                s_string(argument.decode(), name="value%d" % i)
            s_static("\r\n")


harness.run("resp_server.py", "PING", ["SET", "GET", "ECHO", "MSET"], grammar)
