// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * netaudit's compiled tracer, kernel side. Built once with clang -target bpf (CO-RE: types from vmlinux.h,
 * which bpf/Makefile generates from the running kernel's BTF; field offsets are relocated by libbpf at load,
 * so the object runs on any kernel with BTF). The loader is bpf/netaudit-tracer.c; the records it reads are
 * declared in bpf/netaudit.h.
 *
 * WHAT IS SEEN, in the watched network namespaces only (see "The namespace filter"):
 *   sys_enter (raw syscalls, raw tracepoint), 64-bit syscalls only (x86_64 numbers below):
 *     connect, bind (the address argument), sendto/sendmsg (the address argument, when there is one),
 *     sendmmsg (the addresses of the first NA_MMSG_ADDRS messages), listen (the address the socket is bound
 *     to, read from the kernel socket): NA_CALL records, AF_INET, AF_INET6 and AF_UNIX only;
 *     UDP sends to port 53, by address or on a connected socket (sendto, send, sendmsg, sendmmsg, write):
 *     NA_DNS with the payload (the DNS question), so a name is known even when no packet ever leaves;
 *     netlink route dump requests (RTM_GETLINK, RTM_GETADDR on sendto/sendmsg/write) and SIOCGIF* ioctls:
 *     NA_IFENUM, the build looking for a network interface;
 *   sys_exit: the return value of each call that produced a record above, with its entry time (NA_RET);
 *   sched_process_exec (argv of the new image), sched_process_fork (new processes, not threads),
 *   sched_process_exit (the last thread of a process);
 *   uprobes on libc's getaddrinfo, gethostbyname, gethostbyname2, gethostbyname_r, gethostbyname2_r: the
 *   name argument (NA_RESOLVE), which exists even when the lookup fails before any socket call.
 * WHAT IS NOT SEEN: 32-bit (compat) syscalls, io_uring, writev/sendfile of DNS payloads, TCP DNS payloads,
 *   static binaries' or other libcs' resolvers (the uprobes sit on one libc file).
 *
 * Attach points: 5 raw tracepoints and the resolver uprobes. The two raw syscall tracepoints replace the 12
 * syscall tracepoints bpf/observer.bt attaches; the price is that every syscall on the machine runs the
 * first lines of on_sys_enter/on_sys_exit: they look at the syscall number first and leave at once for all
 * but a few. Measured here (kernel 6.18, 2 cores): closing a raw tracepoint link takes ~0.1 ms, where a
 * perf-event syscall tracepoint waits ~70 ms for an RCU grace period; each classic uprobe link costs
 * ~80 ms to close, serialised in the kernel even from parallel threads, so the loader attaches the five
 * as one uprobe_multi link (one grace period). raw_tp rather than tp_btf programs, and a minimal BTF made
 * at build time (bpf/Makefile), spare libbpf parsing the kernel's whole BTF at every start (~250 ms of CPU):
 * every kernel pointer is therefore read with BPF_CORE_READ (probe reads), never dereferenced directly.
 *
 * The namespace filter: `watched` is a hash of network namespace inodes the loader fills (`watch INODE` on
 * its stdin); every handler compares the task's namespace (task->nsproxy->net_ns->ns.inum) with it before
 * it writes anything. With all_but_ns set (loader option --all-ns-but INODE), every namespace but that one
 * is traced instead.
 *
 * Follow mode (loader option --follow-exec NAME, up to NA_FOLLOW_NAMES names; `netaudit watch`): processes
 * are traced by who they are, whatever their namespace. `followed` is a hash of process ids (tgids, as the
 * initial pid namespace numbers them); an exec whose file's base name is one of the names (Portage's
 * ebuild.sh, misc-functions.sh) adds its process (the exec record carries NA_F_SEED), a fork of a followed
 * process adds the child, the exit of a followed process removes it (after its exit record). The loader's
 * `follow PID` adds one by hand. Every other process on the machine leaves each handler after one hash
 * lookup, in the kernel. Without --follow-exec nothing of this runs (follow_mode is 0): the other modes
 * write exactly what they wrote before.
 *
 * Losses: every record that finds the ring buffer full bumps a per-CPU counter (`lost`, one slot per kind,
 * per syscall for calls); the loader sums them into its sync and stop lines. Nothing is lost silently.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "netaudit.h"

char LICENSE[] SEC("license") = "GPL";

/* x86_64 syscall numbers (arch/x86/entry/syscalls/syscall_64.tbl). */
#define NR_write 1
#define NR_ioctl 16
#define NR_connect 42
#define NR_sendto 44
#define NR_sendmsg 46
#define NR_bind 49
#define NR_listen 50
#define NR_sendmmsg 307

