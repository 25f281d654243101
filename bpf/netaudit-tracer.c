// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * netaudit-tracer: the loader of netaudit's compiled tracer (kernel side: netaudit.bpf.c; shared records:
 * netaudit.h). Built by bpf/Makefile into dist/bpf/netaudit-tracer. Needs root (CAP_BPF, CAP_PERFMON,
 * CAP_SYS_ADMIN) and a kernel with BTF (/sys/kernel/btf/vmlinux).
 *
 * USAGE
 *   netaudit-tracer [--watch INODE]... [--all-ns-but INODE] [--follow-exec NAME]... [--follow-env VAR]...
 *                   [--libc PATH | --no-libc] [--ringbuf-kib N] [--lazy-proc] [--timing]
 *   --watch INODE       trace this network namespace from the start (more can be added on stdin)
 *   --all-ns-but INODE  trace every network namespace but this one (netaudit's own); `watch` is then moot
 *   --follow-exec NAME  follow mode (`netaudit watch`): trace, in any namespace, every process that execs a
 *                       file whose base name is NAME (at most 4 names of at most 31 bytes), and its
 *                       descendants (inherited on fork, dropped at exit); filtered in the kernel. Such an
 *                       exec line carries "seed":true, and "env" (below) when --follow-env names variables
 *   --follow-env VAR    with --follow-exec: the variables (at most 32) of a seed's environment to print in the
 *                       env line that follows its exec line (without any: the env line names none)
 *   --libc PATH         the libc whose resolver functions get uprobes (default: the libc this loader runs
 *                       with, from /proc/self/maps); --no-libc: no uprobes
 *   --ringbuf-kib N     ring buffer size in KiB, a power of two >= 4 (default 8192 = 8 MiB)
 *   --no-uprobe-multi   one classic uprobe link per resolver function (what a kernel before 6.6 gets
 *                       anyway): ~80 ms more detach per function, one after the other
 *   --lazy-proc         exec, fork and exit lines only of processes something needs: a process's (and its
 *                       ancestors') before its first call/dns/resolve/ifenum line, then its own as they come;
 *                       after an ifenum line also those of all its descendants; follow mode's seeds always.
 *                       The rest is held in a bounded table and dropped (see "--lazy-proc" below; a record
 *                       the table has no room for is counted in the loss slot "proc"). exec/fork/exit records
 *                       then wake the loader no more: they are read with the next record that does, or
 *                       within 200 ms. sync and stop lines carry "lazy":{...} (below)
 *   --timing            after detaching, write {"t":"detached","ms":M,"links":[..],"uprobeMulti":U} to
 *                       stderr (M: from the stop request to every link closed; then each link's close)
 *   netaudit-tracer --version
 *                       prints "netaudit-tracer 1 libbpf MAJOR.MINOR" (the contract's version, the libbpf it
 *                       runs with) and exits 0, touching nothing: no root, no BTF. `netaudit doctor` and the
 *                       packages' checks run it to see that the loader starts on this machine (its shared
 *                       libraries, its architecture, its C library).
 *
 * CONTRACT (stdout: one JSON object per line; stdin: one command per line)
 *   The first line is either {"t":"ready",...} once every program is attached, or nothing and an exit
 *   status 2 with one line on stderr ("netaudit-tracer: ...") saying what failed. ready carries:
 *     "version":1, "loadMs" (open + verify + load), "attachMs" (attaching every program), "startMs" (from
 *     main() to ready), "probes":[names attached], "missing":[{"probe","error"}] (uprobes that could not
 *     be attached: a libc without that symbol), "libc" (hex), "btf" ("minimal": the build's BTF for this
 *     kernel; "kernel": the kernel's whole BTF, slower to load), "ringKiB", "argvMax", "dnsMax", "nameMax".
 *   Events, in the order the kernel recorded them (one ring buffer for all CPUs):
 *     common fields: "t" (kind), "ts" (CLOCK_REALTIME, epoch milliseconds with microsecond precision, the
 *     clock of pcap timestamps; for calls the time of entry), "pid" (tgid), "tid", "ppid", "ns" (network
 *     namespace inode), "comm" (hex); "trunc":true when a byte field was cut at its cap, "fault":true when
 *     the program's memory could not be read (the field is then empty).
 *     call     a socket call naming an address: "sys" (connect|sendto|sendmsg|sendmmsg|bind|listen), "fd",
 *              "fam"/"type"/"proto" of the socket (sk_family, sk_type, sk_protocol), "sa" (hex of the
 *              sockaddr as passed; for listen, the bound address), "i" (sendmmsg: the message index)
 *     ret      the return of a call that produced call/dns/ifenum lines: "sys", "enter" (the ts of those
 *              lines: (tid, enter) names the call), "ret" (>= 0, or -errno), "us" (time in the call)
 *     exec     "argv" (hex, NUL separated, at most argvMax bytes), "argvLen" (its real length); follow mode:
 *              "seed":true on the exec that started following its process; an env line follows it
 *     env      follow mode, right after a seed's exec line: "envLen" (the environment block's real length;
 *              the kernel reads its first 32 KiB at the exec, "trunc":true beyond), "env" (hex, NUL-separated
 *              VAR=VALUE of the variables --follow-env names, in the block's order)
 *     fork     "child" (pid of the new process)
 *     exit     "code" (the wait status: exit code << 8, or the signal)
 *     dns      a UDP send to port 53: "sys" (sendto|sendmsg|sendmmsg|write), "fd", "sa" (hex sockaddr of
 *              the destination), "peer":true when it is the connected socket's peer, "len" (payload
 *              length), "payload" (hex, at most dnsMax bytes), "i" (sendmmsg index)
 *     resolve  "fn" (getaddrinfo|gethostbyname|gethostbyname2|gethostbyname_r|gethostbyname2_r), "name" (hex)
 *     ifenum   "how":"netlink" with "sys", "fd", "msg" (18 RTM_GETLINK, 22 RTM_GETADDR), "flags", "family";
 *              or "how":"ioctl" with "fd", "cmd" (0x8912 SIOCGIFCONF, ...), "ifname" (hex, "" for
 *              SIOCGIFCONF)
 *   Byte strings from traced programs are never printed raw: always lowercase hex, two digits per byte.
 *   Commands (stdin):
 *     watch INODE     add a network namespace to the in-kernel filter; answered {"t":"ack","cmd":"watch","ns":N}
 *     unwatch INODE   remove it; answered {"t":"ack","cmd":"unwatch","ns":N}
 *     follow PID      follow mode: follow this process (and its future children) from now on; answered
 *                     {"t":"ack","cmd":"follow","pid":N}
 *     unfollow PID    follow mode: no longer follow it (children it forks from now on are not followed;
 *                     those already forked still are); answered {"t":"ack","cmd":"unfollow","pid":N}
 *     sync ID         ID: 1-64 of [A-Za-z0-9._:-]. Reads everything the kernel has committed so far, then
 *                     prints {"t":"sync","id":"ID","lost":{SLOT:N,...},"lostTotal":N,"records":R}: every
 *                     record of a call that completed before the command was sent comes before it.
 *                     lost: records the ring buffer had no room for since the start, per slot (connect,
 *                     sendto, ..., ret, exec, fork, exit, dns, resolve, ifenum); records: lines printed.
 *     anything else   {"t":"error","message":"..."} and the loader goes on.
 *   EOF on stdin, SIGTERM or SIGINT: stop. Prints {"t":"stop","reason":"eof"|"signal","lost":{...},
 *   "lostTotal":N,"records":R} after the last event, closes stdout (so the reader is done at once), then
 *   detaches every program, the links closed concurrently (each detach waits for an RCU grace period; one
 *   after the other they would add up), and exits 0. It also stops when its parent dies (PR_SET_PDEATHSIG)
 *   and when stdout is closed. Nothing is pinned: when the process is gone, so are the programs and maps.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>
#include <linux/types.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "netaudit.h"
#include "netaudit.skel.h"

#define MAX_LINKS 16

static const char *const SYS_NAMES[NA_SYS_MAX] = {
	[NA_SYS_CONNECT] = "connect", [NA_SYS_SENDTO] = "sendto", [NA_SYS_SENDMSG] = "sendmsg",
	[NA_SYS_SENDMMSG] = "sendmmsg", [NA_SYS_BIND] = "bind", [NA_SYS_LISTEN] = "listen",
	[NA_SYS_WRITE] = "write", [NA_SYS_IOCTL] = "ioctl",
};
static const char *const KIND_NAMES[NA_KIND_MAX] = {
	[NA_CALL] = "call", [NA_RET] = "ret", [NA_EXEC] = "exec", [NA_FORK] = "fork", [NA_EXIT] = "exit",
	[NA_DNS] = "dns", [NA_RESOLVE] = "resolve", [NA_IFENUM] = "ifenum", [NA_ENV] = "env",
};
static const char *const FN_NAMES[NA_FN_MAX] = {
	[NA_FN_GETADDRINFO] = "getaddrinfo", [NA_FN_GETHOSTBYNAME] = "gethostbyname",
	[NA_FN_GETHOSTBYNAME2] = "gethostbyname2", [NA_FN_GETHOSTBYNAME_R] = "gethostbyname_r",
	[NA_FN_GETHOSTBYNAME2_R] = "gethostbyname2_r",
};

static struct {
	__u32 watch[64];
	int nwatch;
	__u32 all_but;
	const char *libc;
	bool no_libc;
	bool no_multi;
	unsigned ring_kib;
	bool timing;
	const char *follow[NA_FOLLOW_NAMES];
	int nfollow;
	const char *env[32];
	int nenv;
	bool lazy;
} opt = { .ring_kib = 8192 };

static struct netaudit *skel;
static struct bpf_link *links[MAX_LINKS];
static int nlinks;
static __s64 mono_to_real_ns;   /* CLOCK_REALTIME - CLOCK_MONOTONIC, measured once at start */
static unsigned long long records;
static bool out_broken;
static bool use_multi;           /* the resolver uprobes are one uprobe_multi link (multi_fd) */
static int multi_fd = -1;

/* ---- output ---- */

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("netaudit-tracer: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void hex(const void *data, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *p = data;
	char buf[256];
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		buf[k++] = digits[p[i] >> 4];
		buf[k++] = digits[p[i] & 15];
		if (k == sizeof(buf)) {
			fwrite(buf, 1, k, stdout);
			k = 0;
		}
	}
	fwrite(buf, 1, k, stdout);
}

