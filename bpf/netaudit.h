/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * netaudit's compiled tracer: the records the kernel side (netaudit.bpf.c) writes to the ring buffer and the
 * loader (netaudit-tracer.c) reads. Both sides include this file; it must stay free of kernel and libc
 * headers (the BPF side gets its types from vmlinux.h, the loader from <linux/types.h>), hence the plain
 * fixed-size integer types below, defined by whoever includes it (__u8 ... __u64, __s32, __s64).
 *
 * Every record starts with struct na_head; `kind` says which struct follows. Records are written in the
 * order they were reserved (one ring buffer shared by every CPU), so a call's record always comes before the
 * record of its return. Byte fields (comm, argv, sockaddrs, DNS payloads, names) hold what the traced
 * program had, any byte included: the loader prints them as hex, never raw.
 */
#ifndef NETAUDIT_H
#define NETAUDIT_H

/* Record kinds (na_head.kind). */
enum na_kind {
	NA_CALL = 1,   /* a socket call naming an address: connect, sendto, sendmsg, sendmmsg, bind, listen */
	NA_RET = 2,    /* the return of a call that produced records at its entry */
	NA_EXEC = 3,   /* a successful execve/execveat: comm and argv of the new image */
	NA_FORK = 4,   /* a new process (clone/clone3/fork/vfork without CLONE_THREAD) */
	NA_EXIT = 5,   /* the last thread of a process ended */
	NA_DNS = 6,    /* the payload of a UDP send to port 53 (a DNS question, usually) */
	NA_RESOLVE = 7,/* a name handed to libc's resolver (uprobe) */
	NA_IFENUM = 8, /* interface enumeration: an RTM_GETLINK/RTM_GETADDR netlink request, or a SIOCGIF* ioctl */
	NA_ENV = 9,    /* follow mode: the environment a seed exec'd with, right after its NA_EXEC */
	NA_KIND_MAX = 10,
};

/* The syscall behind a record (na_call.sys, na_ret.sys, na_dns.sys, na_ifenum.sys). */
enum na_sys {
	NA_SYS_CONNECT = 1,
	NA_SYS_SENDTO = 2,  /* also send(), which is sendto() with no address on x86_64 */
	NA_SYS_SENDMSG = 3,
	NA_SYS_SENDMMSG = 4,
	NA_SYS_BIND = 5,
	NA_SYS_LISTEN = 6,
	NA_SYS_WRITE = 7,
	NA_SYS_IOCTL = 8,
	NA_SYS_MAX = 9,
};

/* The libc function a resolve record comes from (the uprobe's cookie). */
enum na_fn {
	NA_FN_GETADDRINFO = 1,
	NA_FN_GETHOSTBYNAME = 2,
	NA_FN_GETHOSTBYNAME2 = 3,
	NA_FN_GETHOSTBYNAME_R = 4,
	NA_FN_GETHOSTBYNAME2_R = 5,
	NA_FN_MAX = 6,
};

/*
 * Loss counters: one per-CPU array slot per record kind, and for calls one per syscall, so that a test (or
 * netaudit) can say exactly how many connect() records were lost. Slot NA_LOST_CALL_BASE + sys counts lost
 * NA_CALL records of that syscall; slot `kind` counts lost records of every other kind.
 */
#define NA_LOST_CALL_BASE 16
#define NA_LOST_SLOTS (NA_LOST_CALL_BASE + NA_SYS_MAX)

/* Caps (bytes). Anything longer is cut and flagged, never silently. */
#define NA_SA_MAX 112       /* a sockaddr as the program passed it (sockaddr_un is 110) */
#define NA_ARGV_MAX 4096    /* argv of an exec, NUL separated (the rest is flagged as truncated) */
#define NA_DNS_MAX 512      /* a DNS message over UDP without EDNS; a longer payload is flagged */
#define NA_NAME_MAX 256     /* a name handed to the resolver (a DNS name has at most 253 characters) */
#define NA_IFNAME_MAX 16    /* IFNAMSIZ */
#define NA_ENV_MAX 32768    /* follow mode: the first 32 KiB of a seed's environment (Portage's is ~10 KiB) */
#define NA_MMSG_ADDRS 4     /* sendmmsg: the destinations of the first 4 messages */
#define NA_MMSG_DNS 2       /* sendmmsg: the payloads of the first 2 (glibc sends A and AAAA together) */

/* Flags (na_*.flags). */
#define NA_F_TRUNCATED 1    /* the byte field was cut at its cap (len says how long it really was) */
#define NA_F_PEER 2         /* the address is the socket's peer (a send on a connected socket), not an argument */
#define NA_F_FAULT 4        /* the program's memory could not be read (the field is empty) */
#define NA_F_SEED 8         /* exec only (follow mode): this exec matched a --follow-exec name and started
                               following its process (and, through forks, its descendants) */

