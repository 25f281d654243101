"""Fire N connection attempts (tcp) or datagrams (udp) at distinct reserved destinations as fast as possible."""
import socket, sys

proto, n = sys.argv[1], int(sys.argv[2])
socks = []
for i in range(n):
    addr = ("203.0.113.%d" % (1 + i % 250), 1000 + i)  # TEST-NET-3 only; ports make each destination distinct
    if proto == "tcp":
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(addr)
        socks.append(s)
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.sendto(b"x", addr)
        except OSError:
            pass
        s.close()
for s in socks:
    s.close()