/* A bpf_ktime_get_ns() value as epoch milliseconds with three decimals (microseconds). */
static void print_time(const char *key, __u64 mono)
{
	unsigned long long us = (unsigned long long)((__s64)mono + mono_to_real_ns) / 1000;

	printf(",\"%s\":%llu.%03llu", key, us / 1000, us % 1000);
}

static void print_head(const char *kind, const struct na_head *h)
{
	printf("{\"t\":\"%s\"", kind);
	print_time("ts", h->ts);
	printf(",\"pid\":%u,\"tid\":%u,\"ppid\":%u,\"ns\":%u,\"comm\":\"", h->pid, h->tid, h->ppid, h->netns);
	hex(h->comm, strnlen(h->comm, sizeof(h->comm)));
	fputc('"', stdout);
	if (h->flags & NA_F_TRUNCATED)
		fputs(",\"trunc\":true", stdout);
	if (h->flags & NA_F_FAULT)
		fputs(",\"fault\":true", stdout);
}

static const char *sys_name(unsigned sys)
{
	return sys < NA_SYS_MAX && SYS_NAMES[sys] ? SYS_NAMES[sys] : "unknown";
}

/* Ring buffer callback: one record -> one line. A record shorter than its kind says is skipped. */
/*
 * Follow mode: the variables --follow-env names, from a seed's environment block as the kernel read it at the
 * exec (NA_ENV: the new image's initial environment, whatever the process sets later; right inside a chroot or
 * another mount namespace, and never too late: a /proc/PID/environ read after the record arrived was, for a
 * short phase on a busy machine), printed as ,"env":"hex" (NUL-separated VAR=VALUE, in the block's order).
 */
static void print_env_vars(const __u8 *env, size_t len)
{
	static char out[NA_ENV_MAX];
	size_t nout = 0;

	for (size_t i = 0; i < len;) {
		const char *kv = (const char *)env + i;
		size_t l = strnlen(kv, len - i);

		for (int k = 0; k < opt.nenv; k++) {
			size_t nl = strlen(opt.env[k]);

			if (l > nl && kv[nl] == '=' && !strncmp(kv, opt.env[k], nl) && nout + l + 1 <= sizeof(out)) {
				memcpy(out + nout, kv, l);
				nout += l;
				out[nout++] = 0;
				break;
			}
		}
		i += l + 1;
	}
	fputs(",\"env\":\"", stdout);
	hex(out, nout);
	fputs("\"", stdout);
}

