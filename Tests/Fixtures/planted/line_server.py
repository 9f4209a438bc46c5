#!/usr/bin/env python3
"""A small line protocol (a counter store): `SET k v`, `GET k`, `INCRBY k n`, `DEL k`, `PING`,
one command a line (LF or CR LF), answered `OK`, `VALUE v`, `NUM n`, `PONG` or `ERR reason`.
Integers are 64-bit signed, as in the C server this stands for.

Bugs:
  int64  crash on an integer past 64 bits (it packs the number into 8 bytes unchecked)
"""

import struct

import planted

BUGS = {"int64"}
args = planted.arguments(BUGS)
bug = None if args.correct else args.bug
store = {}


def number(text):
    value = int(text)
    if bug == "int64":
        struct.pack(">q", value)   # the planted crash: struct.error past 64 bits
    elif not -2 ** 63 <= value < 2 ** 63:
        raise ValueError
    return value


def execute(words):
    if not words:
        return b"ERR empty command\n"
    name, rest = words[0].upper(), words[1:]
    if name == b"PING":
        return b"PONG\n"
    if name == b"SET" and len(rest) == 2:
        store[rest[0]] = rest[1]
        return b"OK\n"
    if name == b"GET" and len(rest) == 1:
        return b"VALUE " + store.get(rest[0], b"") + b"\n"
    if name == b"DEL" and len(rest) == 1:
        store.pop(rest[0], None)
        return b"OK\n"
    if name == b"INCRBY" and len(rest) == 2:
        try:
            total = number(store.get(rest[0], b"0")) + number(rest[1])
            number(str(total).encode())
        except ValueError:
            return b"ERR not a 64-bit integer\n"
        store[rest[0]] = str(total).encode()
        return b"NUM %d\n" % total
    return b"ERR unknown command or wrong arguments\n"


def serve(buffer, state):
    end = buffer.find(b"\n")
    if end < 0:
        if len(buffer) > 65536:
            return len(buffer), b"ERR line too long\n", True
        return 0, b"", False
    return end + 1, execute(buffer[:end].rstrip(b"\r").split()), False


planted.run(args.host, args.port, serve)
