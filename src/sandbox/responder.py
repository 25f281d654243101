#!/usr/bin/env python3
"""netaudit's intercept responder: runs inside the MONITOR network namespace only (never the host's).

It answers what the build asks so that the report can say what the build wanted; it forwards nothing, and the
monitor namespace it runs in has no route out (src/sandbox/plan.ts). Started by src/sandbox/intercept.ts as
`setpriv --pdeathsig KILL -- nsenter --net=MONITOR -- python3 responder.py ...`, ended by PID.

- DNS (UDP port 53, any address: the monitor owns every address): every A/AAAA question is answered with a
  sinkhole address, the same one for the same name during a run (sequential: the n-th name gets
  <v4-prefix>.n and <v6-prefix>n), so that a later TCP connect to that address maps back to the name. Other
  question types get an empty NOERROR answer. Replies leave from the address the question was sent to
  (IP_PKTINFO), as resolvers check.
- TCP: bpf/monitor-intercept.nft redirects every TCP connect from the build to --port; the original
  destination comes from SO_ORIGINAL_DST. The responder reads what the client sends first (until a complete
  TLS record, the end of HTTP headers, --max-bytes, a short quiet gap after other data, or --wait-ms), records
  it, and closes. No TLS server: the ClientHello (with SNI) comes before any certificate.

Output: JSON lines on stdout: {"type":"ready"} once every socket is bound, then one record per DNS question
and per TCP connection ("bytes" base64). SIGTERM: connections still being read are written as partial
records, then it exits. Standard library only.
"""
import argparse
import base64
import json
import signal
import socket
import struct
import sys
import threading
import time

SO_ORIGINAL_DST = 80  # linux/netfilter_ipv4.h; IP6T_SO_ORIGINAL_DST is also 80 (on SOL_IPV6)
IP_PKTINFO = 8
IPV6_RECVPKTINFO = 49
IPV6_PKTINFO = 50

out_lock = threading.Lock()


def emit(record):
    with out_lock:
        sys.stdout.write(json.dumps(record, separators=(',', ':')) + '\n')
        sys.stdout.flush()


def now_ms():
    return int(time.time() * 1000)


class Names:
    """name -> index, first come first served (1..254 for IPv4; the IPv4 sinkhole wraps after 254 names)."""

    def __init__(self, v4_prefix, v6_prefix):
        self.v4_prefix, self.v6_prefix = v4_prefix, v6_prefix
        self.index = {}
        self.lock = threading.Lock()

    def of(self, name):
        with self.lock:
            n = self.index.setdefault(name, len(self.index) + 1)
        return n

    def v4(self, name):
        return '%s.%d' % (self.v4_prefix, (self.of(name) - 1) % 254 + 1)

    def v6(self, name):
        n = self.of(name)
        return '%s%x' % (self.v6_prefix, n)


def parse_question(msg):
    """(id, flags, name, qtype, end of question) or None."""
    if len(msg) < 12:
        return None
    qid, flags, qd = struct.unpack('!HHH', msg[:6])
    if flags & 0x8000 or qd < 1:
        return None
    labels, i = [], 12
    while True:
        if i >= len(msg):
            return None
        n = msg[i]
        i += 1
        if n == 0:
            break
        if n & 0xC0 or i + n > len(msg):
            return None
        labels.append(msg[i:i + n].decode('ascii', 'backslashreplace'))
        i += n
    if i + 4 > len(msg):
        return None
    qtype, _qclass = struct.unpack('!HH', msg[i:i + 4])
    return qid, flags, '.'.join(labels).lower(), qtype, i + 4


QTYPES = {1: 'A', 28: 'AAAA', 5: 'CNAME', 15: 'MX', 16: 'TXT', 33: 'SRV', 12: 'PTR', 65: 'HTTPS', 2: 'NS', 6: 'SOA'}


def answer(msg, names):
    q = parse_question(msg)
    if not q:
        return None, None
    qid, flags, name, qtype, end = q
    rdata, addr = None, None
    if qtype == 1:
        addr = names.v4(name)
        rdata = socket.inet_pton(socket.AF_INET, addr)
    elif qtype == 28:
        addr = names.v6(name)
        rdata = socket.inet_pton(socket.AF_INET6, addr)
    # QR, opcode copied, AA, RD copied, RA; rcode NOERROR (an empty answer for other types).
    rflags = 0x8000 | (flags & 0x7800) | 0x0400 | (flags & 0x0100) | 0x0080
    head = struct.pack('!HHHHHH', qid, rflags, 1, 1 if rdata else 0, 0, 0)
    body = msg[12:end]
    if rdata:
        body += struct.pack('!HHHIH', 0xC00C, qtype, 1, 60, len(rdata)) + rdata
    record = {'type': 'dns', 'name': name, 'qtype': QTYPES.get(qtype, str(qtype))}
    if addr:
        record['answer'] = addr
    return head + body, record


