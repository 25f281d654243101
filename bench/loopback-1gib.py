"""Move 1 GiB over a TCP connection on 127.0.0.1 (a test suite's heavy loopback traffic); print the ms it took."""
import socket, threading, time

TOTAL = 1 << 30
CHUNK = b"\0" * (1 << 20)

srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
got = 0

def sink():
    global got
    conn, _ = srv.accept()
    while True:
        b = conn.recv(1 << 20)
        if not b:
            break
        got += len(b)

t = threading.Thread(target=sink)
t.start()
t0 = time.perf_counter()
c = socket.create_connection(srv.getsockname())
for _ in range(TOTAL // len(CHUNK)):
    c.sendall(CHUNK)
c.close()
t.join()
assert got == TOTAL, got
print("%.1f" % ((time.perf_counter() - t0) * 1000))
