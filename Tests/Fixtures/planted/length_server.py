#!/usr/bin/env python3
"""A small length-prefixed protocol (`length:4be`): each message is a 4-byte big-endian length
and that many bytes of payload, `ECHO text` or `PING`, answered the same way (`OK text`,
`PONG`, `ERR reason`). A length over 1 MiB is refused and the connection closed.

Bugs:
  prefix-overrun  crash when the prefix says more than the payload that arrived with it: it
                  takes the bytes of one read as the whole message and checks it has them all
"""

import struct

import planted

BUGS = {"prefix-overrun"}
args = planted.arguments(BUGS)
bug = None if args.correct else args.bug


def frame(payload):
    return struct.pack(">I", len(payload)) + payload


def serve(buffer, state):
    if len(buffer) < 4:
        return 0, b"", False
    (length,) = struct.unpack(">I", buffer[:4])
    if length > 1 << 20:
        return len(buffer), frame(b"ERR message too long"), True
    payload = buffer[4:4 + length]
    if len(payload) < length:
        if bug == "prefix-overrun":
            # The planted crash: the message is assumed to have arrived whole.
            assert len(payload) == length, "payload of %d bytes, prefix says %d" % (len(payload), length)
        return 0, b"", False
    if payload == b"PING":
        reply = b"PONG"
    elif payload.startswith(b"ECHO "):
        reply = b"OK " + payload[5:]
    else:
        reply = b"ERR unknown command"
    return 4 + length, frame(reply), False


planted.run(args.host, args.port, serve)
