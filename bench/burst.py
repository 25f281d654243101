"""Fire N connection attempts (tcp) or datagrams (udp) at distinct reserved destinations as fast as possible."""
import resource, socket, sys

proto, n = sys.argv[1], int(sys.argv[2])
# The TCP sockets stay open until every connect was fired: lift the soft limit on open files to the hard one.
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if soft != resource.RLIM_INFINITY and soft < n + 64:
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard == resource.RLIM_INFINITY else min(hard, max(soft, n + 64)), hard))
keep = resource.getrlimit(resource.RLIMIT_NOFILE)[0] - 64
socks = []
for i in range(n):
    # TEST-NET-3 only; port 1000+i makes every destination distinct.
    addr = ("203.0.113.%d" % (1 + i % 250), 1000 + i)
    if proto == "tcp":
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(addr)
        if len(socks) < keep:
            socks.append(s)
        else:
            s.close()
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.sendto(b"x", addr)
        except OSError:
            pass
        s.close()
for s in socks:
    s.close()