static int print_record(const void *data, size_t size)
{
	const struct na_head *h = data;

	if (size < sizeof(*h))
		return 0;
	switch (h->kind) {
	case NA_CALL: {
		const struct na_call *e = data;

		if (size < sizeof(*e))
			return 0;
		print_head("call", h);
		printf(",\"sys\":\"%s\",\"fd\":%d,\"fam\":%u,\"type\":%u,\"proto\":%u,\"i\":%u,\"sa\":\"", sys_name(e->sys),
		       e->fd, e->family, e->type, e->protocol, e->index);
		hex(e->sa, e->sa_len < NA_SA_MAX ? e->sa_len : NA_SA_MAX);
		fputs("\"}\n", stdout);
		break;
	}
	case NA_RET: {
		const struct na_ret *e = data;

		if (size < sizeof(*e))
			return 0;
		print_head("ret", h);
		printf(",\"sys\":\"%s\"", sys_name(e->sys));
		print_time("enter", e->enter);
		printf(",\"ret\":%lld,\"us\":%llu}\n", (long long)e->ret,
		       (unsigned long long)(h->ts > e->enter ? (h->ts - e->enter) / 1000 : 0));
		break;
	}
	case NA_EXEC: {
		const struct na_exec *e = data;
		size_t n = size - offsetof(struct na_exec, argv);

		if (size < offsetof(struct na_exec, argv))
			return 0;
		print_head("exec", h);
		printf(",\"argvLen\":%u,\"argv\":\"", e->argv_len);
		hex(e->argv, n < NA_ARGV_MAX ? n : NA_ARGV_MAX);
		fputs("\"", stdout);
		if (h->flags & NA_F_SEED)
			fputs(",\"seed\":true", stdout);
		fputs("}\n", stdout);
		break;
	}
	case NA_FORK: {
		const struct na_fork *e = data;

		if (size < sizeof(*e))
			return 0;
		print_head("fork", h);
		printf(",\"child\":%u}\n", e->child);
		break;
	}
	case NA_EXIT: {
		const struct na_exit *e = data;

		if (size < sizeof(*e))
			return 0;
		print_head("exit", h);
		printf(",\"code\":%d}\n", e->exit_code);
		break;
	}
	case NA_DNS: {
		const struct na_dns *e = data;
		size_t n = size - offsetof(struct na_dns, payload);

		if (size < offsetof(struct na_dns, payload))
			return 0;
		print_head("dns", h);
		printf(",\"sys\":\"%s\",\"fd\":%d,\"i\":%u,\"peer\":%s,\"sa\":\"", sys_name(e->sys), e->fd, e->index,
		       h->flags & NA_F_PEER ? "true" : "false");
		hex(e->sa, e->sa_len < sizeof(e->sa) ? e->sa_len : sizeof(e->sa));
		printf("\",\"len\":%u,\"payload\":\"", e->len);
		hex(e->payload, n < NA_DNS_MAX ? n : NA_DNS_MAX);
		fputs("\"}\n", stdout);
		break;
	}
	case NA_RESOLVE: {
		const struct na_resolve *e = data;

		if (size < sizeof(*e))
			return 0;
		print_head("resolve", h);
		printf(",\"fn\":\"%s\",\"name\":\"", e->fn < NA_FN_MAX && FN_NAMES[e->fn] ? FN_NAMES[e->fn] : "unknown");
		hex(e->name, e->len < NA_NAME_MAX ? e->len : NA_NAME_MAX);
		fputs("\"}\n", stdout);
		break;
	}
	case NA_IFENUM: {
		const struct na_ifenum *e = data;

		if (size < sizeof(*e))
			return 0;
		print_head("ifenum", h);
		if (e->sys == NA_SYS_IOCTL) {
			printf(",\"how\":\"ioctl\",\"sys\":\"ioctl\",\"fd\":%d,\"cmd\":%u,\"ifname\":\"", e->fd, e->ioctl_cmd);
			hex(e->ifname, strnlen(e->ifname, sizeof(e->ifname)));
			fputs("\"}\n", stdout);
		} else {
			printf(",\"how\":\"netlink\",\"sys\":\"%s\",\"fd\":%d,\"msg\":%u,\"flags\":%u,\"family\":%u}\n",
			       sys_name(e->sys), e->fd, e->nl_type, e->nl_flags, e->nl_family);
		}
		break;
	}
	case NA_ENV: {
		const struct na_env *e = data;
		size_t n = size - offsetof(struct na_env, env);

		if (size < offsetof(struct na_env, env))
			return 0;
		print_head("env", h);
		printf(",\"envLen\":%u", e->env_len);
		print_env_vars(e->env, n < NA_ENV_MAX ? n : NA_ENV_MAX);
		fputs("}\n", stdout);
		break;
	}
	default:
		return 0;
	}
	records++;
	return 0;
}

/*
 * ---- --lazy-proc: process records on demand ----
 *
 * A build execs hundreds of short processes (Portage's phases: bash, sed, python, ...) that never touch the
 * network; printing each exec (argv in hex, up to 8 KiB a line), fork and exit cost the reader most of its
 * CPU. With --lazy-proc the loader keeps those records in a table of its own (pid -> the fork that made the
 * process, its execs, its exit; its parent's entry) and prints a process's records only when something needs
 * them:
 *   - before the first call/dns/resolve/ifenum record of a process: the held records of it and of its
 *     ancestors not printed yet, in the order the kernel wrote them (their own ts kept), so the reader's
 *     process tree (argv of each process, inherited at fork; the parent chain) is what it would have been;
 *     from then on the process is "printed": its execs and exit are printed as they come;
 *   - an interface listing (an RTM_GETLINK dump, SIOCGIFCONF) also prints every descendant the process has in
 *     the table and from then on every process it (or they) fork, with their execs and exits: how a process
 *     that listed the interfaces, or one it started, ended is what the reader judges a listing by
 *     (src/analyze/interfaces.ts);
 *   - a call on an AF_UNIX address with a path (or none) is no reason to print a process: such a socket is
 *     never an attempt (only abstract names are, src/analyze/attribute.ts), and nscd's socket alone is
 *     connected by most processes of a build (getpwnam); it is printed when its process is, else dropped,
 *     and so is its ret;
 *   - follow mode's seeds (an exec with NA_F_SEED) are printed at once, with their env line and their exit.
 * Records of processes never printed are dropped when they can no longer be needed: at the exit of a process
 * with no descendant left in the table (an exited one is kept while its descendants may still need its
 * records), at `unwatch` of its namespace, at `unfollow` of it. The table is bounded (LZ_MAX_PROCS entries,
 * LZ_MAX_BYTES of held records); a record that finds it full is not kept and counted in the loss slot "proc"
 * (part of lostTotal: a loss, never silent). Sync and stop lines carry "lazy":{"held":N,"heldBytes":B,
 * "procs":P,"dropped":D} (records held now, their bytes, entries in use, records dropped unneeded so far).
 * What the reader no longer gets: fork lines of a printed process whose child is never printed, and the
 * records of processes that never reach the network (their count is the saving).
 */
#define LZ_MAX_PROCS 65536
#define LZ_BUCKETS 16384
#define LZ_MAX_BYTES (64u << 20)

struct lz_rec {
	struct lz_rec *next;
	unsigned long long seq; /* arrival order: records are printed in the kernel's order */
	size_t size;
	unsigned char data[];
};

struct lz_proc {
	__u32 pid, ns;
	int parent;             /* entry of the process that forked it (-1: none seen) */
	int hnext;              /* next entry in its hash bucket */
	unsigned refs;          /* entries whose parent this is */
	bool used, hashed, printed, sticky, exited;
	struct lz_rec *recs, *tail; /* held records, in arrival order */
};

static struct lz_proc *lz;
static int lz_buckets[LZ_BUCKETS];
static int lz_free = -1, lz_next_unused, lz_used;
static unsigned long long lz_seq, lz_held, lz_held_bytes, lz_lost, lz_dropped;
static int *lz_sel, lz_nsel; /* entries selected for printing */

static void lz_init(void)
{
	lz = calloc(LZ_MAX_PROCS, sizeof(*lz));
	lz_sel = calloc(LZ_MAX_PROCS + 1, sizeof(*lz_sel));
	if (!lz || !lz_sel)
		die("--lazy-proc: no memory for the process table");
	for (int i = 0; i < LZ_BUCKETS; i++)
		lz_buckets[i] = -1;
}

