#!/usr/bin/env python3
"""boofuzz against line_server.py: a hand-written grammar of the four seed requests of
Tests/Fixtures/planted/line_reqs.txt (PING, SET k 10, INCRBY k 5, GET k): words as s_string
between s_delim spaces, each line ended by CR LF. Numbers are s_string too, as they are text
in the seeds (an s_qword would tell boofuzz the field is a 64-bit integer, which sockfuzz is
not told).
Usage: fuzz_line.py (--bug NAME | --correct) [--duration 60]
"""

from boofuzz import s_delim, s_initialize, s_static, s_string

import harness

SEEDS = {"PING": ["PING"], "SET": ["SET", "k", "10"], "INCRBY": ["INCRBY", "k", "5"], "GET": ["GET", "k"]}


def grammar():
    for name, words in SEEDS.items():
        s_initialize(name)
        for i, word in enumerate(words):
            if i:
                s_delim(" ", name="space%d" % i)
            s_string(word, name="word%d" % i)
        s_static("\r\n")


harness.run("line_server.py", "PING", ["SET", "INCRBY", "GET"], grammar)
