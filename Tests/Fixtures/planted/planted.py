"""The event loop every planted-bug server shares: one thread, non-blocking sockets, a buffer
per connection. A protocol module gives a `serve(buffer, state) -> (consumed, reply, close)`
function; this file accepts, reads, calls it until it consumes nothing, writes, and closes.

A planted crash is an exception that escapes the loop: the process exits with status 1 and a
traceback on stderr, as a real server's crash ends it. A planted hang blocks the loop forever,
so no connection, old or new, is answered.

Usage of every server: NAME.py --port PORT (--bug BUG | --correct) [--host 127.0.0.1]
"""

import argparse
import selectors
import socket
import sys
import time


def arguments(bugs):
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--bug", choices=sorted(bugs))
    group.add_argument("--correct", action="store_true")
    return parser.parse_args()


def hang():
    """A stuck server: nothing more is read, accepted or answered."""
    while True:
        time.sleep(3600)


WINDOW = 4096


def serve_all(serve, c):
    """Serves every whole request at the front of c["in"]: the replies, and the bytes used.

    In linear time, so that only a planted bug makes a server slow. Each request is first parsed
    from a window of the buffer's next WINDOW bytes (a short copy); only a request served whole
    from it counts. When the window holds no whole request, or the request closes the
    connection, or the parse raises (a planted bug that trusts a message to have arrived whole
    would trip on the window's end), the request is parsed again from all that is left, as a
    server that sees its whole buffer does: a parse that reads the same bytes takes the same
    path. So a serve function must change its state only for a request it serves whole and
    keeps open (every one here does: the closing and raising paths change nothing first), or
    the retry would apply it twice. Copying the rest of the buffer once per request instead made 24,000 empty lines in one
    read take seconds (quadratic), which the fuzzer rightly called a hang.
    """
    buffer, offset, replies = c["in"], 0, []
    while offset < len(buffer) and not c["closing"]:
        result = None
        if len(buffer) - offset > WINDOW:
            try:
                consumed, reply, closing = serve(buffer[offset:offset + WINDOW], c["state"])
                if consumed > 0 and not closing:
                    result = consumed, reply, closing
            except Exception:
                pass
        if result is None:
            result = serve(buffer[offset:], c["state"])
        consumed, reply, closing = result
        if consumed == 0 and not closing:
            break
        offset += consumed
        replies.append(reply)
        c["closing"] = closing
    return replies, offset


def run(host, port, serve):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.listen(512)
    listener.setblocking(False)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, None)
    connections = {}

    def close(conn):
        selector.unregister(conn)
        del connections[conn]
        conn.close()

    while True:
        for key, _ in selector.select():
            if key.data is None:
                try:
                    conn, _ = listener.accept()
                except BlockingIOError:
                    continue
                conn.setblocking(False)
                connections[conn] = {"in": b"", "state": {}, "closing": False}
                selector.register(conn, selectors.EVENT_READ, conn)
                continue
            conn = key.data
            c = connections[conn]
            try:
                data = conn.recv(65536)
            except (ConnectionResetError, BlockingIOError):
                data = b"" if not isinstance(sys.exc_info()[1], BlockingIOError) else None
            if data is None:
                continue
            if not data:
                close(conn)
                continue
            c["in"] += data
            replies, used = serve_all(serve, c)
            c["in"] = c["in"][used:]
            out = b"".join(replies)
            if out:
                try:
                    conn.setblocking(True)
                    conn.sendall(out)
                    conn.setblocking(False)
                except OSError:
                    close(conn)
                    continue
            if c["closing"]:
                try:
                    conn.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                close(conn)
