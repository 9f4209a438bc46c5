"""toxiproxy-python, unchanged, driving `sockfuzz proxy --api` in front of redis-server.

Usage: toxiproxy_redis.py API_HOST API_PORT REDIS_HOST:PORT
Prints one line per step; exits non-zero (with the assertion) at the first step that fails.
Times are judged only as bounds a toxic imposes or seconds-wide ones, never as races.
"""
import socket
import sys
import time

from toxiproxy import Toxiproxy
from toxiproxy.api import APIConsumer
from toxiproxy.exceptions import NotFound, ProxyExists

api_host, api_port, redis = sys.argv[1], int(sys.argv[2]), sys.argv[3]
server = Toxiproxy()
server.update_api_consumer(api_host, api_port)
assert server.running(), "the API does not accept connections"
print("version", server.version())


def ping(listen, timeout=20):
    host, port = listen.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        start = time.monotonic()
        s.sendall(b"PING\r\n")
        data = b""
        while not data.endswith(b"\r\n"):
            chunk = s.recv(100)
            if not chunk:
                break
            data += chunk
        return data, time.monotonic() - start


proxy = server.create(upstream=redis, name="redis")
assert proxy.listen != "127.0.0.1:0" and proxy.listen.startswith("127.0.0.1:"), proxy.listen
reply, _ = ping(proxy.listen)
assert reply == b"+PONG\r\n", reply
print("ping through the proxy:", reply)

try:
    APIConsumer.post("/proxies", json={"name": "redis", "upstream": redis, "listen": "127.0.0.1:0"})
    raise AssertionError("a second proxy named redis was created")
except ProxyExists:
    print("a second proxy named redis: 409")

proxy.add_toxic(type="latency", attributes={"latency": 2000})
toxics = proxy.toxics()
assert list(toxics) == ["latency_downstream"], toxics
assert toxics["latency_downstream"].attributes["latency"] == 2000, toxics["latency_downstream"].attributes
reply, slow = ping(proxy.listen)
assert reply == b"+PONG\r\n" and slow >= 2.0, (reply, slow)
print("with latency 2000 ms: PONG after at least 2 s")

proxy.destroy_toxic("latency_downstream")
assert proxy.toxics() == {}, proxy.toxics()
reply, fast = ping(proxy.listen)
assert reply == b"+PONG\r\n" and fast < 1.5, (reply, fast)
print("toxic removed: PONG well within the latency")

with proxy.down():
    try:
        ping(proxy.listen, timeout=5)
        raise AssertionError("a disabled proxy accepted a connection")
    except (ConnectionRefusedError, ConnectionResetError):
        print("disabled: connection refused")
reply, _ = ping(proxy.listen)
assert reply == b"+PONG\r\n", reply
print("enabled again: PONG")

proxy.add_toxic(type="timeout", stream="upstream", attributes={"timeout": 0})
server.reset()
assert server.get_proxy("redis").enabled and proxy.toxics() == {}, proxy.toxics()
print("reset: enabled, no toxics")

populated = server.populate([{"name": "redis2", "upstream": redis, "listen": "127.0.0.1:0"}])
assert [p.name for p in populated] == ["redis2"], populated
assert sorted(server.proxies()) == ["redis", "redis2"], server.proxies()
print("populate: redis2 created")

server.destroy_all()
assert server.proxies() == {}, server.proxies()
try:
    APIConsumer.get("/proxies/redis")
    raise AssertionError("a destroyed proxy is still there")
except NotFound:
    print("destroyed: 404")
print("ALL OK")