static int lz_find(__u32 pid)
{
	for (int i = lz_buckets[pid % LZ_BUCKETS]; i >= 0; i = lz[i].hnext)
		if (lz[i].pid == pid)
			return i;
	return -1;
}

static void lz_unhash(int i)
{
	int *link = &lz_buckets[lz[i].pid % LZ_BUCKETS];

	if (!lz[i].hashed)
		return;
	while (*link >= 0 && *link != i)
		link = &lz[*link].hnext;
	if (*link == i)
		*link = lz[i].hnext;
	lz[i].hashed = false;
}

/* Free the held records of entry i (printed or dropped); returns how many there were. */
static unsigned long long lz_free_recs(int i)
{
	unsigned long long n = 0;

	for (struct lz_rec *r = lz[i].recs, *nx; r; r = nx) {
		nx = r->next;
		lz_held--;
		lz_held_bytes -= r->size;
		free(r);
		n++;
	}
	lz[i].recs = lz[i].tail = NULL;
	return n;
}

static void lz_drop_recs(int i)
{
	lz_dropped += lz_free_recs(i);
}

static void lz_gone(int i);

/* A new entry for pid (its old one, if any, is gone: a pid reused without its exit seen). -1: table full. */
static int lz_new(__u32 pid, __u32 ns, int parent)
{
	int i = lz_find(pid);

	if (i >= 0)
		lz_gone(i);
	if (lz_free >= 0) {
		i = lz_free;
		lz_free = lz[i].hnext;
	} else if (lz_next_unused < LZ_MAX_PROCS) {
		i = lz_next_unused++;
	} else {
		return -1;
	}
	lz[i] = (struct lz_proc){ .pid = pid, .ns = ns, .parent = parent, .used = true, .hashed = true };
	lz[i].hnext = lz_buckets[pid % LZ_BUCKETS];
	lz_buckets[pid % LZ_BUCKETS] = i;
	lz_used++;
	if (parent >= 0)
		lz[parent].refs++;
	return i;
}

/* An entry that is gone (exited, unwatched) and needed by no descendant is freed, and so on up. */
static void lz_release(int i)
{
	while (i >= 0 && lz[i].used && lz[i].exited && !lz[i].refs) {
		int p = lz[i].parent;

		lz_unhash(i);
		lz_drop_recs(i);
		lz[i].used = false;
		lz[i].hnext = lz_free;
		lz_free = i;
		lz_used--;
		if (p >= 0)
			lz[p].refs--;
		i = p;
	}
}

static void lz_gone(int i)
{
	lz_unhash(i);
	lz[i].exited = true;
	lz_release(i);
}

static void lz_hold(int i, const void *data, size_t size)
{
	struct lz_rec *r;

	if (i < 0 || lz_held_bytes + size > LZ_MAX_BYTES || !(r = malloc(sizeof(*r) + size))) {
		lz_lost++;
		return;
	}
	r->next = NULL;
	r->seq = lz_seq;
	r->size = size;
	memcpy(r->data, data, size);
	if (lz[i].tail)
		lz[i].tail->next = r;
	else
		lz[i].recs = r;
	lz[i].tail = r;
	lz_held++;
	lz_held_bytes += size;
}

