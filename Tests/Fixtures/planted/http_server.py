#!/usr/bin/env python3
"""A small HTTP/1.1 server (keep-alive, Content-Length and chunked request bodies, GET, HEAD,
POST, PUT) with one planted bug at a time, or none (--correct). Like nginx, it answers a
malformed request with `400 Bad Request` and closes: correct behaviour, not a finding.

Bugs:
  chunk-extension  crash on a chunk extension (`5;name=value`): the size line is read as hex whole
  no-colon         crash on a header line without a colon (the line is split on ':' unchecked)
  header-case      only `Content-Length` spelled so is a body length: `content-length`'s body
                   is then read as the next request (a desynchronised connection)
"""

import planted

BUGS = {"chunk-extension", "no-colon", "header-case"}
args = planted.arguments(BUGS)
bug = None if args.correct else args.bug


class BadRequest(Exception):
    pass


def response(status, body=b"", head=False, close=False):
    lines = [b"HTTP/1.1 " + status, b"Content-Length: %d" % len(body), b"Content-Type: text/plain"]
    if close:
        lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n" + (b"" if head else body)


def chunked(buffer, at):
    """The decoded body from `at`, and where it ends; (None, 0) when incomplete."""
    body = b""
    while True:
        end = buffer.find(b"\r\n", at)
        if end < 0:
            return None, 0
        size_line = buffer[at:end]
        if bug != "chunk-extension":
            size_line = size_line.split(b";", 1)[0]
        try:
            size = int(size_line.strip(), 16)   # the planted crash: ValueError on "5;x=y"
        except ValueError:
            if bug == "chunk-extension" and b";" in size_line:
                raise
            raise BadRequest()
        if size < 0:
            raise BadRequest()
        at = end + 2
        if size == 0:
            # Trailers, then the empty line.
            while True:
                end = buffer.find(b"\r\n", at)
                if end < 0:
                    return None, 0
                if end == at:
                    return body, end + 2
                at = end + 2
        if len(buffer) < at + size + 2:
            return None, 0
        body += buffer[at:at + size]
        if buffer[at + size:at + size + 2] != b"\r\n":
            raise BadRequest()
        at += size + 2


def serve(buffer, state):
    head_end = buffer.find(b"\r\n\r\n")
    if head_end < 0:
        if len(buffer) > 65536:
            return len(buffer), response(b"431 Request Header Fields Too Large", close=True), True
        return 0, b"", False
    try:
        lines = buffer[:head_end].split(b"\r\n")
        parts = lines[0].split(b" ")
        if len(parts) != 3 or not parts[2].startswith(b"HTTP/1."):
            raise BadRequest()
        method, target, _ = parts
        headers = {}
        for header in lines[1:]:
            if bug == "no-colon":
                name, value = header.split(b":", 1)   # the planted crash: no colon, one part
            else:
                if b":" not in header or header[:1] in (b" ", b"\t"):
                    raise BadRequest()
                name, value = header.split(b":", 1)
            key = name.strip() if bug == "header-case" else name.strip().lower()
            headers[key] = value.strip()
        length_name = b"Content-Length" if bug == "header-case" else b"content-length"
        encoding_name = b"Transfer-Encoding" if bug == "header-case" else b"transfer-encoding"
        at = head_end + 4
        body = b""
        if headers.get(encoding_name, b"").lower() == b"chunked":
            body, at = chunked(buffer, at)
            if body is None:
                return 0, b"", False
        elif length_name in headers:
            try:
                length = int(headers[length_name])
            except ValueError:
                raise BadRequest()
            if length < 0 or length > 1 << 24:
                raise BadRequest()
            if len(buffer) < at + length:
                return 0, b"", False
            body = buffer[at:at + length]
            at += length
    except BadRequest:
        return len(buffer), response(b"400 Bad Request", b"bad request\n", close=True), True
    close = headers.get(b"connection" if bug != "header-case" else b"Connection", b"").lower() == b"close"
    if method in (b"GET", b"HEAD"):
        reply = response(b"200 OK", b"you asked for " + target[:200] + b"\n", head=method == b"HEAD", close=close)
    elif method in (b"POST", b"PUT"):
        reply = response(b"200 OK", b"got %d bytes\n" % len(body), close=close)
    else:
        reply = response(b"405 Method Not Allowed", b"no\n", close=close)
    return at, reply, close


planted.run(args.host, args.port, serve)