/* The 64-bit user code segment: a syscall entered from a 32-bit program has another (0x23) and other numbers. */
#define USER_CS_64 0x33

#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define AF_NETLINK 16
#define SOCK_DGRAM 2
#define IPPROTO_UDP 17
#define IPPROTO_UDPLITE 136
#define NETLINK_ROUTE 0
#define RTM_GETLINK 18
#define RTM_GETADDR 22
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define DNS_PORT_BE 0x3500 /* htons(53) */
#define SIOCGIFNAME 0x8910
#define SIOCGIFCONF 0x8912
#define SIOCGIF_LAST 0x8940 /* socket ioctls that name or list interfaces lie in 0x8910-0x893f */

/*
 * Masks a size in a register the compiler cannot fold away. clang merges a clamp (`if (n > MAX) n = MAX`)
 * with the original value often enough that the verifier sees no bound; an AND it cannot drop gives one.
 */
#define BOUND(v, mask) asm volatile("%[x] &= " #mask : [x] "+r"(v))

/* Read-only configuration, set by the loader before load. */
const volatile __u32 all_but_ns = 0;
/* Follow mode: 1 when follow_names holds at least one name (NUL-terminated, NUL-padded). */
const volatile __u32 follow_mode = 0;
/* The loader's --lazy-proc: exec (but a seed's: seed_wakeup below), fork and exit records wake no reader
 * (BPF_RB_NO_WAKEUP). The loader holds most of them anyway; it reads them at its next wakeup or timeout
 * (200 ms), so a build's hundreds of processes cost no wakeup each. Records after them with the default flag
 * wait as long (see seed_wakeup); the reader's sync drains the ring, so nothing is missed at a build's end. */
const volatile __u32 proc_no_wakeup = 0;

/* A seed's exec, env and exit records are read at once: the reader opens the phase's root (/proc/PID/root: a
 * chroot, bubblewrap) while the phase runs. The default (adaptive) wakeup would not do with --lazy-proc: the
 * kernel wakes the reader for a record only when the reader has consumed every record before it, and the
 * NO_WAKEUP records of the runner's own processes are usually still unread; the seed would then wait for the
 * loader's 200 ms timeout, after a short phase (or the bubblewrap that ran it) may have exited. */
#define FOLLOWED_SEED 2
static __always_inline __u64 seed_wakeup(void)
{
	return proc_no_wakeup ? BPF_RB_FORCE_WAKEUP : 0;
}

/* Any other exec, fork or exit record (proc_no_wakeup above). */
static __always_inline __u64 proc_wakeup(void)
{
	return proc_no_wakeup ? BPF_RB_NO_WAKEUP : 0;
}
const volatile char follow_names[NA_FOLLOW_NAMES][NA_FOLLOW_NAME_MAX] = {};
const volatile __u32 follow_lens[NA_FOLLOW_NAMES] = {};

/* The records, in reservation order across CPUs. The loader sets its size (--ringbuf-kib) before load. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps");

/* Watched network namespaces: inode -> 1. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u8);
} watched SEC(".maps");

/* Follow mode: followed processes, tgid -> 1 (FOLLOWED_SEED for a seed: its exit wakes the reader). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} followed SEC(".maps");

/* Lost records per slot (see NA_LOST_SLOTS), per CPU: no atomics on the hot path. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NA_LOST_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

/* Calls in flight: thread id -> what its NA_RET must say (entry time and syscall). */
struct inflight {
	__u64 ts;
	__u16 sys;
};
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct inflight);
} inflight SEC(".maps");

/* One scratch record per CPU for the large, variable-size records (exec, DNS): too big for the 512-byte
 * stack, and written with bpf_ringbuf_output() at their real size rather than reserved at their maximum. */
union scratch {
	struct na_exec exec;
	struct na_dns dns;
	/* Room for the masked sizes below (n & (2 * MAX - 1)): the verifier checks the mask, not the clamp. */
	__u8 room[2 * NA_ARGV_MAX + 64];
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, union scratch);
} scratch SEC(".maps");

static __always_inline void count_lost(__u32 slot)
{
	__u64 *n = bpf_map_lookup_elem(&lost, &slot);

	if (n)
		*n += 1;
}

/*
 * The current task's network namespace, when it is one to trace (0 otherwise). (Plain loads through
 * bpf_get_current_task_btf() would spare the three probe reads, but made the verifier 3-5 times slower:
 * a start-up cost paid every time, against ~100 ns per traced syscall.)
 */