static int lz_cmp_seq(const void *a, const void *b)
{
	const struct lz_rec *x = *(struct lz_rec *const *)a, *y = *(struct lz_rec *const *)b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Print the held records of the selected entries (lz_sel) in arrival order; they become printed (and sticky). */
static void lz_print_selected(bool sticky)
{
	static struct lz_rec **list;
	static size_t cap;
	size_t n = 0;

	for (int s = 0; s < lz_nsel; s++) {
		for (struct lz_rec *r = lz[lz_sel[s]].recs; r; r = r->next) {
			if (n == cap) {
				struct lz_rec **nl = realloc(list, (cap = cap ? cap * 2 : 256) * sizeof(*list));

				if (!nl)
					die("--lazy-proc: no memory");
				list = nl;
			}
			list[n++] = r;
		}
	}
	if (n > 1)
		qsort(list, n, sizeof(*list), lz_cmp_seq);
	for (size_t k = 0; k < n; k++)
		print_record(list[k]->data, list[k]->size);
	for (int s = 0; s < lz_nsel; s++) {
		int i = lz_sel[s];

		lz_free_recs(i);
		lz[i].printed = true;
		if (sticky)
			lz[i].sticky = true;
	}
	lz_nsel = 0;
}

/* Entry i and its ancestors not printed yet: their held records, printed. */
static void lz_flush(int i)
{
	for (int k = i, depth = 0; k >= 0 && !lz[k].printed && depth < LZ_MAX_PROCS; k = lz[k].parent, depth++)
		lz_sel[lz_nsel++] = k;
	if (lz_nsel)
		lz_print_selected(false);
}

/* Entry i listed the interfaces: every descendant of it in the table printed, and sticky from now on. */
static void lz_stick(int i)
{
	lz_flush(i);
	for (int k = 0; k < lz_next_unused; k++) {
		int a = k;

		if (!lz[k].used || k == i)
			continue;
		for (int depth = 0; a >= 0 && a != i && depth < LZ_MAX_PROCS; depth++)
			a = lz[a].parent;
		if (a == i)
			lz_sel[lz_nsel++] = k;
	}
	lz_sel[lz_nsel++] = i;
	lz_print_selected(true);
}

/* `unwatch INODE`: processes of that namespace are no longer traced; their entries go. */
static void lz_forget_ns(__u32 ns)
{
	for (int k = 0; k < lz_next_unused; k++)
		if (lz[k].used && lz[k].hashed && lz[k].ns == ns)
			lz_gone(k);
}

/* `unfollow PID`: its records no longer come (its exit neither). */
static void lz_forget_pid(__u32 pid)
{
	int i = lz_find(pid);

	if (i >= 0)
		lz_gone(i);
}

/* A call record whose address is AF_UNIX with a path (or none): not abstract. */
static bool lz_unix_path(const void *data, size_t size)
{
	const struct na_call *e = data;
	unsigned n;

	if (size < sizeof(*e))
		return false;
	n = e->sa_len < NA_SA_MAX ? e->sa_len : NA_SA_MAX;
	if (n < 2 || (e->sa[0] | e->sa[1] << 8) != 1 /* AF_UNIX */)
		return false;
	return n == 2 || e->sa[2] != 0;
}

/* An interface listing (src/analyze/interfaces.ts): an RTM_GETLINK dump, or SIOCGIFCONF. */
static bool lz_listing(const void *data, size_t size)
{
	const struct na_head *h = data;
	const struct na_ifenum *e = data;

	if (h->kind != NA_IFENUM || size < sizeof(*e))
		return false;
	if (e->sys == NA_SYS_IOCTL)
		return e->ioctl_cmd == 0x8912;
	return e->nl_type == 18 && (e->nl_flags & 0x300) == 0x300;
}

/* A record that makes no process printed: printed when its process is (or is not in the table), else dropped. */
static void lz_print_if_printed(const void *data, size_t size)
{
	int i = lz_find(((const struct na_head *)data)->pid);

	if (i >= 0 && !lz[i].printed)
		lz_dropped++;
	else
		print_record(data, size);
}

/* The ring buffer callback with --lazy-proc: print, hold or drop (see above). */
static int lz_record(const void *data, size_t size)
{
	const struct na_head *h = data;
	int i;

	if (size < sizeof(*h))
		return 0;
	lz_seq++;
	switch (h->kind) {
	case NA_EXEC:
		i = lz_find(h->pid);
		if (i < 0)
			i = lz_new(h->pid, h->netns, -1);
		if (h->flags & NA_F_SEED) {
			if (i >= 0) {
				lz_flush(i);
				lz[i].printed = true;
			}
			print_record(data, size);
		} else if (i >= 0 && lz[i].printed) {
			print_record(data, size);
		} else {
			lz_hold(i, data, size);
		}
		break;
	case NA_FORK: {
		const struct na_fork *e = data;
		int parent, c;

		if (size < sizeof(*e))
			return 0;
		parent = lz_find(h->pid);
		if (parent < 0)
			parent = lz_new(h->pid, h->netns, -1);
		c = lz_new(e->child, h->netns, parent);
		if (parent >= 0 && lz[parent].sticky) {
			print_record(data, size);
			if (c >= 0)
				lz[c].printed = lz[c].sticky = true;
		} else {
			lz_hold(c, data, size);
		}
		break;
	}
	case NA_EXIT:
		i = lz_find(h->pid);
		if (i < 0)
			break; /* nothing of it was seen: nothing needs its end */
		if (lz[i].printed)
			print_record(data, size);
		else if (lz[i].refs)
			lz_hold(i, data, size); /* its descendants may yet print the way they came */
		else
			lz_dropped++;
		lz_gone(i);
		break;
	case NA_ENV:
		print_record(data, size);
		break;
	case NA_RET:
		/* The return of a call printed, or of a path-named AF_UNIX call held back (below): not printed. */
		lz_print_if_printed(data, size);
		break;
	case NA_CALL:
		if (lz_unix_path(data, size)) {
			/* Path-named (or unnamed) AF_UNIX: never an attempt (only abstract names are: they belong to a
			 * network namespace), so not a reason to print a process; nscd's socket alone is connected by
			 * most of a build's processes (getpwnam). A process already printed gets it as before. */
			lz_print_if_printed(data, size);
			break;
		}
		/* fall through */
	default: /* call, dns, resolve, ifenum: the process's records first */
		i = lz_find(h->pid);
		if (i < 0)
			i = lz_new(h->pid, h->netns, -1);
		if (i >= 0) {
			if (lz_listing(data, size) && !lz[i].sticky)
				lz_stick(i);
			else
				lz_flush(i);
			lz[i].printed = true;
		}
		print_record(data, size);
		break;
	}
	return 0;
}

static int on_record(void *ctx, void *data, size_t size)
{
	(void)ctx;
	return opt.lazy ? lz_record(data, size) : print_record(data, size);
}

/* The loss counters summed over CPUs, as ,"lost":{...},"lostTotal":N. */
static void print_lost(void)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *vals = calloc(ncpu > 0 ? ncpu : 1, sizeof(__u64));
	unsigned long long total = 0;
	bool first = true;

	fputs(",\"lost\":{", stdout);
	for (__u32 slot = 0; vals && slot < NA_LOST_SLOTS; slot++) {
		unsigned long long sum = 0;
		const char *name;

		if (bpf_map__lookup_elem(skel->maps.lost, &slot, sizeof(slot), vals, sizeof(__u64) * ncpu, 0))
			continue;
		for (int c = 0; c < ncpu; c++)
			sum += vals[c];
		if (!sum)
			continue;
		name = slot >= NA_LOST_CALL_BASE ? sys_name(slot - NA_LOST_CALL_BASE)
		       : slot < NA_KIND_MAX && KIND_NAMES[slot] ? KIND_NAMES[slot] : "unknown";
		printf("%s\"%s\":%llu", first ? "" : ",", name, sum);
		first = false;
		total += sum;
	}
	if (lz_lost) {
		/* --lazy-proc: process records the table had no room for */
		printf("%s\"proc\":%llu", first ? "" : ",", lz_lost);
		total += lz_lost;
	}
	printf("},\"lostTotal\":%llu,\"records\":%llu", total, records);
	if (opt.lazy)
		printf(",\"lazy\":{\"held\":%llu,\"heldBytes\":%llu,\"procs\":%d,\"dropped\":%llu}", lz_held, lz_held_bytes, lz_used,
		       lz_dropped);
	free(vals);
}

static void flush_out(void)
{
	if (fflush(stdout) != 0 || ferror(stdout))
		out_broken = true;
}

/* ---- setup ---- */

static double now_ms(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* realtime - monotonic, from the tightest of a few monotonic/realtime/monotonic samples. */
static void measure_clock(void)
{
	__s64 best_gap = INT64_MAX;

	for (int i = 0; i < 5; i++) {
		struct timespec a, r, b;

		clock_gettime(CLOCK_MONOTONIC, &a);
		clock_gettime(CLOCK_REALTIME, &r);
		clock_gettime(CLOCK_MONOTONIC, &b);
		__s64 an = a.tv_sec * 1000000000LL + a.tv_nsec, bn = b.tv_sec * 1000000000LL + b.tv_nsec;
		__s64 rn = r.tv_sec * 1000000000LL + r.tv_nsec;
		if (bn - an < best_gap) {
			best_gap = bn - an;
			mono_to_real_ns = rn - (an + (bn - an) / 2);
		}
	}
}

/* The libc mapped into this process (the resolver the traced programs use, on a normal host). */
static char *find_libc(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[4096], *found = NULL;

	if (!f)
		return NULL;
	while (!found && fgets(line, sizeof(line), f)) {
		char *path = strchr(line, '/');
		char *base;

		if (!path)
			continue;
		path[strcspn(path, "\n")] = 0;
		base = strrchr(path, '/') + 1;
		if (strncmp(base, "libc.so", 7) == 0 || strncmp(base, "libc-", 5) == 0)
			found = strdup(path);
	}
	fclose(f);
	return found;
}

/* Whole small file -> malloc'd buffer (size in *n), or NULL. */
static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, len = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (len == cap) {
			char *nb = cap < (1 << 20) ? realloc(buf, cap = cap ? cap * 2 : 4096) : NULL;

			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		size_t r = fread(buf + len, 1, cap - len, f);

		if (r == 0)
			break;
		len += r;
	}
	fclose(f);
	*n = len;
	return buf;
}

/*
 * The minimal BTF the build made for this kernel (bpftool gen min_core_btf: only the types the programs
 * read), when it was made for the running kernel: its notes (build id) were saved beside it and must match
 * /sys/kernel/notes byte for byte. With it libbpf relocates against a few dozen types instead of parsing the
 * kernel's whole BTF (~250 ms of CPU here); without it (another kernel) the full BTF is used: slower, correct.
 */
