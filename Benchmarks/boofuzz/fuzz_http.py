#!/usr/bin/env python3
"""boofuzz against http_server.py: a hand-written grammar of the three seed requests of
Tests/Fixtures/planted/http_reqs.txt (a GET, a POST with Content-Length, a chunked POST).
Request line and header lines are s_string fields between s_delim separators; Content-Length
is an s_size of the body. boofuzz's s_size renders decimal only, so the chunk-size line (hex)
is an s_string, as is the chunk data.
Usage: fuzz_http.py (--bug NAME | --correct) [--duration 60]
"""

from boofuzz import s_block, s_delim, s_initialize, s_size, s_static, s_string

import harness


def request_line(method, target):
    s_string(method, name="method")
    s_delim(" ", name="space1")
    s_string(target, name="target")
    s_delim(" ", name="space2")
    s_string("HTTP/1.1", name="version")
    s_static("\r\n")


def header(name, value=None, size_of=None):
    s_string(name, name=name + "-name")
    s_delim(":", name=name + "-colon")
    s_delim(" ", name=name + "-space")
    if size_of is None:
        s_string(value, name=name + "-value")
    else:
        s_size(size_of, output_format="ascii", fuzzable=True, name=name + "-value")
    s_static("\r\n")


def grammar():
    s_initialize("GET")
    request_line("GET", "/")
    header("Host", "localhost")
    s_static("\r\n")

    s_initialize("POST")
    request_line("POST", "/items")
    header("Host", "localhost")
    header("Content-Length", size_of="body")
    s_static("\r\n")
    with s_block("body"):
        s_string("hello", name="body-data")

    s_initialize("POST-chunked")
    request_line("POST", "/upload")
    header("Host", "localhost")
    header("Transfer-Encoding", "chunked")
    s_static("\r\n")
    s_string("5", name="chunk-size")
    s_static("\r\n")
    s_string("hello", name="chunk-data")
    s_static("\r\n")
    s_string("0", name="last-chunk-size")
    s_static("\r\n\r\n")


harness.run("http_server.py", "GET", ["POST", "POST-chunked"], grammar)