static __always_inline __u32 watched_ns(void)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	__u32 ns = BPF_CORE_READ(t, nsproxy, net_ns, ns.inum);

	if (ns == 0)
		return 0; /* an exiting task has no nsproxy any more */
	if (all_but_ns)
		return ns != all_but_ns ? ns : 0;
	if (bpf_map_lookup_elem(&watched, &ns))
		return ns;
	if (follow_mode) {
		__u32 tgid = bpf_get_current_pid_tgid() >> 32;

		if (bpf_map_lookup_elem(&followed, &tgid))
			return ns;
	}
	return 0;
}

/* The current task's network namespace inode, watched or not (0 for an exiting task). */
static __always_inline __u32 current_ns(void)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();

	return BPF_CORE_READ(t, nsproxy, net_ns, ns.inum);
}

/* Follow mode: the path buffer of the exec being looked at, per CPU (too big for the stack). */
struct pathbuf {
	char p[256];
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pathbuf);
} pathbuf SEC(".maps");

/* Follow mode: whether the base name of the exec'd file (bprm->filename: the script itself for a #! script,
 * as the caller named it) is one of follow_names. The name is compared at the end of the path (its length is
 * known from the read), so no loop depends on the path's contents: the verifier walks 4 x 32 steps. */
static __always_inline bool follow_match(struct linux_binprm *bprm)
{
	__u32 zero = 0;
	struct pathbuf *b = bpf_map_lookup_elem(&pathbuf, &zero);
	const char *fn = BPF_CORE_READ(bprm, filename);
	long n;
	__u32 len;

	if (!b || !fn)
		return false;
	n = bpf_probe_read_kernel_str(b->p, sizeof(b->p), fn);
	if (n <= 1)
		return false;
	len = (n - 1) & (sizeof(b->p) - 1);
	for (__u32 k = 0; k < NA_FOLLOW_NAMES; k++) {
		__u32 l = follow_lens[k], off;
		bool same = true;

		if (l == 0 || l > len || l >= NA_FOLLOW_NAME_MAX)
			continue;
		off = len - l;
		if (off > 0 && b->p[(off - 1) & (sizeof(b->p) - 1)] != '/')
			continue;
		for (__u32 j = 0; j < NA_FOLLOW_NAME_MAX; j++) {
			if (j >= l)
				break;
			if (b->p[(off + j) & (sizeof(b->p) - 1)] != follow_names[k][j]) {
				same = false;
				break;
			}
		}
		if (same)
			return true;
	}
	return false;
}

/* Calls in flight (entries in `inflight`): on_sys_exit looks nothing up while it is 0, the usual case. */
__u64 inflight_n = 0;

static __always_inline void fill_head(struct na_head *h, __u16 kind, __u32 ns, __u64 ts, struct task_struct *t)
{
	__u64 id = bpf_get_current_pid_tgid();

	h->kind = kind;
	h->flags = 0;
	h->pid = id >> 32;
	h->tid = (__u32)id;
	h->ppid = BPF_CORE_READ(t, real_parent, tgid);
	h->netns = ns;
	h->pad = 0;
	h->ts = ts;
	bpf_get_current_comm(h->comm, sizeof(h->comm));
}

/* The kernel socket behind a file descriptor of the current task, or NULL when fd is not a socket. */
static __always_inline struct sock *fd_sock(struct task_struct *t, __u64 fd)
{
	struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
	struct file **fds;
	struct file *f = NULL;
	struct socket *so;
	__u32 mode;

	if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]) || !f)
		return NULL;
	mode = BPF_CORE_READ(f, f_inode, i_mode);
	if ((mode & S_IFMT) != S_IFSOCK)
		return NULL;
	so = BPF_CORE_READ(f, private_data);
	return so ? BPF_CORE_READ(so, sk) : NULL;
}

/* NA_CALL for an address argument (family AF_INET/AF_INET6/AF_UNIX only). True when a record was made or lost. */
static __always_inline bool rec_call(struct task_struct *t, __u32 ns, __u64 ts, __u16 sys, __u64 fd,
				     const void *uaddr, __u64 addrlen, __u16 index)
{
	struct na_call *e;
	struct sock *sk;
	__u16 fam = 0;
	__u32 n = addrlen;

	if (!uaddr || addrlen < 2 || addrlen > 0x7fffffff)
		return false;
	if (bpf_probe_read_user(&fam, sizeof(fam), uaddr))
		return false;
	if (fam != AF_UNIX && fam != AF_INET && fam != AF_INET6)
		return false;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost(NA_LOST_CALL_BASE + sys);
		return true;
	}
	fill_head(&e->h, NA_CALL, ns, ts, t);
	if (n > NA_SA_MAX) {
		n = NA_SA_MAX;
		e->h.flags |= NA_F_TRUNCATED;
	}
	e->sys = sys;
	e->sa_len = n;
	e->fd = fd;
	e->index = index;
	sk = fd_sock(t, fd);
	e->family = sk ? BPF_CORE_READ(sk, __sk_common.skc_family) : 0;
	e->type = sk ? BPF_CORE_READ(sk, sk_type) : 0;
	e->protocol = sk ? BPF_CORE_READ(sk, sk_protocol) : 0;
	/* A fixed-size read (the verifier wants a provable size; only the first sa_len bytes are printed),
	 * shorter ones when the cap would run past the end of the program's mapping. */
	__builtin_memset(e->sa, 0, sizeof(e->sa));
	if (bpf_probe_read_user(e->sa, NA_SA_MAX, uaddr) && bpf_probe_read_user(e->sa, 28, uaddr) &&
	    bpf_probe_read_user(e->sa, 16, uaddr))
		e->h.flags |= NA_F_FAULT;
	bpf_ringbuf_submit(e, 0);
	return true;
}