def serve_dns(sock, family, names):
    while True:
        try:
            msg, anc, _flags, peer = sock.recvmsg(4096, socket.CMSG_SPACE(32))
        except OSError:
            return
        t = now_ms()
        dst = None
        for level, kind, data in anc:
            if family == socket.AF_INET and level == socket.IPPROTO_IP and kind == IP_PKTINFO:
                dst = data[4:8]
            elif family == socket.AF_INET6 and level == socket.IPPROTO_IPV6 and kind == IPV6_PKTINFO:
                dst = data[:16]
        reply, record = answer(msg, names)
        if record is None:
            continue
        record.update(t=t, family=4 if family == socket.AF_INET else 6, src=peer[0], sport=peer[1],
                      dst=socket.inet_ntop(family, dst) if dst else None, dport=53)
        emit(record)
        try:
            if dst is None:
                sock.sendto(reply, peer)
            elif family == socket.AF_INET:
                sock.sendmsg([reply], [(socket.IPPROTO_IP, IP_PKTINFO, struct.pack('=I4s4s', 0, dst, bytes(4)))], 0, peer)
            else:
                sock.sendmsg([reply], [(socket.IPPROTO_IPV6, IPV6_PKTINFO, dst + struct.pack('=I', 0))], 0, peer)
        except OSError:
            pass


def original_dst(conn, family):
    if family == socket.AF_INET:
        raw = conn.getsockopt(socket.IPPROTO_IP, SO_ORIGINAL_DST, 16)
        port, = struct.unpack('!H', raw[2:4])
        return socket.inet_ntop(socket.AF_INET, raw[4:8]), port
    raw = conn.getsockopt(socket.IPPROTO_IPV6, SO_ORIGINAL_DST, 28)
    port, = struct.unpack('!H', raw[2:4])
    return socket.inet_ntop(socket.AF_INET6, raw[8:24]), port


def complete(buf, limit):
    """Whether what the client sent first is all there: a whole TLS record, HTTP headers, or the cap."""
    if len(buf) >= limit:
        return True
    if len(buf) >= 5 and buf[0] == 0x16 and buf[1] == 3:
        return len(buf) >= 5 + struct.unpack('!H', buf[3:5])[0]
    return b'\r\n\r\n' in buf


active = {}
active_lock = threading.Lock()


def handle(conn, peer, family, args):
    t = now_ms()
    try:
        dst, dport = original_dst(conn, family)
    except OSError:
        dst, dport = None, None
    record = {'type': 'tcp', 't': t, 'family': 4 if family == socket.AF_INET else 6, 'src': peer[0], 'sport': peer[1],
              'dst': dst, 'dport': dport}
    buf = bytearray()
    with active_lock:
        active[id(conn)] = (record, buf)
    deadline = time.monotonic() + args.wait_ms / 1000
    try:
        while not complete(buf, args.max_bytes):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            # After data that is neither TLS nor HTTP, a short quiet gap ends it (a banner, a binary hello).
            conn.settimeout(min(left, args.quiet_ms / 1000) if buf and not buf.startswith(b'\x16') else left)
            try:
                chunk = conn.recv(args.max_bytes - len(buf))
            except socket.timeout:
                break
            if not chunk:
                record['eof'] = True
                break
            buf += chunk
    except OSError as e:
        record['error'] = str(e)
    finally:
        with active_lock:
            active.pop(id(conn), None)
        record['bytes'] = base64.b64encode(bytes(buf)).decode()
        record['readMs'] = now_ms() - t
        emit(record)
        try:
            conn.close()
        except OSError:
            pass


def serve_tcp(sock, family, args):
    while True:
        try:
            conn, peer = sock.accept()
        except OSError:
            return
        threading.Thread(target=handle, args=(conn, peer, family, args), daemon=True).start()


def bound(family, kind, port):
    s = socket.socket(family, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind(('0.0.0.0' if family == socket.AF_INET else '::', port))
    return s


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--port', type=int, required=True, help='the TCP port bpf/monitor-intercept.nft redirects to')
    p.add_argument('--v4-prefix', default='198.51.100')
    p.add_argument('--v6-prefix', default='2001:db8:ffff::')
    p.add_argument('--max-bytes', type=int, default=8192)
    p.add_argument('--wait-ms', type=int, default=1500)
    p.add_argument('--quiet-ms', type=int, default=200)
    args = p.parse_args()
    names = Names(args.v4_prefix, args.v6_prefix)
    threads = []
    for family in (socket.AF_INET, socket.AF_INET6):
        u = bound(family, socket.SOCK_DGRAM, 53)
        if family == socket.AF_INET:
            u.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
        else:
            u.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVPKTINFO, 1)
        t = bound(family, socket.SOCK_STREAM, args.port)
        t.listen(128)
        threads += [threading.Thread(target=serve_dns, args=(u, family, names), daemon=True),
                    threading.Thread(target=serve_tcp, args=(t, family, args), daemon=True)]
    for th in threads:
        th.start()

    def finish(_sig, _frame):
        with active_lock:
            pending = list(active.values())
        for record, buf in pending:
            emit(dict(record, bytes=base64.b64encode(bytes(buf)).decode(), partial=True))
        sys.stdout.flush()
        sys.exit(0)

    signal.signal(signal.SIGTERM, finish)
    emit({'type': 'ready'})
    while True:
        signal.pause()


if __name__ == '__main__':
    main()
