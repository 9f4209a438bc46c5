#!/usr/bin/env python3
"""A small Redis-like server (RESP arrays and inline commands; PING, ECHO, SET, GET, DEL,
EXISTS, INCR, MSET, MGET) with one planted bug at a time, or none (--correct). Like Redis, it
answers malformed input with `-ERR Protocol error: ...` and closes the connection: that is
correct behaviour, not a finding.

Bugs:
  negative-bulk  crash on a bulk length below -1 (it indexes with the length unchecked)
  nul-hang       hang when an argument holds a NUL byte (a C-style loop that never ends)
  crlf-reply     ECHO and GET answer with a bulk length counted up to the first CR, so a
                 value holding CR LF gives a reply that no RESP parser can frame
  odd-mset       MSET with an odd number of arguments answers twice (an error, then OK)
  empty-echo     ECHO of an empty argument answers nil ($-1) where Redis answers an empty bulk:
                 a well-formed, well-counted wrong answer only a reference implementation shows
"""

import planted

BUGS = {"negative-bulk", "nul-hang", "crlf-reply", "odd-mset", "empty-echo"}
args = planted.arguments(BUGS)
bug = None if args.correct else args.bug
store = {}


class ProtocolError(Exception):
    pass


def line(buffer, start):
    end = buffer.find(b"\r\n", start)
    if end < 0:
        if len(buffer) - start > 65536:
            raise ProtocolError("too big line")
        return None, start
    return buffer[start:end], end + 2


def integer(text, what):
    try:
        return int(text)
    except ValueError:
        raise ProtocolError("invalid " + what)


def parse(buffer):
    """One request: (arguments, bytes used), or (None, 0) when more must arrive."""
    if buffer[:1] != b"*":
        text, end = line(buffer, 0)
        if text is None:
            return None, 0
        return text.split(), end
    text, at = line(buffer, 1)
    if text is None:
        return None, 0
    count = integer(text, "multibulk length")
    if count > 1024 * 1024:
        raise ProtocolError("invalid multibulk length")
    arguments = []
    for _ in range(max(count, 0)):
        if at >= len(buffer):
            return None, 0
        if buffer[at:at + 1] != b"$":
            raise ProtocolError("expected '$', got '%s'" % buffer[at:at + 1].decode("latin-1"))
        text, at = line(buffer, at + 1)
        if text is None:
            return None, 0
        length = integer(text, "bulk length")
        if length < 0:
            if bug == "negative-bulk" and length < -1:
                # The planted crash: the length is used to size a read before it is checked.
                raise IndexError("bulk length %d out of range" % length)
            raise ProtocolError("invalid bulk length")
        if length > 512 * 1024 * 1024:
            raise ProtocolError("invalid bulk length")
        if len(buffer) < at + length + 2:
            return None, 0
        arguments.append(buffer[at:at + length])
        at += length + 2
    return arguments, at


def bulk(value):
    if value is None:
        return b"$-1\r\n"
    length = len(value)
    if bug == "crlf-reply" and b"\r" in value:
        length = value.index(b"\r")
    return b"$%d\r\n%s\r\n" % (length, value)


def error(text):
    # As Redis does: an error line never carries a CR or LF of the input (it would end the line).
    return b"-ERR " + text.replace("\r", " ").replace("\n", " ").encode() + b"\r\n"


def wrong_arity(name):
    return error("wrong number of arguments for '%s' command" % name.decode("latin-1").lower())


def execute(arguments):
    if not arguments:
        return b""
    if bug == "nul-hang" and any(b"\x00" in a for a in arguments):
        planted.hang()
    name = arguments[0].upper()
    rest = arguments[1:]
    if name == b"PING":
        return b"+PONG\r\n" if not rest else bulk(rest[0])
    if name == b"ECHO":
        if bug == "empty-echo" and len(rest) == 1 and rest[0] == b"":
            return b"$-1\r\n"
        return bulk(rest[0]) if len(rest) == 1 else wrong_arity(name)
    if name == b"SET":
        if len(rest) != 2:
            return wrong_arity(name)
        store[rest[0]] = rest[1]
        return b"+OK\r\n"
    if name == b"GET":
        return bulk(store.get(rest[0])) if len(rest) == 1 else wrong_arity(name)
    if name in (b"DEL", b"EXISTS"):
        if not rest:
            return wrong_arity(name)
        found = sum(1 for k in rest if k in store)
        if name == b"DEL":
            for k in rest:
                store.pop(k, None)
        return b":%d\r\n" % found
    if name == b"INCR":
        if len(rest) != 1:
            return wrong_arity(name)
        try:
            value = int(store.get(rest[0], b"0")) + 1
        except ValueError:
            return error("value is not an integer or out of range")
        if value >= 2 ** 63:
            return error("increment or decrement would overflow")
        store[rest[0]] = str(value).encode()
        return b":%d\r\n" % value
    if name == b"MSET":
        if not rest or len(rest) % 2 == 1:
            if bug == "odd-mset" and rest:
                # The planted bug: it reports the arity error, then sets the pairs anyway and
                # answers again.
                for k, v in zip(rest[::2], rest[1::2]):
                    store[k] = v
                return wrong_arity(name) + b"+OK\r\n"
            return wrong_arity(name)
        for k, v in zip(rest[::2], rest[1::2]):
            store[k] = v
        return b"+OK\r\n"
    if name == b"MGET":
        if not rest:
            return wrong_arity(name)
        return b"*%d\r\n" % len(rest) + b"".join(bulk(store.get(k)) for k in rest)
    return error("unknown command '%s'" % name.decode("latin-1")[:128])


def serve(buffer, state):
    try:
        arguments, used = parse(buffer)
    except ProtocolError as e:
        return len(buffer), error("Protocol error: " + str(e)), True
    if arguments is None:
        return 0, b"", False
    return used, execute(arguments), False


planted.run(args.host, args.port, serve)