/* NA_CALL for listen(): the address the socket is bound to, written as the sockaddr bind() would take. */
static __always_inline bool rec_listen(struct task_struct *t, __u32 ns, __u64 ts, __u64 fd)
{
	struct sock *sk = fd_sock(t, fd);
	struct na_call *e;
	__u16 fam;

	if (!sk)
		return false;
	fam = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (fam != AF_UNIX && fam != AF_INET && fam != AF_INET6)
		return false;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost(NA_LOST_CALL_BASE + NA_SYS_LISTEN);
		return true;
	}
	fill_head(&e->h, NA_CALL, ns, ts, t);
	e->sys = NA_SYS_LISTEN;
	e->fd = fd;
	e->index = 0;
	e->family = fam;
	e->type = BPF_CORE_READ(sk, sk_type);
	e->protocol = BPF_CORE_READ(sk, sk_protocol);
	__builtin_memset(e->sa, 0, sizeof(e->sa));
	if (fam == AF_UNIX) {
		/* unix_sock.addr: {refcnt, len, sockaddr_un name}; NULL while unbound (listen autobinds later). */
		struct unix_address *ua = BPF_CORE_READ((struct unix_sock *)sk, addr);
		__u32 n = ua ? BPF_CORE_READ(ua, len) : 0;

		if (n > NA_SA_MAX)
			n = NA_SA_MAX;
		if (n >= 2)
			bpf_probe_read_kernel(e->sa, n, &ua->name);
		else
			n = 2;
		e->sa[0] = AF_UNIX;
		e->sa_len = n;
	} else {
		__u16 port = BPF_CORE_READ(sk, __sk_common.skc_num);

		e->sa[0] = fam;
		e->sa[2] = port >> 8; /* network byte order, as in a sockaddr */
		e->sa[3] = port & 0xff;
		if (fam == AF_INET) {
			bpf_core_read(&e->sa[4], 4, &sk->__sk_common.skc_rcv_saddr);
			e->sa_len = 16;
		} else {
			bpf_core_read(&e->sa[8], 16, &sk->__sk_common.skc_v6_rcv_saddr);
			e->sa_len = 28;
		}
	}
	bpf_ringbuf_submit(e, 0);
	return true;
}

/* NA_IFENUM for a netlink route request whose header is at ubuf. */
static __always_inline bool rec_netlink(struct task_struct *t, __u32 ns, __u64 ts, __u16 sys, __u64 fd,
					const void *ubuf, __u64 len)
{
	struct {
		__u32 len;
		__u16 type;
		__u16 flags;
		__u32 seq;
		__u32 pid;
		__u8 family;
	} nl = {};
	struct na_ifenum *e;

	if (!ubuf || len < 16 || bpf_probe_read_user(&nl, len > 16 ? 17 : 16, ubuf))
		return false;
	if (nl.type != RTM_GETLINK && nl.type != RTM_GETADDR)
		return false;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost(NA_IFENUM);
		return true;
	}
	fill_head(&e->h, NA_IFENUM, ns, ts, t);
	e->sys = sys;
	e->nl_type = nl.type;
	e->nl_flags = nl.flags;
	e->nl_family = nl.family;
	e->pad = 0;
	e->fd = fd;
	e->ioctl_cmd = 0;
	__builtin_memset(e->ifname, 0, sizeof(e->ifname));
	bpf_ringbuf_submit(e, 0);
	return true;
}

/*
 * A send of `len` bytes at ubuf on fd, to uaddr (or to the socket's peer when uaddr is NULL): a DNS payload
 * (UDP to port 53) or a netlink route request. True when a record was made or lost.
 */