static char *min_btf_path(void)
{
	char exe[PATH_MAX], path[PATH_MAX + 32], *dir, *want, *have, *found = NULL;
	size_t nw = 0, nh = 0;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return NULL;
	exe[n] = 0;
	dir = strrchr(exe, '/');
	if (!dir)
		return NULL;
	*dir = 0;
	snprintf(path, sizeof(path), "%s/netaudit.btf.notes", exe);
	want = slurp(path, &nw);
	have = slurp("/sys/kernel/notes", &nh);
	if (want && have && nw == nh && nw > 0 && !memcmp(want, have, nw)) {
		snprintf(path, sizeof(path), "%s/netaudit.btf", exe);
		if (!access(path, R_OK))
			found = strdup(path);
	}
	free(want);
	free(have);
	return found;
}

static __u32 parse_inode(const char *s, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v == 0 || v > UINT32_MAX)
		die("%s: not a namespace inode: %s", what, s);
	return v;
}

static void parse_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--watch") && v) {
			if (opt.nwatch == (int)(sizeof(opt.watch) / sizeof(opt.watch[0])))
				die("--watch: at most 64 at start (add more on stdin)");
			opt.watch[opt.nwatch++] = parse_inode(v, a);
			i++;
		} else if (!strcmp(a, "--all-ns-but") && v) {
			opt.all_but = parse_inode(v, a);
			i++;
		} else if (!strcmp(a, "--libc") && v) {
			opt.libc = v;
			i++;
		} else if (!strcmp(a, "--no-libc")) {
			opt.no_libc = true;
		} else if (!strcmp(a, "--no-uprobe-multi")) {
			opt.no_multi = true;
		} else if (!strcmp(a, "--ringbuf-kib") && v) {
			char *end;
			unsigned long k = strtoul(v, &end, 10);

			if (*end || k < 4 || k > (1UL << 20) || (k & (k - 1)))
				die("--ringbuf-kib: a power of two from 4 to 1048576: %s", v);
			opt.ring_kib = k;
			i++;
		} else if (!strcmp(a, "--lazy-proc")) {
			opt.lazy = true;
		} else if (!strcmp(a, "--timing")) {
			opt.timing = true;
		} else if (!strcmp(a, "--follow-exec") && v) {
			if (opt.nfollow == NA_FOLLOW_NAMES)
				die("--follow-exec: at most %d names", NA_FOLLOW_NAMES);
			if (!*v || strlen(v) >= NA_FOLLOW_NAME_MAX || strchr(v, '/'))
				die("--follow-exec: a base name of 1 to %d bytes without '/': %s", NA_FOLLOW_NAME_MAX - 1, v);
			opt.follow[opt.nfollow++] = v;
			i++;
		} else if (!strcmp(a, "--follow-env") && v) {
			if (opt.nenv == (int)(sizeof(opt.env) / sizeof(opt.env[0])))
				die("--follow-env: at most 32 variables");
			if (!*v || strchr(v, '='))
				die("--follow-env: a variable name: %s", v);
			opt.env[opt.nenv++] = v;
			i++;
		} else {
			die("unknown or incomplete option: %s (see the top of bpf/netaudit-tracer.c)", a);
		}
	}
}

static int quiet_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* Warnings and errors only (a failed load prints the verifier's log here). */
	return level == LIBBPF_DEBUG ? 0 : vfprintf(stderr, fmt, ap);
}

/* ---- uprobes on libc ---- */

/* File offset of a function symbol in an ELF file (what a uprobe is placed at), or -1. */
static long func_offset(Elf *e, const char *name)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	size_t nph;

	while ((scn = elf_nextscn(e, scn))) {
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_DYNSYM && sh.sh_type != SHT_SYMTAB) || !sh.sh_entsize)
			continue;
		d = elf_getdata(scn, NULL);
		for (size_t i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *n;

			if (!gelf_getsym(d, i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF)
				continue;
			n = elf_strptr(e, sh.sh_link, sym.st_name);
			if (!n || strcmp(n, name))
				continue;
			/* st_value is a virtual address: the executable segment holding it maps it to the file. */
			if (elf_getphdrnum(e, &nph))
				return -1;
			for (size_t k = 0; k < nph; k++) {
				GElf_Phdr ph;

				if (gelf_getphdr(e, k, &ph) && ph.p_type == PT_LOAD && (ph.p_flags & PF_X) &&
				    sym.st_value >= ph.p_vaddr && sym.st_value < ph.p_vaddr + ph.p_memsz)
					return sym.st_value - ph.p_vaddr + ph.p_offset;
			}
			return -1;
		}
	}
	return -1;
}

/*
 * One uprobe_multi link (kernel 6.6+) for every resolver function found: its detach unregisters them all and
 * then waits for one grace period, where five uprobe links wait for five, one after the other (~80 ms
 * each here, serialised in the kernel even when closed from parallel threads). libbpf 1.1 predates this
 * link type, so the link is made with the bpf() syscall itself; the attr layout below is the kernel's
 * (union bpf_attr, link_create.uprobe_multi). Returns the link fd, or -errno.
 */
#define BPF_TRACE_UPROBE_MULTI_ 48
static int attach_uprobe_multi(int prog_fd, const char *path, const unsigned long *offsets, const __u64 *cookies,
			       __u32 cnt)
{
	struct {
		__u32 prog_fd, target_fd, attach_type, flags;
		__u64 path, offsets, ref_ctr_offsets, cookies;
		__u32 cnt, um_flags, pid, pad;
	} attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_fd = prog_fd;
	attr.attach_type = BPF_TRACE_UPROBE_MULTI_;
	attr.path = (uintptr_t)path;
	attr.offsets = (uintptr_t)offsets;
	attr.cookies = (uintptr_t)cookies;
	attr.cnt = cnt;
	fd = syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
	return fd < 0 ? -errno : fd;
}

/* ---- detach ---- */

static double link_ms[MAX_LINKS];

static void *destroy_link(void *arg)
{
	int i = (int)(intptr_t)arg;
	double t0 = now_ms(CLOCK_MONOTONIC);

	bpf_link__destroy(links[i]);
	link_ms[i] = now_ms(CLOCK_MONOTONIC) - t0;
	return NULL;
}

static double multi_ms;

static void *close_multi(void *arg)
{
	double t0 = now_ms(CLOCK_MONOTONIC);

	close(multi_fd);
	multi_fd = -1;
	multi_ms = now_ms(CLOCK_MONOTONIC) - t0;
	return NULL;
}

/* Close every link at once: each detach waits for an RCU grace period, so in parallel they overlap. */
static void detach_all(void)
{
	pthread_t th[MAX_LINKS];
	bool started[MAX_LINKS] = { false };

	pthread_t mth;
	bool mstarted = multi_fd >= 0 && pthread_create(&mth, NULL, close_multi, NULL) == 0;

	for (int i = 0; i < nlinks; i++)
		started[i] = pthread_create(&th[i], NULL, destroy_link, (void *)(intptr_t)i) == 0;
	for (int i = 0; i < nlinks; i++) {
		if (started[i])
			pthread_join(th[i], NULL);
		else
			destroy_link((void *)(intptr_t)i);
	}
	if (mstarted)
		pthread_join(mth, NULL);
	else if (multi_fd >= 0)
		close_multi(NULL);
	nlinks = 0;
}

