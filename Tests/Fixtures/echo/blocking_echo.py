"""A blocking echo server, a thread per connection: it reads, then writes all it read before
reading again, so it stops reading while its writes block (a client that does not read stops
it). Out of the test process, so its pace does not depend on what else the tests run.

Usage: blocking_echo.py --port PORT
"""

import argparse
import socket
import threading

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
args = parser.parse_args()

listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", args.port))
listener.listen(512)


def echo(conn):
    with conn:
        try:
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                conn.sendall(data)
        except OSError:
            return


while True:
    conn, _ = listener.accept()
    threading.Thread(target=echo, args=(conn,), daemon=True).start()