static __always_inline bool inspect_send(struct task_struct *t, __u32 ns, __u64 ts, __u16 sys, __u64 fd,
					 const void *ubuf, __u64 len, const void *uaddr, __u64 addrlen, __u16 index)
{
	struct sock *sk = fd_sock(t, fd);
	struct na_dns *e;
	__u32 zero = 0;
	__u64 n, size;
	__u16 fam, proto, port = 0;

	if (!sk)
		return false;
	fam = BPF_CORE_READ(sk, __sk_common.skc_family);
	proto = BPF_CORE_READ(sk, sk_protocol);
	if (fam == AF_NETLINK)
		return proto == NETLINK_ROUTE && rec_netlink(t, ns, ts, sys, fd, ubuf, len);
	if ((fam != AF_INET && fam != AF_INET6) || BPF_CORE_READ(sk, sk_type) != SOCK_DGRAM ||
	    (proto != IPPROTO_UDP && proto != IPPROTO_UDPLITE))
		return false;

	e = bpf_map_lookup_elem(&scratch, &zero);
	if (!e)
		return false;
	__builtin_memset(e->sa, 0, sizeof(e->sa));
	if (uaddr && addrlen >= 4) {
		/* The destination named in the call: family (2 bytes), port (2 bytes, network order), address. */
		size = addrlen >= 28 ? 28 : (addrlen >= 16 ? 16 : 4);
		if (bpf_probe_read_user(e->sa, size, uaddr))
			return false;
		port = *(__u16 *)&e->sa[2];
	} else {
		/* A connected socket: its peer. */
		port = BPF_CORE_READ(sk, __sk_common.skc_dport);
		if (port != DNS_PORT_BE)
			return false;
		e->sa[0] = fam;
		*(__u16 *)&e->sa[2] = port;
		if (fam == AF_INET) {
			bpf_core_read(&e->sa[4], 4, &sk->__sk_common.skc_daddr);
			size = 16;
		} else {
			bpf_core_read(&e->sa[8], 16, &sk->__sk_common.skc_v6_daddr);
			size = 28;
		}
	}
	if (port != DNS_PORT_BE)
		return false;

	fill_head(&e->h, NA_DNS, ns, ts, t);
	if (!uaddr || addrlen < 4)
		e->h.flags |= NA_F_PEER;
	e->sys = sys;
	e->sa_len = size;
	e->fd = fd;
	e->index = index;
	e->pad = 0;
	e->len = len;
	n = len;
	if (len > NA_DNS_MAX) {
		n = NA_DNS_MAX;
		e->h.flags |= NA_F_TRUNCATED;
	}
	BOUND(n, 0x3ff); /* n <= 512 already; the verifier sees <= 1023, inside the scratch value */
	if (n && bpf_probe_read_user(e->payload, n, ubuf)) {
		e->h.flags |= NA_F_FAULT;
		n = 0;
	}
	size = offsetof(struct na_dns, payload) + n;
	BOUND(size, 0x7ff);
	if (bpf_ringbuf_output(&events, e, size, 0))
		count_lost(NA_DNS);
	return true;
}

/*
 * The call being recorded, for the global functions below. They are verified once each, on their own,
 * instead of once per call site inlined into on_sys_enter (sendmmsg alone has eight): that halved the
 * verifier's time, which is most of the loader's start-up. A BPF function takes at most five scalar
 * arguments, so the rest of the call's context is kept here, per CPU (a raw tracepoint program runs to
 * its end on one CPU; nothing else of ours runs in between).
 */
struct callctx {
	__u64 ts;
	__u64 fd;
	__u32 ns;
	__u16 sys;
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct callctx);
} cctx SEC(".maps");

static __always_inline struct callctx *cur_call(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&cctx, &zero);
}

/* rec_call for the current call: 1 when a record was made or lost. */
__noinline int g_call(__u64 uaddr, __u64 addrlen, __u32 index)
{
	struct callctx *c = cur_call();

	if (!c)
		return 0;
	return rec_call((struct task_struct *)bpf_get_current_task(), c->ns, c->ts, c->sys, c->fd, (void *)uaddr,
			addrlen, index);
}

/* inspect_send for the current call: 1 when a record was made or lost. */
__noinline int g_send(__u64 ubuf, __u64 len, __u64 uaddr, __u64 addrlen, __u32 index)
{
	struct callctx *c = cur_call();

	if (!c)
		return 0;
	return inspect_send((struct task_struct *)bpf_get_current_task(), c->ns, c->ts, c->sys, c->fd, (void *)ubuf,
			    len, (void *)uaddr, addrlen, index);
}