/* ---- commands ---- */

/*
 * `VERB ID` on a set of u32 keys (the watched namespaces, the followed processes): add the id (watch, follow) or
 * drop it (unwatch, unfollow; dropping one that is not there is no error), then ack or say why not.
 */
static void set_member(struct bpf_map *map, const char *verb, const char *arg, bool add, const char *what, const char *field)
{
	char *end;
	unsigned long v;
	__u32 key;
	__u8 one = 1;
	int err;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || *end || v == 0 || v > UINT32_MAX) {
		printf("{\"t\":\"error\",\"message\":\"%s: not a %s\"}\n", verb, what);
		return;
	}
	key = v;
	err = add ? bpf_map__update_elem(map, &key, sizeof(key), &one, sizeof(one), BPF_ANY)
		  : bpf_map__delete_elem(map, &key, sizeof(key), 0);
	if (err && !(!add && err == -ENOENT))
		printf("{\"t\":\"error\",\"message\":\"%s %u: %s\"}\n", verb, key, strerror(-err));
	else
		printf("{\"t\":\"ack\",\"cmd\":\"%s\",\"%s\":%u}\n", verb, field, key);
}

static void command(char *line)
{
	char *verb = strtok(line, " \t\r");
	char *arg = strtok(NULL, " \t\r");
	char *extra = strtok(NULL, " \t\r");

	if (!verb)
		return;
	if ((!strcmp(verb, "watch") || !strcmp(verb, "unwatch")) && arg && !extra) {
		/* Records committed before the command are the namespace's still: read (and placed) first. */
		if (opt.lazy && verb[0] == 'u') {
			lz_forget_ns(strtoul(arg, NULL, 10));
		}
		set_member(skel->maps.watched, verb, arg, verb[0] == 'w', "namespace inode", "ns");
		return;
	}
	if ((!strcmp(verb, "follow") || !strcmp(verb, "unfollow")) && arg && !extra && opt.nfollow) {
		if (opt.lazy && verb[0] == 'u')
			lz_forget_pid(strtoul(arg, NULL, 10));
		set_member(skel->maps.followed, verb, arg, verb[0] == 'f', "process id", "pid");
		return;
	}
	if (!strcmp(verb, "sync") && arg && !extra && strlen(arg) <= 64 &&
	    strspn(arg, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-") == strlen(arg)) {
		printf("{\"t\":\"sync\",\"id\":\"%s\"", arg);
		print_lost();
		fputs("}\n", stdout);
		return;
	}
	fputs("{\"t\":\"error\",\"message\":\"unknown command (watch INODE, unwatch INODE, sync ID)\"}\n", stdout);
}

int main(int argc, char **argv)
{
	static const struct { const char *sym; enum na_fn fn; } resolvers[] = {
		{ "getaddrinfo", NA_FN_GETADDRINFO }, { "gethostbyname", NA_FN_GETHOSTBYNAME },
		{ "gethostbyname2", NA_FN_GETHOSTBYNAME2 }, { "gethostbyname_r", NA_FN_GETHOSTBYNAME_R },
		{ "gethostbyname2_r", NA_FN_GETHOSTBYNAME2_R },
	};
	struct bpf_program *tps[] = { NULL, NULL, NULL, NULL, NULL };
	const char *tp_names[] = { "sys_enter", "sys_exit", "sched_process_exec", "sched_process_fork", "sched_process_exit" };
	char *libc = NULL, *btf_path;
	char missing[2048] = "";
	char probes[1024] = "";
	double t_main = now_ms(CLOCK_MONOTONIC), t_loaded, t_ready;
	struct ring_buffer *rb;
	struct epoll_event ev;
	sigset_t mask;
	int sfd, efd, err;
	char inbuf[4096];
	size_t inlen = 0;
	const char *reason = "eof";
	double t_stop;

	if (argc == 2 && !strcmp(argv[1], "--version")) {
		printf("netaudit-tracer 1 libbpf %u.%u\n", libbpf_major_version(), libbpf_minor_version());
		return 0;
	}
	parse_args(argc, argv);
	if (opt.lazy)
		lz_init();
	/* Stop with netaudit: SIGTERM when the parent dies (it may already have, before prctl). */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() == 1)
		die("parent gone before start");
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0)
		die("signalfd: %s", strerror(errno));
	setvbuf(stdout, NULL, _IOFBF, 1 << 20);
	libbpf_set_print(quiet_libbpf);
	measure_clock();

	if (!opt.no_libc) {
		libc = opt.libc ? strdup(opt.libc) : find_libc();
		if (!libc)
			die("no libc found in /proc/self/maps; name one with --libc PATH or pass --no-libc");
		if (access(libc, R_OK))
			die("--libc %s: %s", libc, strerror(errno));
	}

	btf_path = min_btf_path();
	/* Load, with the resolver program made for a uprobe_multi link; a kernel that refuses that (before
	 * 6.6) gets the program loaded again for plain uprobes. */
	for (int attempt = 0; attempt < 2; attempt++) {
		LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = btf_path);

		use_multi = libc && attempt == 0 && !opt.no_multi;
		skel = netaudit__open_opts(&oo);
		if (!skel)
			die("opening the BPF object failed: %s", strerror(errno));
		skel->rodata->all_but_ns = opt.all_but;
		skel->rodata->follow_mode = opt.nfollow > 0;
		skel->rodata->proc_no_wakeup = opt.lazy;
		for (int k = 0; k < opt.nfollow; k++)
		{
			strncpy((char *)skel->rodata->follow_names[k], opt.follow[k], NA_FOLLOW_NAME_MAX - 1);
			skel->rodata->follow_lens[k] = strlen(opt.follow[k]);
		}
		bpf_map__set_max_entries(skel->maps.events, opt.ring_kib * 1024);
		/* Follow mode's environment buffer: a slot per CPU (64 KiB each); one slot, unused, otherwise. */
		bpf_map__set_max_entries(skel->maps.envbuf, opt.nfollow && libbpf_num_possible_cpus() > 0 ? libbpf_num_possible_cpus() : 1);
		if (use_multi)
			bpf_program__set_expected_attach_type(skel->progs.on_resolve, BPF_TRACE_UPROBE_MULTI_);
		err = netaudit__load(skel);
		if (!err)
			break;
		netaudit__destroy(skel);
		skel = NULL;
		if (!use_multi)
			break;
		opt.no_multi = true;
	}
	if (!skel)
		die("loading the BPF programs failed: %s (root and a kernel with BTF are needed)", strerror(-err));
	for (int i = 0; i < opt.nwatch; i++) {
		__u8 one = 1;

		bpf_map__update_elem(skel->maps.watched, &opt.watch[i], sizeof(__u32), &one, sizeof(one), BPF_ANY);
	}
	t_loaded = now_ms(CLOCK_MONOTONIC);

	/* The ring buffer reader first, so that nothing the programs write from their first moment is lost. */
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_record, NULL, NULL);
	if (!rb)
		die("ring buffer: %s", strerror(errno));

	tps[0] = skel->progs.on_sys_enter;
	tps[1] = skel->progs.on_sys_exit;
	tps[2] = skel->progs.on_exec;
	tps[3] = skel->progs.on_fork;
	tps[4] = skel->progs.on_task_exit;
	for (int i = 0; i < 5; i++) {
		struct bpf_link *l = bpf_program__attach(tps[i]);

		if (!l) {
			int e = errno;

			detach_all();
			die("attaching tracepoint %s failed: %s", tp_names[i], strerror(e));
		}
		links[nlinks++] = l;
		snprintf(probes + strlen(probes), sizeof(probes) - strlen(probes), "%s\"%s\"", i ? "," : "", tp_names[i]);
	}
	if (libc && use_multi) {
		/* Offsets of the functions libc has; one link for them all. */
		unsigned long offs[NA_FN_MAX];
		__u64 cookies[NA_FN_MAX];
		const char *names[NA_FN_MAX];
		__u32 cnt = 0;
		int fd = open(libc, O_RDONLY | O_CLOEXEC);
		Elf *e = NULL;

		elf_version(EV_CURRENT);
		if (fd >= 0)
			e = elf_begin(fd, ELF_C_READ, NULL);
		for (size_t i = 0; i < sizeof(resolvers) / sizeof(resolvers[0]); i++) {
			long off = e ? func_offset(e, resolvers[i].sym) : -1;

			if (off < 0) {
				snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing),
					 "%s{\"probe\":\"uprobe:%s\",\"error\":\"no such function in libc\"}",
					 missing[0] ? "," : "", resolvers[i].sym);
				continue;
			}
			offs[cnt] = off;
			cookies[cnt] = resolvers[i].fn;
			names[cnt++] = resolvers[i].sym;
		}
		if (e)
			elf_end(e);
		if (fd >= 0)
			close(fd);
		if (cnt) {
			multi_fd = attach_uprobe_multi(bpf_program__fd(skel->progs.on_resolve), libc, offs, cookies, cnt);
			if (multi_fd < 0) {
				int en = -multi_fd;

				detach_all();
				die("attaching the resolver uprobes to %s failed: %s", libc, strerror(en));
			}
			for (__u32 i = 0; i < cnt; i++)
				snprintf(probes + strlen(probes), sizeof(probes) - strlen(probes), ",\"uprobe:%s\"", names[i]);
		}
	}
	for (size_t i = 0; libc && !use_multi && i < sizeof(resolvers) / sizeof(resolvers[0]); i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, uo, .func_name = resolvers[i].sym, .bpf_cookie = resolvers[i].fn);
		struct bpf_link *l = bpf_program__attach_uprobe_opts(skel->progs.on_resolve, -1, libc, 0, &uo);

		if (!l) {
			snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing),
				 "%s{\"probe\":\"uprobe:%s\",\"error\":\"%s\"}", missing[0] ? "," : "", resolvers[i].sym,
				 strerror(errno));
			continue;
		}
		links[nlinks++] = l;
		snprintf(probes + strlen(probes), sizeof(probes) - strlen(probes), ",\"uprobe:%s\"", resolvers[i].sym);
	}
	t_ready = now_ms(CLOCK_MONOTONIC);

	printf("{\"t\":\"ready\",\"version\":1,\"loadMs\":%.1f,\"attachMs\":%.1f,\"startMs\":%.1f,\"probes\":[%s],"
	       "\"missing\":[%s],\"libc\":\"", t_loaded - t_main, t_ready - t_loaded, t_ready - t_main, probes, missing);
	if (libc)
		hex(libc, strlen(libc));
	printf("\",\"btf\":\"%s\",\"ringKiB\":%u,\"argvMax\":%d,\"dnsMax\":%d,\"nameMax\":%d}\n", btf_path ? "minimal" : "kernel", opt.ring_kib, NA_ARGV_MAX,
	       NA_DNS_MAX, NA_NAME_MAX - 1);
	flush_out();

	efd = epoll_create1(EPOLL_CLOEXEC);
	if (efd < 0)
		die("epoll: %s", strerror(errno));
	ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = ring_buffer__epoll_fd(rb) };
	epoll_ctl(efd, EPOLL_CTL_ADD, ev.data.fd, &ev);
	ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = 0 };
	if (epoll_ctl(efd, EPOLL_CTL_ADD, 0, &ev) && errno == EPERM) {
		/* stdin is a file (/dev/null, a script of commands): run them all, then stop as at EOF. */
		ssize_t r;

		while ((r = read(0, inbuf + inlen, sizeof(inbuf) - 1 - inlen)) > 0) {
			char *nl;

			inlen += r;
			inbuf[inlen] = 0;
			while ((nl = memchr(inbuf, '\n', inlen))) {
				*nl = 0;
				command(inbuf);
				inlen -= nl + 1 - inbuf;
				memmove(inbuf, nl + 1, inlen);
			}
			if (inlen == sizeof(inbuf) - 1)
				inlen = 0;
		}
		out_broken = true; /* not broken: nothing more to do */
	}
	ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = sfd };
	epoll_ctl(efd, EPOLL_CTL_ADD, sfd, &ev);

	for (bool running = true; running && !out_broken;) {
		struct epoll_event evs[4];
		/* --lazy-proc: exec/fork/exit records wake no one (netaudit.bpf.c): read them at least this often. */
		int n = epoll_wait(efd, evs, 4, opt.lazy ? 200 : 1000);

		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n && running; i++) {
			if (evs[i].data.fd == sfd) {
				reason = "signal";
				running = false;
			} else if (evs[i].data.fd == 0) {
				ssize_t r = read(0, inbuf + inlen, sizeof(inbuf) - 1 - inlen);
				char *nl;

				if (r <= 0) {
					running = false;
					break;
				}
				inlen += r;
				inbuf[inlen] = 0;
				/* Commands see every record committed before they were read. */
				ring_buffer__consume(rb);
				while ((nl = memchr(inbuf, '\n', inlen))) {
					*nl = 0;
					command(inbuf);
					inlen -= nl + 1 - inbuf;
					memmove(inbuf, nl + 1, inlen);
				}
				if (inlen == sizeof(inbuf) - 1)
					inlen = 0; /* a line too long to be a command */
			}
		}
		ring_buffer__consume(rb);
		flush_out();
	}
	t_stop = now_ms(CLOCK_MONOTONIC);

	/* Stop: the last records, the stop line, stdout closed: the reader is done. Then detach. */
	ring_buffer__consume(rb);
	printf("{\"t\":\"stop\",\"reason\":\"%s\"", reason);
	print_lost();
	fputs("}\n", stdout);
	flush_out();
	fclose(stdout);
	detach_all();
	ring_buffer__free(rb);
	netaudit__destroy(skel);
	if (opt.timing) {
		fprintf(stderr, "{\"t\":\"detached\",\"ms\":%.1f,\"links\":[", now_ms(CLOCK_MONOTONIC) - t_stop);
		for (int i = 0; i < MAX_LINKS && link_ms[i] > 0; i++)
			fprintf(stderr, "%s%.1f", i ? "," : "", link_ms[i]);
		fprintf(stderr, "],\"uprobeMulti\":%.1f}\n", multi_ms);
	}
	free(libc);
	free(btf_path);
	return 0;
}
