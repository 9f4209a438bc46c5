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
            out = b""
            while c["in"] and not c["closing"]:
                consumed, reply, closing = serve(c["in"], c["state"])
                if consumed == 0 and not closing:
                    break
                c["in"] = c["in"][consumed:]
                out += reply
                c["closing"] = closing
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