/* What sendmsg()/sendmmsg() carry: destination and first buffer of one message header. */
__noinline int g_msghdr(__u64 um, __u32 index, __u32 payload)
{
	struct user_msghdr m;
	struct iovec iov = {};
	int any = 0;

	if (bpf_probe_read_user(&m, sizeof(m), (void *)um))
		return 0;
	if (m.msg_name && index < NA_MMSG_ADDRS)
		any |= g_call((__u64)m.msg_name, (__u32)m.msg_namelen, index);
	if (payload && m.msg_iovlen > 0 && !bpf_probe_read_user(&iov, sizeof(iov), m.msg_iov))
		any |= g_send((__u64)iov.iov_base, iov.iov_len, (__u64)m.msg_name, m.msg_name ? (__u32)m.msg_namelen : 0,
			      index);
	return any;
}

/* NA_IFENUM for a SIOCGIF* ioctl (SIOCGIFCONF lists interfaces; the others ask about one by name). */
static __always_inline bool rec_ioctl(struct task_struct *t, __u32 ns, __u64 ts, __u64 fd, __u32 cmd,
				      const void *uarg)
{
	struct na_ifenum *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		count_lost(NA_IFENUM);
		return true;
	}
	fill_head(&e->h, NA_IFENUM, ns, ts, t);
	e->sys = NA_SYS_IOCTL;
	e->nl_type = 0;
	e->nl_flags = 0;
	e->nl_family = 0;
	e->pad = 0;
	e->fd = fd;
	e->ioctl_cmd = cmd;
	__builtin_memset(e->ifname, 0, sizeof(e->ifname));
	/* struct ifreq starts with ifr_name[IFNAMSIZ]; struct ifconf (SIOCGIFCONF) does not name one. */
	if (cmd != SIOCGIFCONF && uarg && bpf_probe_read_user(e->ifname, sizeof(e->ifname), uarg))
		e->h.flags |= NA_F_FAULT;
	bpf_ringbuf_submit(e, 0);
	return true;
}

SEC("raw_tp/sys_enter")
int BPF_PROG(on_sys_enter, struct pt_regs *regs, long id)
{
	struct task_struct *t;
	struct callctx *c;
	struct inflight in;
	__u64 a0, a1, a2, a4, a5, ts;
	__u32 ns, tid;
	__u16 sys;
	int any = 0;

	/* Most syscalls leave here: a switch on the number, before anything is read. */
	switch (id) {
	case NR_connect: sys = NA_SYS_CONNECT; break;
	case NR_sendto: sys = NA_SYS_SENDTO; break;
	case NR_sendmsg: sys = NA_SYS_SENDMSG; break;
	case NR_sendmmsg: sys = NA_SYS_SENDMMSG; break;
	case NR_bind: sys = NA_SYS_BIND; break;
	case NR_listen: sys = NA_SYS_LISTEN; break;
	case NR_write: sys = NA_SYS_WRITE; break;
	case NR_ioctl: sys = NA_SYS_IOCTL; break;
	default: return 0;
	}
	ns = watched_ns();
	if (!ns)
		return 0;
	if ((BPF_CORE_READ(regs, cs) & 0xffff) != USER_CS_64)
		return 0;
	if (id == NR_ioctl) {
		__u32 cmd = BPF_CORE_READ(regs, si);

		if (cmd < SIOCGIFNAME || cmd >= SIOCGIF_LAST)
			return 0;
	}
	t = (struct task_struct *)bpf_get_current_task();

	/* x86_64 syscall arguments: di, si, dx, r10, r8, r9. */
	a0 = BPF_CORE_READ(regs, di);
	a1 = BPF_CORE_READ(regs, si);
	a2 = BPF_CORE_READ(regs, dx);
	a4 = BPF_CORE_READ(regs, r8);
	a5 = BPF_CORE_READ(regs, r9);
	ts = bpf_ktime_get_ns();

	c = cur_call();
	if (!c)
		return 0;
	c->ts = ts;
	c->fd = a0;
	c->ns = ns;
	c->sys = sys;

	switch (id) {
	case NR_connect:
	case NR_bind:
		/* (fd, addr, addrlen) */
		any = g_call(a1, (__u32)a2, 0);
		break;
	case NR_listen:
		any = rec_listen(t, ns, ts, a0);
		break;
	case NR_sendto:
		/* (fd, buf, len, flags, addr, addrlen); send() is sendto() with no address */
		if (a4)
			any = g_call(a4, (__u32)a5, 0);
		any |= g_send(a1, a2, a4, a4 ? (__u32)a5 : 0, 0);
		break;
	case NR_write:
		/* (fd, buf, count): only a DNS payload on a connected UDP socket or a netlink request counts */
		any = g_send(a1, a2, 0, 0, 0);
		break;
	case NR_sendmsg:
		/* (fd, msghdr, flags) */
		any = g_msghdr(a1, 0, 1);
		break;
	case NR_sendmmsg: {
		/* (fd, mmsghdr[], vlen, flags): struct mmsghdr is a user_msghdr and the count sent */
		__u32 vlen = a2;

		for (__u32 i = 0; i < NA_MMSG_ADDRS; i++) {
			if (i >= vlen)
				break;
			any |= g_msghdr(a1 + i * sizeof(struct mmsghdr), i, i < NA_MMSG_DNS);
		}
		break;
	}
	case NR_ioctl:
		any = rec_ioctl(t, ns, ts, a0, (__u32)a1, (void *)a2);
		break;
	}
	if (!any)
		return 0;
	/* Something was recorded (or lost): its return will be too. */
	tid = (__u32)bpf_get_current_pid_tgid();
	in.ts = ts;
	in.sys = sys;
	if (!bpf_map_update_elem(&inflight, &tid, &in, BPF_NOEXIST))
		__sync_fetch_and_add(&inflight_n, 1);
	else
		bpf_map_update_elem(&inflight, &tid, &in, BPF_EXIST); /* a stale entry of this thread */
	return 0;
}