/* Follow mode: at most NA_FOLLOW_NAMES executable names of at most NA_FOLLOW_NAME_MAX - 1 bytes each. */
#define NA_FOLLOW_NAMES 4
#define NA_FOLLOW_NAME_MAX 32

struct na_head {
	__u16 kind;         /* enum na_kind */
	__u16 flags;        /* NA_F_* */
	__u32 pid;          /* tgid */
	__u32 tid;
	__u32 ppid;         /* real_parent's tgid */
	__u32 netns;        /* inode of the task's network namespace */
	__u32 pad;
	__u64 ts;           /* bpf_ktime_get_ns() (CLOCK_MONOTONIC); for calls: at entry */
	char comm[16];
};

/* NA_CALL: the address argument of connect/sendto/sendmsg/sendmmsg/bind; for listen, the bound address. */
struct na_call {
	struct na_head h;
	__u16 sys;          /* enum na_sys */
	__u16 sa_len;       /* bytes of sa that are valid */
	__s32 fd;
	__u16 family;       /* the socket's family (sk_family) */
	__u16 type;         /* sk_type: 1 stream, 2 dgram, 5 seqpacket, 3 raw */
	__u16 protocol;     /* sk_protocol: 6 tcp, 17 udp, 1/58 icmp, 0 unix */
	__u16 index;        /* sendmmsg: the message's index */
	__u8 sa[NA_SA_MAX];
};

/* NA_RET: the return of a recorded call. (tid, enter) names the call: enter is its na_head.ts. */
struct na_ret {
	struct na_head h;
	__u16 sys;
	__u16 pad;
	__u32 pad2;
	__s64 ret;          /* >= 0, or -errno */
	__u64 enter;        /* ts of the call's records */
};

/* NA_EXEC: written at the return of a successful exec, when the new image's argv is in place. */
struct na_exec {
	struct na_head h;
	__u32 argv_len;     /* real length of argv (arg_end - arg_start); argv holds min(argv_len, NA_ARGV_MAX) */
	__u32 pad;
	__u8 argv[NA_ARGV_MAX];
};

/* NA_FORK: h.pid made a new process `child` (its pid as the parent sees it). */
struct na_fork {
	struct na_head h;
	__u32 child;
	__u32 pad;
	__u64 clone_flags;
};

/* NA_EXIT: the process h.pid ended (its last thread). */
struct na_exit {
	struct na_head h;
	__s32 exit_code;    /* the wait status the parent will see (code << 8, or the signal) */
	__u32 pad;
};

/* NA_DNS: a UDP datagram to port 53: its destination and its first NA_DNS_MAX bytes. */
struct na_dns {
	struct na_head h;
	__u16 sys;
	__u16 sa_len;
	__s32 fd;
	__u32 len;          /* the payload's real length (payload holds min(len, NA_DNS_MAX)) */
	__u16 index;        /* sendmmsg: the message's index */
	__u16 pad;
	__u8 sa[28];        /* sockaddr_in or sockaddr_in6 (the argument, or the peer with NA_F_PEER) */
	__u8 pad2[4];
	__u8 payload[NA_DNS_MAX];
};

/* NA_RESOLVE: libc's getaddrinfo/gethostbyname* entered with this name. */
struct na_resolve {
	struct na_head h;
	__u16 fn;           /* enum na_fn */
	__u16 len;          /* bytes in name (without the NUL) */
	__u32 pad;
	__u8 name[NA_NAME_MAX];
};

/* NA_IFENUM: a netlink route request (sys sendto/sendmsg) or a SIOCGIF* ioctl (sys ioctl). */
struct na_ifenum {
	struct na_head h;
	__u16 sys;
	__u16 nl_type;      /* netlink: nlmsg_type (18 RTM_GETLINK, 22 RTM_GETADDR) */
	__u16 nl_flags;     /* netlink: nlmsg_flags (0x300 NLM_F_DUMP) */
	__u8 nl_family;     /* netlink: the rtgenmsg/ifinfomsg family byte after the header */
	__u8 pad;
	__s32 fd;
	__u32 ioctl_cmd;    /* ioctl: the request (0x8912 SIOCGIFCONF, ...) */
	char ifname[NA_IFNAME_MAX]; /* ioctl other than SIOCGIFCONF: ifr_name */
};

/* NA_ENV: the environment block (NUL-separated VAR=VALUE) of a seed's new image, read at its exec. */
struct na_env {
	struct na_head h;
	__u32 env_len;      /* real length (env_end - env_start); env holds min(env_len, NA_ENV_MAX) */
	__u32 pad;
	__u8 env[NA_ENV_MAX];
};

#endif /* NETAUDIT_H */