SEC("raw_tp/sys_exit")
int BPF_PROG(on_sys_exit, struct pt_regs *regs, long ret)
{
	struct inflight *in;
	struct na_ret *e;
	__u32 tid;
	long id;

	/* Nothing in flight (the usual case): every syscall of the machine leaves here, having read nothing. */
	if (!inflight_n)
		return 0;
	id = BPF_CORE_READ(regs, orig_ax);
	switch (id) {
	case NR_connect: case NR_sendto: case NR_sendmsg: case NR_sendmmsg: case NR_bind: case NR_listen:
	case NR_write: case NR_ioctl:
		break;
	default:
		return 0;
	}
	tid = (__u32)bpf_get_current_pid_tgid();
	in = bpf_map_lookup_elem(&inflight, &tid);
	if (!in)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost(NA_RET);
	} else {
		struct task_struct *t = (struct task_struct *)bpf_get_current_task();

		fill_head(&e->h, NA_RET, BPF_CORE_READ(t, nsproxy, net_ns, ns.inum), bpf_ktime_get_ns(), t);
		e->sys = in->sys;
		e->pad = 0;
		e->pad2 = 0;
		e->ret = ret;
		e->enter = in->ts;
		bpf_ringbuf_submit(e, 0);
	}
	if (!bpf_map_delete_elem(&inflight, &tid))
		__sync_fetch_and_add(&inflight_n, -1);
	return 0;
}

/* Follow mode: a seed's environment record, one slot per CPU (32 KiB; twice that for the verifier's masked
 * size: more than a per-CPU map value may hold, hence a plain array indexed by the CPU; the loader sizes it). */
union envbuf {
	struct na_env env;
	__u8 room[2 * NA_ENV_MAX + 64];
};
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, union envbuf);
} envbuf SEC(".maps");

/* Follow mode: NA_ENV for the current task (a seed), its environment as its new image has it. */
static __always_inline void rec_env(struct task_struct *t, __u32 ns)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct na_env *e = bpf_map_lookup_elem(&envbuf, &cpu);
	__u64 start, end, n, size;

	if (!e)
		return;
	fill_head(&e->h, NA_ENV, ns, bpf_ktime_get_ns(), t);
	start = BPF_CORE_READ(t, mm, env_start);
	end = BPF_CORE_READ(t, mm, env_end);
	e->env_len = end > start ? end - start : 0;
	e->pad = 0;
	n = e->env_len;
	if (n > NA_ENV_MAX) {
		n = NA_ENV_MAX;
		e->h.flags |= NA_F_TRUNCATED;
	}
	BOUND(n, 0xffff); /* n <= 32768 already; the verifier sees <= 65535, inside the value */
	if (n && bpf_probe_read_user(e->env, n, (void *)start)) {
		e->h.flags |= NA_F_FAULT;
		n = 0;
	}
	size = offsetof(struct na_env, env) + n;
	BOUND(size, 0x1ffff);
	if (size > sizeof(union envbuf))
		return;
	if (bpf_ringbuf_output(&events, e, size, seed_wakeup()))
		count_lost(NA_ENV);
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	__u32 ns = watched_ns(), zero = 0;
	__u64 start, end, n, size;
	struct na_exec *e;
	bool seed = false;

	if (!ns && follow_mode && follow_match(bprm)) {
		/* A process to follow from now on: it, and through its forks every descendant. */
		__u32 tgid = bpf_get_current_pid_tgid() >> 32;
		__u8 mark = FOLLOWED_SEED;

		ns = current_ns();
		if (!ns || bpf_map_update_elem(&followed, &tgid, &mark, BPF_ANY))
			return 0;
		seed = true;
	}
	if (!ns)
		return 0;
	e = bpf_map_lookup_elem(&scratch, &zero);
	if (!e)
		return 0;
	fill_head(&e->h, NA_EXEC, ns, bpf_ktime_get_ns(), t);
	if (seed)
		e->h.flags |= NA_F_SEED;
	/* The new image's argv lies NUL-separated between mm->arg_start and arg_end, written by the kernel. */
	start = BPF_CORE_READ(t, mm, arg_start);
	end = BPF_CORE_READ(t, mm, arg_end);
	e->argv_len = end > start ? end - start : 0;
	e->pad = 0;
	n = e->argv_len;
	if (n > NA_ARGV_MAX) {
		n = NA_ARGV_MAX;
		e->h.flags |= NA_F_TRUNCATED;
	}
	BOUND(n, 0x1fff); /* n <= 4096 already; the verifier sees <= 8191, inside the scratch value */
	if (n && bpf_probe_read_user(e->argv, n, (void *)start)) {
		e->h.flags |= NA_F_FAULT;
		n = 0;
	}
	size = offsetof(struct na_exec, argv) + n;
	BOUND(size, 0x3fff);
	if (size > sizeof(union scratch))
		return 0;
	if (bpf_ringbuf_output(&events, e, size, seed ? seed_wakeup() : proc_wakeup()))
		count_lost(NA_EXEC);
	if (seed)
		rec_env(t, ns);
	return 0;
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct na_fork *e;
	__u32 ns;

	if (BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid))
		return 0; /* a thread */
	ns = watched_ns();
	if (!ns)
		return 0;
	if (follow_mode) {
		__u32 ptgid = bpf_get_current_pid_tgid() >> 32, ctgid = BPF_CORE_READ(child, tgid);
		__u8 one = 1;

		/* The parent is followed (not only watched by namespace): so is the child, from its first moment. */
		if (bpf_map_lookup_elem(&followed, &ptgid))
			bpf_map_update_elem(&followed, &ctgid, &one, BPF_ANY);
	}
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost(NA_FORK);
		return 0;
	}
	fill_head(&e->h, NA_FORK, ns, bpf_ktime_get_ns(), t);
	e->child = BPF_CORE_READ(child, tgid);
	e->pad = 0;
	e->clone_flags = 0;
	bpf_ringbuf_submit(e, proc_wakeup());
	return 0;
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(on_task_exit, struct task_struct *p)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct na_exit *e;
	__u64 wake;
	__u8 *mark;
	__u32 ns;

	/* A thread that dies inside a recorded call never returns from it. */
	if (inflight_n && !bpf_map_delete_elem(&inflight, &tid))
		__sync_fetch_and_add(&inflight_n, -1);
	/* signal->live was decremented just before this tracepoint: 0 means the whole process is gone. */
	if (BPF_CORE_READ(t, signal, live.counter) != 0)
		return 0;
	ns = watched_ns();
	if (!ns)
		return 0;
	/* A phase's end is read at once (the reader reads its files through the phase's root while the runner's
	 * mount namespace, e.g. a chroot's tmpfs, still exists); any other process's waits with --lazy-proc. */
	mark = follow_mode ? bpf_map_lookup_elem(&followed, &tgid) : NULL;
	wake = mark && *mark == FOLLOWED_SEED ? seed_wakeup() : proc_wakeup();
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost(NA_EXIT);
	} else {
		fill_head(&e->h, NA_EXIT, ns, bpf_ktime_get_ns(), t);
		e->exit_code = BPF_CORE_READ(t, exit_code);
		e->pad = 0;
		bpf_ringbuf_submit(e, wake);
	}
	if (follow_mode) {
		/* Written (or lost) its exit: no longer followed; its pid may be reused by anyone. */
		bpf_map_delete_elem(&followed, &tgid);
	}
	return 0;
}

/* One program for the five resolver functions; the attach cookie says which one (enum na_fn). All take the
 * name as their first argument. */
SEC("uprobe")
int BPF_KPROBE(on_resolve, const char *name)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct na_resolve *e;
	__u32 ns = watched_ns();
	long n;

	if (!ns)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost(NA_RESOLVE);
		return 0;
	}
	fill_head(&e->h, NA_RESOLVE, ns, bpf_ktime_get_ns(), t);
	e->fn = bpf_get_attach_cookie(ctx);
	e->pad = 0;
	n = name ? bpf_probe_read_user_str(e->name, sizeof(e->name), name) : 0;
	if (n < 0) {
		e->h.flags |= NA_F_FAULT;
		n = 0;
	} else if (n > 0) {
		n -= 1; /* the NUL */
		if (n == sizeof(e->name) - 1)
			e->h.flags |= NA_F_TRUNCATED; /* maybe longer: the cap was reached */
	}
	e->len = n;
	bpf_ringbuf_submit(e, 0);
	return 0;
}
