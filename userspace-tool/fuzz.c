// SPDX-License-Identifier: GPL-2.0
/*
 * cacheproxy-fuzz: hostile input for /dev/cacheproxy and /proc/cacheproxy.
 *
 * Random ioctl numbers, the real ioctls with random sizes and directions,
 * random request structs (lengths, wild pointers, reserved fields and
 * flags, batch counts), random bytes written to the /proc files and reads
 * with odd sizes and offsets. Every result is checked against the errnos
 * documented for that call (the table below); anything else, a short
 * write, a value that is not "KEY:N", or the fuzzer dying of a signal is a
 * failure. Last, the module parameters must refuse run-time writes (0444).
 *
 * Documented results per call ("ok" is 0 for an ioctl, the byte count
 * for a write, 0..count for a read):
 *
 *   call              results allowed
 *   ioctl-random      ENOTTY (unknown command; a number that happens to
 *                     be a real one is checked as that one; commands the
 *                     VFS takes before the driver are never generated:
 *                     types 'T', 'f', 'X', 0x94 and 0x00..0x02)
 *   ioctl-badsize     ENOTTY (a real number with another direction, or a
 *                     size below the struct's); with the real direction
 *                     and a larger size (any size for STATS) the command
 *                     itself, checked as that command (the kernel reads
 *                     the struct as copy_struct_from_user() does)
 *   GET               ok, EFAULT, EINVAL, E2BIG, ENAMETOOLONG, ENOSPC,
 *                     ENOENT, EIO, EINTR, EAGAIN, ENOMEM
 *   GET_BATCH         ok, EFAULT, EINVAL, E2BIG, EINTR; after ok every
 *                     item status is 0 or -(EINVAL, ENAMETOOLONG, ENOSPC,
 *                     ENOENT, EIO, EAGAIN, ENOMEM)
 *   INVALIDATE        ok, EFAULT, EINVAL, E2BIG, ENAMETOOLONG
 *   FLUSH             ok (the argument is ignored)
 *   STATS             ok, EFAULT, EINVAL, ENOMEM
 *   LOADER_ATTACH     EFAULT, EINVAL, E2BIG, EOPNOTSUPP (the module is
 *                     loaded with loader=synthetic here; a channel, were
 *                     one returned, is closed at once)
 *   ioctl-proc        ENOTTY (/proc files have no ioctl)
 *   write-lookup      ok, EFAULT, EINVAL, ENAMETOOLONG, ENOENT, EIO,
 *                     EINTR, EAGAIN, ENOMEM
 *   write-control     ok, EFAULT, EINVAL, ENAMETOOLONG
 *   write-readonly    EBADF (stats and entries, opened read-only)
 *   read-proc         ok, EFAULT, EINVAL, EINTR (lookup, stats, entries;
 *                     plain and at random offsets)
 *   read-nonreadable  EBADF (control, opened write-only), EINVAL (the
 *                     device: it has no read)
 *   uring-GET         CACHEPROXY_URING_GET through io_uring, one command
 *                     at a time (some issued from io_uring's workers,
 *                     IOSQE_ASYNC), random cmd_op, command bytes and
 *                     struct: the CQE's res a value length (the value
 *                     checked), or ENOTTY (another cmd_op), EFAULT,
 *                     EINVAL, E2BIG, ENAMETOOLONG, ENOSPC, ENOENT, EIO,
 *                     EINTR, EAGAIN, ENOMEM
 *
 * --channel: the loader daemons' channel, with the module loaded with
 * loader=user (and a short upcall_timeout_ms, e.g. 500, so that requests
 * left unanswered end soon). The fuzzer attaches NR_CHANS channels with
 * random flags; NR_CALLERS threads GET keys all along (most of them new,
 * so that requests keep coming), and the fuzzer plays a hostile daemon:
 * reads of random sizes (0, tiny, around 24 and 512, 16 KiB, huge) at
 * random pointers (valid, ending at a guard page or running into it,
 * unmapped, read-only, kernel), blocking ones ended by a SIGALRM when
 * nothing comes; answers with defects (header size and tail, flags,
 * status, value_len, padding, value bytes, ids of another channel,
 * answered, timed out, given back, never issued), several per write, cut
 * short, followed by junk, at the same kinds of pointers; random bytes;
 * poll; close, dup, O_NONBLOCK, attach again. Most requests are answered
 * right: "V:" KEY, or for one key in ten ENOENT and for one in ten an
 * error (key_policy()), so that every GET can be judged: a GET must give
 * exactly that (the value, ENOENT, EIO) or ETIMEDOUT, ENOTCONN, EINTR,
 * EAGAIN, ENOMEM; anything else is a wrong answer served by the kernel.
 *
 * Every write is judged answer by answer by the rules of the UAPI header
 * (judge_answer()): the bytes taken must be whole answers the kernel may
 * take (well formed, for an id the channel holds); the first answer not
 * taken must be one it may refuse, with that errno when the write failed.
 * The fuzzer never writes a well-formed answer with a wrong outcome for a
 * request it holds (ch_fix()), so a write that takes a malformed answer is
 * caught twice: by the judge, and by the GETs. Every read must return
 * whole, well-formed requests whose ids no other channel holds, none
 * answered or timed out, and a request given back (its channel closed)
 * with its key.
 *
 *   call              results allowed
 *   ch-attach         a channel, EFAULT, EINVAL, E2BIG (each where the
 *                     struct's bytes call for it), ENOMEM, EMFILE, ENFILE;
 *                     the sizes written back and the fd's flags checked
 *   ch-read           whole requests, EINVAL (count below 24; below 512
 *                     when the oldest may not fit), EFAULT (the buffer is
 *                     not all writable), EAGAIN (O_NONBLOCK), EINTR
 *                     (blocking), ENOMEM; ESHUTDOWN is documented for a
 *                     module going away, which an open channel forbids:
 *                     counted, then reported by the judge
 *   ch-write          the bytes of the answers taken, EINVAL, E2BIG,
 *   ch-write-junk     EFAULT, ESTALE, ENOMEM, each where judge_answer()
 *                     says (EFAULT also where the VFS refuses the range)
 *   ch-poll           POLLIN/POLLRDNORM, POLLOUT/POLLWRNORM (always) as
 *                     asked; EINTR
 *   ch-close-dup-fcntl ok (a dup'd channel keeps its requests)
 *   ch-GET            the value "V:" KEY, ENOENT or EIO as key_policy()
 *                     says, ETIMEDOUT, ENOTCONN, EINTR, EAGAIN, ENOMEM
 *
 * Last, with one daemon left, a GET must get its request and the value.
 *
 * Exit status: 0 every result documented; 1 an undocumented result or a
 * crash-like symptom; 2 usage error, or the module is not loaded (with
 * --channel: not with loader=user).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <glob.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/cacheproxy.h>
#include <liburing.h>

#include "client.h"
#include "rng.h"
#include "verify.h"

#define PARAMS_GLOB	"/sys/module/cacheproxy/parameters/*"
#define PAGE		4096UL
#define MAX_ERRNO	134
/* An errno value recorded for a result that is not an errno at all. */
#define BAD_RESULT	(MAX_ERRNO + 1)

/* Errnos below 64 go in .allowed, 64..127 in .allowed_hi (EH()). */
#define E(x)	(1ULL << (x))
#define EH(x)	(1ULL << ((x) - 64))
#define OK	E(0)

enum call {
	C_IOC_RANDOM, C_IOC_BADSIZE, C_GET, C_BATCH, C_INVALIDATE, C_FLUSH,
	C_STATS, C_ATTACH, C_IOC_PROC, C_W_LOOKUP, C_W_CONTROL, C_W_RO,
	C_READ, C_READ_NONE, C_URING,
	/* --channel: the loader daemons' channel (loader=user) */
	C_CH_ATTACH, C_CH_READ, C_CH_WRITE, C_CH_JUNK, C_CH_POLL, C_CH_FD,
	C_CH_GET, NR_CALLS
};

static const struct {
	const char *name;
	unsigned long long allowed;	/* bit 0: ok; bit N: errno N < 64 */
	unsigned int weight;		/* relative frequency */
	unsigned long long allowed_hi;	/* bit N: errno 64 + N */
	bool channel;			/* a call of --channel */
} calls[NR_CALLS] = {
	[C_IOC_RANDOM]	= { "ioctl-random", E(ENOTTY), 14 },
	[C_IOC_BADSIZE]	= { "ioctl-badsize", E(ENOTTY), 8 },
	[C_GET]		= { "GET", OK | E(EFAULT) | E(EINVAL) | E(E2BIG) |
			    E(ENAMETOOLONG) | E(ENOSPC) | E(ENOENT) | E(EIO) |
			    E(EINTR) | E(EAGAIN) | E(ENOMEM), 20 },
	[C_BATCH]	= { "GET_BATCH", OK | E(EFAULT) | E(EINVAL) | E(E2BIG) |
			    E(EINTR), 10 },
	[C_INVALIDATE]	= { "INVALIDATE", OK | E(EFAULT) | E(EINVAL) |
			    E(E2BIG) | E(ENAMETOOLONG), 8 },
	[C_FLUSH]	= { "FLUSH", OK, 1 },
	[C_STATS]	= { "STATS", OK | E(EFAULT) | E(EINVAL) | E(ENOMEM), 6 },
	[C_ATTACH]	= { "LOADER_ATTACH", E(EFAULT) | E(EINVAL) | E(E2BIG),
			    3, EH(EOPNOTSUPP) },
	[C_IOC_PROC]	= { "ioctl-proc", E(ENOTTY), 3 },
	[C_W_LOOKUP]	= { "write-lookup", OK | E(EFAULT) | E(EINVAL) |
			    E(ENAMETOOLONG) | E(ENOENT) | E(EIO) | E(EINTR) |
			    E(EAGAIN) | E(ENOMEM), 12 },
	[C_W_CONTROL]	= { "write-control", OK | E(EFAULT) | E(EINVAL) |
			    E(ENAMETOOLONG), 7 },
	[C_W_RO]	= { "write-readonly", E(EBADF), 2 },
	[C_READ]	= { "read-proc", OK | E(EFAULT) | E(EINVAL) | E(EINTR), 8 },
	[C_READ_NONE]	= { "read-nonreadable", E(EBADF) | E(EINVAL), 2 },
	[C_URING]	= { "uring-GET", OK | E(ENOTTY) | E(EFAULT) | E(EINVAL) |
			    E(E2BIG) | E(ENAMETOOLONG) | E(ENOSPC) | E(ENOENT) |
			    E(EIO) | E(EINTR) | E(EAGAIN) | E(ENOMEM), 10 },
	[C_CH_ATTACH]	= { "ch-attach", OK | E(EFAULT) | E(EINVAL) | E(E2BIG) |
			    E(ENOMEM) | E(EMFILE) | E(ENFILE), 4, 0, true },
	[C_CH_READ]	= { "ch-read", OK | E(EINVAL) | E(EFAULT) | E(EAGAIN) |
			    E(EINTR) | E(ENOMEM), 45, EH(ESHUTDOWN), true },
	[C_CH_WRITE]	= { "ch-write", OK | E(EINVAL) | E(E2BIG) | E(EFAULT) |
			    E(ENOMEM), 25, EH(ESTALE), true },
	[C_CH_JUNK]	= { "ch-write-junk", OK | E(EINVAL) | E(E2BIG) |
			    E(EFAULT) | E(ENOMEM), 6, EH(ESTALE), true },
	[C_CH_POLL]	= { "ch-poll", OK | E(EINTR), 10, 0, true },
	[C_CH_FD]	= { "ch-close-dup-fcntl", OK, 4, 0, true },
	[C_CH_GET]	= { "ch-GET", OK | E(ENOENT) | E(EIO) | E(EINTR) |
			    E(EAGAIN) | E(ENOMEM), 0,
			    EH(ETIMEDOUT) | EH(ENOTCONN), true },
};

/* Item statuses of a GET_BATCH that returned 0. */
#define ITEM_ALLOWED	(OK | E(EINVAL) | E(ENAMETOOLONG) | E(ENOSPC) | \
			 E(ENOENT) | E(EIO) | E(EAGAIN) | E(ENOMEM))

static const char *const proc_readable[] = { "lookup", "stats", "entries" };

/*
 * Scratch areas, each followed by a PROT_NONE guard page, so that a buffer
 * can end exactly at a page boundary (valid) or run past it (EFAULT), and
 * nothing the kernel writes can reach the fuzzer's own memory.
 */
enum area { A_ARG, A_ITEMS, A_KEYS, A_VALS, A_READ, NR_AREAS };
static const size_t area_pages[NR_AREAS] = { 1, 3, 17, 2, 17 };
static char *area[NR_AREAS];
static char *ro_page;		/* readable, not writable */
static char *none_page;		/* mapped PROT_NONE */
static char *hole_page;		/* unmapped */

/* --channel: what the fuzzer knows of a load id (indexed by the id). */
enum { ID_UNSEEN, ID_HELD, ID_RELEASED, ID_DONE };
struct idinfo {
	char *key;		/* its key, once read */
	uint32_t owner;		/* ID_HELD: the channel (its uid) holding it */
	uint8_t state;		/* ID_* */
	uint8_t key_len;
};

/* --channel: one attached channel. */
struct chan {
	int fd;			/* -1: the slot is free */
	uint32_t uid;		/* the channel (an open file), kept across dup() */
	uint64_t *held;		/* ids it read (some answered or timed out since) */
	size_t nheld, held_cap;
};

#define NR_CHANS	3
#define STALE_RING	64

struct fuzz {
	struct cp_rng rng;
	unsigned long long calls;
	bool verbose;
	bool channel;		/* --channel */
	int forbid;		/* an errno treated as undocumented (control) */
	int dev, lookup, control, ro[2], rd[3];
	struct io_uring ring;	/* for C_URING */
	const char *device;
	unsigned long long count[NR_CALLS][BAD_RESULT + 1];
	unsigned long long failures;
	unsigned long long wrong_values;
	/* --channel (the ids and channels: the fuzzing thread's only) */
	struct chan ch[NR_CHANS];
	uint32_t next_uid;
	struct idinfo *ids;
	size_t ids_cap;
	uint64_t max_id;	/* the highest id read: every id up to it was issued */
	uint64_t stale[STALE_RING];
	unsigned int nstale;
	int stop;		/* the callers finish */
	int callers_done;
	unsigned long long reqs, requeued, taken[3], timed_out;
};

static uint64_t rnd(struct fuzz *f)
{
	return cp_rng_next(&f->rng);
}

static uint64_t below(struct fuzz *f, uint64_t n)
{
	return cp_rng_below(&f->rng, n);
}

static size_t area_size(enum area a)
{
	return area_pages[a] * PAGE;
}

static int areas_map(void)
{
	size_t total = 0, off = 0;
	char *p;
	int a;

	for (a = 0; a < NR_AREAS; a++)
		total += (area_pages[a] + 1) * PAGE;
	total += 3 * PAGE;
	p = mmap(NULL, total, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	for (a = 0; a < NR_AREAS; a++) {
		area[a] = p + off;
		off += area_pages[a] * PAGE;
		if (mprotect(p + off, PAGE, PROT_NONE))
			return -errno;
		off += PAGE;
	}
	ro_page = p + off;
	memset(ro_page, 'r', PAGE);
	none_page = ro_page + PAGE;
	hole_page = none_page + PAGE;
	if (mprotect(ro_page, PAGE, PROT_READ) ||
	    mprotect(none_page, PAGE, PROT_NONE) || munmap(hole_page, PAGE))
		return -errno;
	return 0;
}

/*
 * The unmapped page, or the PROT_NONE one once a later mmap (a thread's
 * stack, a big malloc) took the hole's place.
 */
static char *hole(void)
{
	return msync(hole_page, PAGE, MS_ASYNC) && errno == ENOMEM ? hole_page :
								     none_page;
}

/*
 * A user pointer for @len bytes: mostly inside @a (anywhere, or ending
 * exactly at its guard page, or running into it), sometimes wild.
 */
static uint64_t rand_ptr(struct fuzz *f, enum area a, size_t len)
{
	size_t size = area_size(a);
	char *end = area[a] + size;

	switch (below(f, 20)) {
	case 0:
		return 0;
	case 1:
		return 1 + below(f, PAGE);
	case 2:
		return 0xffff888000000000ULL + below(f, 1ULL << 30);
	case 3:
		return 0xffffffff81000000ULL + below(f, 1ULL << 24);
	case 4:
		return (below(f, 2) ? 0x0000800000000000ULL :
				      0xdead000000000000ULL) + below(f, PAGE);
	case 5:
		return (uintptr_t)hole() + below(f, PAGE);
	case 6:
		return (uintptr_t)none_page + below(f, PAGE);
	case 7:
		return (uintptr_t)ro_page + below(f, PAGE);
	case 8:
	case 9:
		/* Ends exactly at the page boundary before the guard. */
		return len <= size ? (uintptr_t)(end - len) : (uintptr_t)area[a];
	case 10:
		/* Runs 1..len bytes into the guard. */
		return len && len <= size ?
			(uintptr_t)(end - len + 1 + below(f, len)) :
			(uintptr_t)end - 1;
	default:
		return len < size ? (uintptr_t)(area[a] + below(f, size - len)) :
				    (uintptr_t)area[a];
	}
}

/* Is [p, p + len) inside @a, so that we may write it? */
static bool in_area(uint64_t p, size_t len, enum area a)
{
	uintptr_t lo = (uintptr_t)area[a];

	return p >= lo && p <= lo + area_size(a) && len <= lo + area_size(a) - p;
}

static const char *const dict[] = {
	"user:1", "user:2", "user:3", "k", "fuzz", "enoent-x", "enoent-y",
	"eio-x", "eio-y", "a:b", "flush", "invalidate k", "reset-stats",
};

/*
 * Fills @buf with a key-like byte string of @len bytes: a dictionary key,
 * printable noise, or any bytes at all (NUL and newline included). Never
 * begins with "slow-", which would only make the fuzzer wait.
 */
static void rand_bytes(struct fuzz *f, char *buf, size_t len)
{
	unsigned int how = below(f, 4);
	size_t i;

	for (i = 0; i < len; i++) {
		if (how == 0)
			buf[i] = below(f, 256);
		else if (how == 1)
			buf[i] = "ab\n\0:- "[below(f, 7)];
		else
			buf[i] = 'a' + below(f, 26);
	}
	if (how == 3 && len) {
		const char *d = dict[below(f, sizeof(dict) / sizeof(dict[0]))];

		memcpy(buf, d, strlen(d) < len ? strlen(d) : len);
	}
	if (len >= 5 && !memcmp(buf, "slow-", 5))
		buf[0] = 'x';
}

/* A key length: mostly valid, sometimes 0, 256 or wild. */
static uint32_t rand_key_len(struct fuzz *f)
{
	switch (below(f, 10)) {
	case 0:
		return 0;
	case 1:
		return CACHEPROXY_KEY_MAX + below(f, 3);
	case 2:
		return rnd(f);
	default:
		return 1 + below(f, 16);
	}
}

/* A key pointer for @len bytes, with the bytes written where we can. */
static uint64_t rand_key(struct fuzz *f, uint32_t len)
{
	size_t n = len > 512 ? 512 : len;
	uint64_t p = rand_ptr(f, A_KEYS, n);

	if (in_area(p, n, A_KEYS))
		rand_bytes(f, (char *)(uintptr_t)p, n);
	return p;
}

static uint32_t rand_u32(struct fuzz *f)
{
	switch (below(f, 6)) {
	case 0:
		return 0;
	case 1:
		return UINT32_MAX - below(f, 2);
	case 2:
		return below(f, 1024);
	default:
		return below(f, CACHEPROXY_VALUE_MAX + 2);
	}
}

/* Mostly zero, else one random bit or anything. */
static uint64_t rand_reserved(struct fuzz *f)
{
	switch (below(f, 8)) {
	case 0:
		return 1ULL << below(f, 64);
	case 1:
		return rnd(f);
	default:
		return 0;
	}
}

/* Records one result; reports it when it is not documented for @c. */
static void record(struct fuzz *f, enum call c, long ret, int err,
		   const char *what)
{
	int idx = ret < 0 ? err : 0;

	if (idx < 0 || idx > MAX_ERRNO)
		idx = BAD_RESULT;
	/* The channel's callers record from their own threads. */
	__atomic_fetch_add(&f->count[c][idx], 1, __ATOMIC_RELAXED);
	if (idx != BAD_RESULT && (!f->forbid || idx != f->forbid) &&
	    (idx < 64 ? calls[c].allowed & E(idx) :
	     idx < 128 && calls[c].allowed_hi & EH(idx)))
		return;
	if (__atomic_fetch_add(&f->failures, 1, __ATOMIC_RELAXED) < 20)
		fprintf(stderr, "cacheproxy-fuzz: %s: undocumented result %ld (%s)%s%s\n",
			calls[c].name, ret, ret < 0 ? strerror(err) : "not an errno",
			what ? ": " : "", what ? what : "");
}

static void symptom(struct fuzz *f, enum call c, const char *fmt,
		    unsigned long long a, unsigned long long b)
{
	__atomic_fetch_add(&f->wrong_values, 1, __ATOMIC_RELAXED);
	if (__atomic_fetch_add(&f->failures, 1, __ATOMIC_RELAXED) < 20) {
		fprintf(stderr, "cacheproxy-fuzz: %s: ", calls[c].name);
		fprintf(stderr, fmt, a, b);
		fputc('\n', stderr);
	}
}

static long xioctl(int fd, unsigned long cmd, uint64_t arg, int *err)
{
	long ret = ioctl(fd, cmd, (unsigned long)arg);

	*err = ret < 0 ? errno : 0;
	return ret;
}

/* A value "KEY:N" for a key we wrote ourselves. */
static void check_value(struct fuzz *f, enum call c, uint64_t key,
			uint32_t key_len, uint64_t val, uint32_t val_len,
			uint32_t val_size)
{
	const char *v = (const char *)(uintptr_t)val;
	__u64 seq;

	if (val_len > CACHEPROXY_VALUE_MAX || val_len > val_size) {
		symptom(f, c, "value_len %llu for a buffer of %llu",
			val_len, val_size);
		return;
	}
	if (!in_area(key, key_len, A_KEYS) || !in_area(val, val_len, A_VALS))
		return;
	if (cp_parse_value((const char *)(uintptr_t)key, key_len, v, val_len,
			   &seq))
		symptom(f, c, "value of %llu bytes is not KEY:N (key of %llu bytes)",
			val_len, key_len);
}

static void fuzz_get(struct fuzz *f)
{
	struct cacheproxy_get *g;
	uint64_t arg = rand_ptr(f, A_ARG, sizeof(*g));
	long ret;
	int err;

	if (!in_area(arg, sizeof(*g), A_ARG)) {
		ret = xioctl(f->dev, CACHEPROXY_IOC_GET, arg, &err);
		record(f, C_GET, ret, err, "wild struct pointer");
		return;
	}
	g = (struct cacheproxy_get *)(uintptr_t)arg;
	g->key_len = rand_key_len(f);
	g->key = rand_key(f, g->key_len);
	g->value_size = rand_u32(f);
	g->value = rand_ptr(f, A_VALS, g->value_size < PAGE ? g->value_size : PAGE);
	g->value_len = UINT32_MAX;
	g->flags = below(f, 8) ? 0 : rnd(f);
	g->reserved = rand_reserved(f);
	ret = xioctl(f->dev, CACHEPROXY_IOC_GET, arg, &err);
	record(f, C_GET, ret, err, NULL);
	if (!ret)
		check_value(f, C_GET, g->key, g->key_len, g->value,
			    g->value_len, g->value_size);
	else if (err == ENOSPC && g->value_len <= g->value_size)
		symptom(f, C_GET, "ENOSPC with value_len %llu <= value_size %llu",
			g->value_len, g->value_size);
}

/*
 * One CACHEPROXY_URING_GET with random command bytes and struct (as
 * fuzz_get()), its CQE judged as a GET's answer: res a length or -errno.
 */
static void fuzz_uring(struct fuzz *f)
{
	struct cacheproxy_uring_get cmd = { 0 };
	struct io_uring_sqe *sqe = io_uring_get_sqe(&f->ring);
	struct io_uring_cqe *cqe;
	struct cacheproxy_get *g = NULL;
	__u32 op = CACHEPROXY_URING_GET;
	int ret, res;

	if (!sqe) {
		symptom(f, C_URING, "no SQE free%.0llu%.0llu", 0, 0);
		return;
	}
	cmd.get = rand_ptr(f, A_ARG, sizeof(*g));
	cmd.get_size = below(f, 4) ? sizeof(*g) : rand_u32(f);
	cmd.flags = below(f, 16) ? 0 : rand_u32(f);
	if (!below(f, 16))
		op = below(f, 2) ? rand_u32(f) : CACHEPROXY_URING_GET + 1;
	if (in_area(cmd.get, sizeof(*g), A_ARG)) {
		g = (struct cacheproxy_get *)(uintptr_t)cmd.get;
		g->key_len = rand_key_len(f);
		g->key = rand_key(f, g->key_len);
		g->value_size = rand_u32(f);
		g->value = rand_ptr(f, A_VALS,
				    g->value_size < PAGE ? g->value_size : PAGE);
		g->value_len = UINT32_MAX;
		g->flags = below(f, 8) ? 0 : rnd(f);
		g->reserved = rand_reserved(f);
	}
	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, f->dev, NULL, 0, 0);
	sqe->cmd_op = op;
	memcpy(sqe->cmd, &cmd, sizeof(cmd));
	if (!below(f, 4))
		sqe->flags |= IOSQE_ASYNC;
	ret = io_uring_submit(&f->ring);
	if (ret != 1) {
		symptom(f, C_URING, "io_uring_submit: %lld%.0llu", ret, 0);
		return;
	}
	do
		ret = io_uring_wait_cqe(&f->ring, &cqe);
	while (ret == -EINTR);
	if (ret) {
		symptom(f, C_URING, "io_uring_wait_cqe: %lld%.0llu", ret, 0);
		return;
	}
	res = cqe->res;
	io_uring_cqe_seen(&f->ring, cqe);
	record(f, C_URING, res < 0 ? -1 : 0, res < 0 ? -res : 0,
	       g ? NULL : "wild struct pointer");
	if (!g || op != CACHEPROXY_URING_GET)
		return;
	if (res >= 0)
		check_value(f, C_URING, g->key, g->key_len, g->value, res,
			    g->value_size);
	else if (res == -ENOSPC && g->value_len <= g->value_size)
		symptom(f, C_URING, "ENOSPC with value_len %llu <= value_size %llu",
			g->value_len, g->value_size);
}

static void fuzz_batch(struct fuzz *f)
{
	struct cacheproxy_batch_item *items;
	struct cacheproxy_get_batch *b;
	uint64_t arg = rand_ptr(f, A_ARG, sizeof(*b));
	uint32_t count, i;
	long ret;
	int err;

	if (!in_area(arg, sizeof(*b), A_ARG)) {
		ret = xioctl(f->dev, CACHEPROXY_IOC_GET_BATCH, arg, &err);
		record(f, C_BATCH, ret, err, "wild struct pointer");
		return;
	}
	switch (below(f, 8)) {
	case 0:
		count = 0;
		break;
	case 1:
		count = CACHEPROXY_BATCH_MAX + below(f, 2);
		break;
	case 2:
		count = below(f, 2) ? UINT32_MAX : rnd(f);
		break;
	default:
		count = 1 + below(f, 8);
	}
	b = (struct cacheproxy_get_batch *)(uintptr_t)arg;
	b->count = count;
	b->flags = below(f, 8) ? 0 : rnd(f);
	b->reserved = rand_reserved(f);
	b->items = rand_ptr(f, A_ITEMS, (size_t)(count <= CACHEPROXY_BATCH_MAX ?
						 count : 1) * sizeof(*items));
	items = (struct cacheproxy_batch_item *)(uintptr_t)b->items;
	if (count <= CACHEPROXY_BATCH_MAX &&
	    in_area(b->items, count * sizeof(*items), A_ITEMS)) {
		for (i = 0; i < count; i++) {
			items[i].key_len = rand_key_len(f);
			items[i].key = rand_key(f, items[i].key_len);
			items[i].value_size = rand_u32(f);
			items[i].value = rand_ptr(f, A_VALS,
						  items[i].value_size < PAGE ?
						  items[i].value_size : PAGE);
			items[i].value_len = rnd(f);
			items[i].status = rnd(f);
		}
	} else {
		items = NULL;
	}
	ret = xioctl(f->dev, CACHEPROXY_IOC_GET_BATCH, arg, &err);
	record(f, C_BATCH, ret, err, NULL);
	if (ret || !items)
		return;
	for (i = 0; i < count; i++) {
		int st = items[i].status;

		if (st > 0 || -st > MAX_ERRNO || !(ITEM_ALLOWED & E(-st)) ||
		    (f->forbid && -st == f->forbid)) {
			symptom(f, C_BATCH, "item %llu: undocumented status %lld",
				i, (long long)st);
			continue;
		}
		if (!st)
			check_value(f, C_BATCH, items[i].key, items[i].key_len,
				    items[i].value, items[i].value_len,
				    items[i].value_size);
	}
}

static void fuzz_invalidate(struct fuzz *f)
{
	struct cacheproxy_key *k;
	uint64_t arg = rand_ptr(f, A_ARG, sizeof(*k));
	long ret;
	int err;

	if (in_area(arg, sizeof(*k), A_ARG)) {
		k = (struct cacheproxy_key *)(uintptr_t)arg;
		k->key_len = rand_key_len(f);
		k->key = rand_key(f, k->key_len);
		k->reserved = rand_reserved(f);
	}
	ret = xioctl(f->dev, CACHEPROXY_IOC_INVALIDATE, arg, &err);
	record(f, C_INVALIDATE, ret, err, NULL);
}

static void fuzz_stats(struct fuzz *f)
{
	struct cacheproxy_stats *st;
	uint64_t arg = rand_ptr(f, A_ARG, sizeof(*st));
	long ret;
	int err;

	if (in_area(arg, sizeof(st->size), A_ARG)) {
		uint32_t size;

		switch (below(f, 4)) {
		case 0:
			size = sizeof(*st);
			break;
		case 1:
			size = below(f, 16);
			break;
		default:
			size = rand_u32(f);
		}
		memcpy((void *)(uintptr_t)arg, &size, sizeof(size));
	}
	ret = xioctl(f->dev, CACHEPROXY_IOC_STATS, arg, &err);
	record(f, C_STATS, ret, err, NULL);
}

/*
 * LOADER_ATTACH with a random pointer, or a struct of a random size (often
 * the real one), flags and reserved field. A channel returned is closed.
 */
static void fuzz_attach(struct fuzz *f)
{
	uint64_t arg = rand_ptr(f, A_ARG, 64);
	long ret;
	int err;

	if (in_area(arg, sizeof(struct cacheproxy_loader_attach), A_ARG)) {
		struct cacheproxy_loader_attach a = {
			.size = below(f, 2) ? sizeof(a) : below(f, 4) ?
				below(f, 300) : rand_u32(f),
			.flags = below(f, 2) ? below(f, 4) : rand_u32(f),
			.reserved = below(f, 4) ? 0 : rand_u32(f),
		};

		memcpy((void *)(uintptr_t)arg, &a, sizeof(a));
	}
	ret = xioctl(f->dev, CACHEPROXY_IOC_LOADER_ATTACH, arg, &err);
	record(f, C_ATTACH, ret, err, NULL);
	if (ret >= 0)
		close(ret);
}

static const unsigned long real_cmds[] = {
	CACHEPROXY_IOC_GET, CACHEPROXY_IOC_GET_BATCH,
	CACHEPROXY_IOC_INVALIDATE, CACHEPROXY_IOC_FLUSH,
	CACHEPROXY_IOC_STATS, CACHEPROXY_IOC_LOADER_ATTACH,
};
#define NR_REAL_CMDS	(sizeof(real_cmds) / sizeof(real_cmds[0]))

/* Types whose commands the VFS or the tty layer may take first. */
static bool vfs_type(unsigned int type)
{
	return type == 'T' || type == 'f' || type == 'X' || type == 0x94 ||
	       type <= 2;
}

/*
 * The call a real command number with another size is checked as: the
 * command itself when the kernel takes it as that (its direction, and a
 * size at least the struct's; STATS and LOADER_ATTACH take any size, FLUSH
 * only its own),
 * else ioctl-badsize (ENOTTY).
 */
static enum call badsize_call(unsigned long cmd)
{
	static const enum call as[NR_REAL_CMDS] = {
		C_GET, C_BATCH, C_INVALIDATE, C_FLUSH, C_STATS, C_ATTACH,
	};
	unsigned int i = _IOC_NR(cmd) - 1;
	unsigned long real;

	if (_IOC_TYPE(cmd) != CACHEPROXY_IOC_MAGIC || i >= NR_REAL_CMDS)
		return C_IOC_BADSIZE;
	real = real_cmds[i];
	if (_IOC_DIR(cmd) != _IOC_DIR(real) || real == CACHEPROXY_IOC_FLUSH)
		return C_IOC_BADSIZE;
	if (real != CACHEPROXY_IOC_STATS &&
	    real != CACHEPROXY_IOC_LOADER_ATTACH &&
	    _IOC_SIZE(cmd) < _IOC_SIZE(real))
		return C_IOC_BADSIZE;
	return as[i];
}

static void fuzz_ioctl_number(struct fuzz *f, bool real_nr)
{
	unsigned int type, nr, dir, size;
	enum call c = real_nr ? C_IOC_BADSIZE : C_IOC_RANDOM;
	unsigned long cmd;
	uint64_t arg;
	long ret;
	size_t i;
	int err;

	do {
		type = real_nr ? CACHEPROXY_IOC_MAGIC : below(f, 256);
		nr = real_nr ? 1 + below(f, NR_REAL_CMDS) : below(f, 256);
		if (!real_nr && !below(f, 4))
			type = CACHEPROXY_IOC_MAGIC;
		dir = below(f, 4);
		size = below(f, 4) ? below(f, 1U << _IOC_SIZEBITS) :
				     below(f, 512);
	} while (vfs_type(type));
	cmd = _IOC(dir, type, nr, size);
	for (i = 0; i < NR_REAL_CMDS; i++)
		if (cmd == real_cmds[i])
			return;	/* the real ones have their own fuzzers */
	arg = below(f, 2) ? rand_ptr(f, A_ARG, PAGE) : rnd(f);
	/* A size or number that happens to be taken as a real command. */
	if (badsize_call(cmd) != C_IOC_BADSIZE)
		c = badsize_call(cmd);
	ret = xioctl(f->dev, cmd, arg, &err);
	record(f, c, ret, err, NULL);
	if (c == C_ATTACH && ret >= 0)
		close(ret);
	if (f->verbose && ret >= 0)
		fprintf(stderr, "cmd %#lx accepted\n", cmd);
}

/* A byte count for a write or read: small, around the limits, or huge. */
static size_t rand_count(struct fuzz *f)
{
	switch (below(f, 8)) {
	case 0:
		return 0;
	case 1:
		return CACHEPROXY_KEY_MAX - 1 + below(f, 4);
	case 2:
		return below(f, 2) ? SIZE_MAX >> below(f, 40) : 1UL << 31;
	case 3:
		return below(f, 8 * PAGE);
	default:
		return 1 + below(f, 32);
	}
}

static void fuzz_write(struct fuzz *f, enum call c)
{
	int fd = c == C_W_LOOKUP ? f->lookup : c == C_W_CONTROL ? f->control :
		 f->ro[below(f, 2)];
	size_t count = rand_count(f), n = count > PAGE ? PAGE : count;
	uint64_t p = rand_ptr(f, A_KEYS, n);
	ssize_t ret;

	if (in_area(p, n, A_KEYS)) {
		rand_bytes(f, (char *)(uintptr_t)p, n);
		if (c == C_W_CONTROL && n > 11 && below(f, 2))
			memcpy((char *)(uintptr_t)p, "invalidate ", 11);
	}
	ret = write(fd, (const void *)(uintptr_t)p, count);
	record(f, c, ret, errno, NULL);
	if (ret >= 0 && (size_t)ret != count)
		symptom(f, c, "short write: %llu of %llu bytes", ret, count);
}

static void fuzz_read(struct fuzz *f)
{
	int fd = f->rd[below(f, 3)];
	size_t count = rand_count(f), n = count > 17 * PAGE ? 17 * PAGE : count;
	uint64_t p = rand_ptr(f, A_READ, n);
	ssize_t ret;

	if (below(f, 2)) {
		off_t off;

		switch (below(f, 4)) {
		case 0:
			off = -1 - (off_t)below(f, 100);
			break;
		case 1:
			off = (off_t)(rnd(f) >> 1);
			break;
		default:
			off = below(f, 4096);
		}
		ret = pread(fd, (void *)(uintptr_t)p, count, off);
	} else {
		if (!below(f, 4))
			lseek(fd, 0, SEEK_SET);
		ret = read(fd, (void *)(uintptr_t)p, count);
	}
	record(f, C_READ, ret, errno, NULL);
	if (ret >= 0 && (size_t)ret > count)
		symptom(f, C_READ, "read %llu bytes for a count of %llu",
			ret, count);
}

static void fuzz_one(struct fuzz *f)
{
	unsigned int total = 0, pick;
	enum call c;
	long ret;
	int err;

	for (c = 0; c < NR_CALLS; c++)
		total += calls[c].channel ? 0 : calls[c].weight;
	pick = below(f, total);
	for (c = 0; calls[c].channel || pick >= calls[c].weight; c++)
		pick -= calls[c].channel ? 0 : calls[c].weight;

	switch (c) {
	case C_IOC_RANDOM:
	case C_IOC_BADSIZE:
		fuzz_ioctl_number(f, c == C_IOC_BADSIZE);
		break;
	case C_GET:
		fuzz_get(f);
		break;
	case C_BATCH:
		fuzz_batch(f);
		break;
	case C_INVALIDATE:
		fuzz_invalidate(f);
		break;
	case C_FLUSH:
		ret = xioctl(f->dev, CACHEPROXY_IOC_FLUSH,
			     rand_ptr(f, A_ARG, 8), &err);
		record(f, C_FLUSH, ret, err, NULL);
		break;
	case C_STATS:
		fuzz_stats(f);
		break;
	case C_ATTACH:
		fuzz_attach(f);
		break;
	case C_IOC_PROC:
		ret = xioctl(below(f, 2) ? f->lookup : f->rd[below(f, 3)],
			     below(f, 2) ? real_cmds[below(f, NR_REAL_CMDS)] :
					   rnd(f),
			     rand_ptr(f, A_ARG, 64), &err);
		record(f, C_IOC_PROC, ret, err, NULL);
		break;
	case C_W_LOOKUP:
	case C_W_CONTROL:
	case C_W_RO:
		fuzz_write(f, c);
		break;
	case C_READ:
		fuzz_read(f);
		break;
	case C_URING:
		fuzz_uring(f);
		break;
	case C_READ_NONE:
		ret = read(below(f, 2) ? f->control : f->dev,
			   (void *)(uintptr_t)rand_ptr(f, A_READ, 64),
			   rand_count(f));
		record(f, C_READ_NONE, ret, errno, NULL);
		break;
	default:
		break;
	}
}

/*
 * The module parameters are 0444: even root cannot write them at run
 * time. Returns the number of parameters that took a write.
 */
static int params_refuse_writes(unsigned int *checked)
{
	glob_t g;
	int bad = 0;
	size_t i;

	*checked = 0;
	if (glob(PARAMS_GLOB, 0, NULL, &g))
		return 0;
	for (i = 0; i < g.gl_pathc; i++) {
		char before[64] = "", after[64] = "";
		ssize_t n;
		int fd;

		fd = open(g.gl_pathv[i], O_RDONLY);
		if (fd >= 0) {
			n = read(fd, before, sizeof(before) - 1);
			before[n > 0 ? n : 0] = '\0';
			close(fd);
		}
		(*checked)++;
		fd = open(g.gl_pathv[i], O_WRONLY);
		if (fd >= 0) {
			n = write(fd, "5\n", 2);
			close(fd);
			if (n >= 0) {
				fprintf(stderr, "cacheproxy-fuzz: %s: a run-time write was accepted\n",
					g.gl_pathv[i]);
				bad++;
			}
		} else if (errno != EACCES && errno != EPERM) {
			fprintf(stderr, "cacheproxy-fuzz: %s: open for writing: %s (expected EACCES)\n",
				g.gl_pathv[i], strerror(errno));
			bad++;
		}
		fd = open(g.gl_pathv[i], O_RDONLY);
		if (fd >= 0) {
			n = read(fd, after, sizeof(after) - 1);
			after[n > 0 ? n : 0] = '\0';
			close(fd);
		}
		if (strcmp(before, after)) {
			fprintf(stderr, "cacheproxy-fuzz: %s changed from %s to %s\n",
				g.gl_pathv[i], before, after);
			bad++;
		}
	}
	globfree(&g);
	return bad;
}

/* After the storm: a plain GET still answers "KEY:N". */
static int sane_after(struct fuzz *f)
{
	static const char key[] = "fuzz-after";
	char val[CACHEPROXY_VALUE_MAX + 1];
	struct cacheproxy_get g = {
		.key = (uintptr_t)key,
		.value = (uintptr_t)val,
		.key_len = sizeof(key) - 1,
		.value_size = sizeof(val),
	};

	if (ioctl(f->dev, CACHEPROXY_IOC_GET, &g)) {
		fprintf(stderr, "cacheproxy-fuzz: GET after fuzzing: %s\n",
			strerror(errno));
		return -1;
	}
	if (g.value_len < sizeof(key) + 1 || memcmp(val, key, sizeof(key) - 1) ||
	    val[sizeof(key) - 1] != ':') {
		fprintf(stderr, "cacheproxy-fuzz: GET after fuzzing: wrong value\n");
		return -1;
	}
	return 0;
}

static void print_counts(const struct fuzz *f)
{
	int c, e;

	printf("%-17s %9s  results\n", "call", "calls");
	for (c = 0; c < NR_CALLS; c++) {
		unsigned long long n = 0;

		if (calls[c].channel != f->channel)
			continue;
		for (e = 0; e <= BAD_RESULT; e++)
			n += f->count[c][e];
		printf("%-17s %9llu ", calls[c].name, n);
		for (e = 0; e <= BAD_RESULT; e++) {
			if (!f->count[c][e])
				continue;
			if (!e)
				printf(" ok=%llu", f->count[c][e]);
			else if (e == BAD_RESULT)
				printf(" NOT-AN-ERRNO=%llu", f->count[c][e]);
			else
				printf(" %s=%llu", strerrorname_np(e) ?
				       strerrorname_np(e) : "?", f->count[c][e]);
		}
		putchar('\n');
	}
}

static int open_all(struct fuzz *f, const char *device)
{
	char path[64];
	int i;

	f->dev = open(device, O_RDWR | O_CLOEXEC);
	if (f->dev < 0) {
		fprintf(stderr, "cacheproxy-fuzz: %s: %s (is the module loaded?)\n",
			device, strerror(errno));
		return -1;
	}
	i = io_uring_queue_init(4, &f->ring, 0);
	if (i) {
		fprintf(stderr, "cacheproxy-fuzz: io_uring: %s\n", strerror(-i));
		return -1;
	}
	f->lookup = open(CP_PROC_DIR "lookup", O_RDWR | O_CLOEXEC);
	f->control = open(CP_PROC_DIR "control", O_WRONLY | O_CLOEXEC);
	f->ro[0] = open(CP_PROC_DIR "stats", O_RDONLY | O_CLOEXEC);
	f->ro[1] = open(CP_PROC_DIR "entries", O_RDONLY | O_CLOEXEC);
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), CP_PROC_DIR "%s",
			 proc_readable[i]);
		f->rd[i] = open(path, i ? O_RDONLY | O_CLOEXEC :
				O_RDWR | O_CLOEXEC);
		if (f->rd[i] < 0)
			break;
	}
	if (f->lookup < 0 || f->control < 0 || f->ro[0] < 0 || f->ro[1] < 0 ||
	    i < 3) {
		fprintf(stderr, "cacheproxy-fuzz: " CP_PROC_DIR ": %s\n",
			strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- --channel: the loader daemons' channel (loader=user) ---------------- */

#define NR_CALLERS	4
#define HOT_KEYS	24
#define IDS_MAX		(1U << 20)	/* ids tracked (one module load's) */
#define MAX_ANS		8		/* answers in one fuzzed write */
#define ANS_HDR		sizeof(struct cacheproxy_load_answer)
#define REQ_HDR		sizeof(struct cacheproxy_load_request)
#define ANS_ROOM	(CACHEPROXY_LOAD_ANSWER_SIZE_MAX + CACHEPROXY_VALUE_MAX + 8)
/* The most one read returns (module/channel.c) and the VFS's clamp. */
#define CH_READ_MAX	(16 * 1024)
#define RW_MAX		0x7ffff000UL
/* Above this, the VFS may refuse the pointer (access_ok()) with EFAULT. */
#define USER_TOP	((1ULL << 47) - 2 * PAGE)
#define ALIGN8(x)	(((x) + 7) & ~(uint64_t)7)

struct eset {
	unsigned long long lo, hi;
};

static void eset_add(struct eset *s, int e)
{
	if (e < 64)
		s->lo |= E(e);
	else if (e < 128)
		s->hi |= EH(e);
}

static bool eset_has(struct eset s, int e)
{
	return e > 0 && (e < 64 ? s.lo & E(e) : e < 128 && s.hi & EH(e));
}

/* Prints the errnos of @s into @buf, for a report. */
static const char *eset_str(struct eset s, char *buf, size_t size)
{
	size_t n = 0;
	int e;

	buf[0] = '\0';
	for (e = 1; e < 128 && n + 16 < size; e++)
		if (eset_has(s, e))
			n += snprintf(buf + n, size - n, "%s%s", n ? "," : "",
				      strerrorname_np(e) ?: "?");
	return n ? buf : "none";
}

/* A report of a symptom with a free-form text (the channel's checks). */
static void ch_bad(struct fuzz *f, enum call c, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void ch_bad(struct fuzz *f, enum call c, const char *fmt, ...)
{
	va_list ap;

	__atomic_fetch_add(&f->wrong_values, 1, __ATOMIC_RELAXED);
	if (__atomic_fetch_add(&f->failures, 1, __ATOMIC_RELAXED) >= 20)
		return;
	va_start(ap, fmt);
	flockfile(stderr);
	fprintf(stderr, "cacheproxy-fuzz: %s: ", calls[c].name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	funlockfile(stderr);
	va_end(ap);
}

/*
 * Bytes from @p on that the fuzzer's own mappings make readable (@write:
 * writable): the scratch areas up to their guard page, the read-only page
 * (readable only). 0 for every other address.
 */
static size_t mapped_from(uint64_t p, bool write)
{
	int a;

	for (a = 0; a < NR_AREAS; a++) {
		uintptr_t lo = (uintptr_t)area[a], hi = lo + area_size(a);

		if (p >= lo && p < hi)
			return hi - p;
	}
	if (!write && p >= (uintptr_t)ro_page && p < (uintptr_t)ro_page + PAGE)
		return (uintptr_t)ro_page + PAGE - p;
	return 0;
}

/* The VFS checks the whole [p, p + count) before the driver sees it. */
static bool vfs_may_fault(uint64_t p, size_t count)
{
	return p > USER_TOP || p + count < p || p + count > USER_TOP;
}

/* Stores @len bytes at @p, where the fuzzer's mappings allow it. */
static void poke(uint64_t p, const void *src, size_t len)
{
	size_t w = mapped_from(p, true), r = mapped_from(p, false);

	if (w) {
		memcpy((void *)(uintptr_t)p, src, len < w ? len : w);
	} else if (r && !mprotect(ro_page, PAGE, PROT_READ | PROT_WRITE)) {
		memcpy((void *)(uintptr_t)p, src, len < r ? len : r);
		mprotect(ro_page, PAGE, PROT_READ);
	}
}

/*
 * What the fuzzer answers for a key, so that every lookup can be judged:
 * most keys get the value "V:" KEY, one in ten ENOENT (a negative entry),
 * one in ten an error (their callers get EIO).
 */
enum { POL_VALUE, POL_ENOENT, POL_ERROR };

static int key_policy(const char *k, size_t n)
{
	uint32_t h = 2166136261U;

	while (n--)
		h = (h ^ (unsigned char)*k++) * 16777619U;
	h %= 10;
	return h == 0 ? POL_ENOENT : h == 1 ? POL_ERROR : POL_VALUE;
}

/* A daemon's error: any -errno but -ENOENT, down to -4095. */
static int32_t rand_daemon_err(struct fuzz *f)
{
	static const int32_t some[] = { -EIO, -EPERM, -ETIMEDOUT, -512, -4095,
					-1 };
	int32_t e = below(f, 2) ? some[below(f, 6)] : -1 - (int32_t)below(f, 4095);

	return e == -ENOENT ? -EIO : e;
}

static struct idinfo *id_info(struct fuzz *f, uint64_t id, bool grow)
{
	struct idinfo *p;
	size_t cap;

	if (!id || id >= IDS_MAX)
		return NULL;
	if (id >= f->ids_cap) {
		if (!grow)
			return NULL;
		for (cap = f->ids_cap ? f->ids_cap : 1024; cap <= id; cap *= 2)
			;
		p = realloc(f->ids, cap * sizeof(*p));
		if (!p)
			return NULL;
		memset(p + f->ids_cap, 0, (cap - f->ids_cap) * sizeof(*p));
		f->ids = p;
		f->ids_cap = cap;
	}
	return &f->ids[id];
}

/* @id is gone for good: answered, or timed out. */
static void id_done(struct fuzz *f, uint64_t id)
{
	struct idinfo *in = id_info(f, id, false);

	if (!in || in->state == ID_DONE)
		return;
	in->state = ID_DONE;
	f->stale[f->nstale++ % STALE_RING] = id;
}

static bool id_held_by(struct fuzz *f, uint64_t id, const struct chan *c)
{
	struct idinfo *in = id_info(f, id, false);

	return in && in->state == ID_HELD && in->owner == c->uid;
}

/* ---- Callers: GETs, each judged against key_policy() ---- */

struct caller {
	pthread_t tid;
	struct fuzz *f;
	unsigned int idx;
	struct cp_rng rng;
};

static void caller_check(struct fuzz *f, const char *key, size_t len,
			 long ret, int err, const char *val, uint32_t vlen)
{
	int pol = key_policy(key, len);

	record(f, C_CH_GET, ret, err, NULL);
	if (!ret && (pol != POL_VALUE || vlen != len + 2 ||
		     memcmp(val, "V:", 2) || memcmp(val + 2, key, len)))
		ch_bad(f, C_CH_GET, "key %.40s (%zu bytes): a wrong value served: \"%.*s\" (%u bytes)%s",
		       key, len, vlen < 60 ? (int)vlen : 60, val, vlen,
		       pol == POL_VALUE ? "" : ", for a key answered with an error");
	else if (ret && err == ENOENT && pol != POL_ENOENT)
		ch_bad(f, C_CH_GET, "key %.40s: ENOENT, but no daemon answered it so",
		       key);
	else if (ret && err == EIO && pol != POL_ERROR)
		ch_bad(f, C_CH_GET, "key %.40s: EIO, but no daemon answered it with an error",
		       key);
}

static long caller_get(int dev, const char *key, size_t len, char *val,
		       uint32_t size, uint32_t *vlen, int *err)
{
	struct cacheproxy_get g = {
		.key = (uintptr_t)key,
		.value = (uintptr_t)val,
		.key_len = len,
		.value_size = size,
	};
	long ret = ioctl(dev, CACHEPROXY_IOC_GET, &g);

	*err = ret < 0 ? errno : 0;
	*vlen = g.value_len;
	return ret;
}

/*
 * A caller: GETs until told to stop. Most keys are new ones (a miss, so a
 * request for a daemon), some hot (hits once answered), some long (requests
 * of up to 280 bytes, so that reads of 512 bytes hold one or two).
 */
static void *caller_run(void *arg)
{
	struct caller *cl = arg;
	struct fuzz *f = cl->f;
	char key[CACHEPROXY_KEY_MAX + 1], val[CACHEPROXY_VALUE_MAX + 1];
	unsigned long long n;
	uint32_t vlen;
	int dev, err;
	size_t len, i;
	long ret;

	dev = open(f->device, O_RDONLY | O_CLOEXEC);
	if (dev < 0) {
		ch_bad(f, C_CH_GET, "open %s: %s", f->device, strerror(errno));
		goto out;
	}
	for (n = 0; !__atomic_load_n(&f->stop, __ATOMIC_ACQUIRE); n++) {
		switch (cp_rng_below(&cl->rng, 8)) {
		case 0:
		case 1:
			len = snprintf(key, sizeof(key), "h%u",
				       (unsigned int)cp_rng_below(&cl->rng,
								  HOT_KEYS));
			break;
		case 2:
			len = 100 + cp_rng_below(&cl->rng, 156);
			i = snprintf(key, sizeof(key), "L%u-%llu-", cl->idx, n);
			for (; i < len; i++)
				key[i] = 'a' + i % 26;
			key[len] = '\0';
			break;
		default:
			len = snprintf(key, sizeof(key), "c%u-%llu", cl->idx, n);
		}
		ret = caller_get(dev, key, len, val, sizeof(val), &vlen, &err);
		caller_check(f, key, len, ret, err, val, vlen);
		/* Failed at once (no channel, too many loads): no spinning. */
		if (ret && (err == ENOTCONN || err == EAGAIN))
			usleep(1000);
	}
	close(dev);
out:
	__atomic_fetch_add(&f->callers_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* ---- Reads ---- */

/* One SIGALRM ends a blocking read that found nothing (EINTR). */
static void on_alarm(int sig)
{
	(void)sig;
}

static void alarm_ms(unsigned int ms)
{
	struct itimerval it = { .it_value = { 0, ms * 1000 } };

	setitimer(ITIMER_REAL, &it, NULL);
}

static void held_push(struct chan *c, uint64_t id)
{
	size_t i, n;

	if (c->nheld == c->held_cap) {
		uint64_t *p;

		/* Drop what is neither held any more nor worth keeping. */
		if (c->held_cap >= 4096) {
			for (i = n = 0; i < c->nheld; i++)
				if (i >= c->nheld - 256)
					c->held[n++] = c->held[i];
			c->nheld = n;
		} else {
			p = realloc(c->held, (c->held_cap ? c->held_cap * 2 : 64) *
				    sizeof(*p));
			if (!p)
				return;
			c->held = p;
			c->held_cap = c->held_cap ? c->held_cap * 2 : 64;
		}
	}
	c->held[c->nheld++] = id;
}

/*
 * The @n bytes a read of @c returned: whole requests, each a header of the
 * attach's request_size (24), its key (1..255 bytes, no NUL or newline),
 * zeros to a multiple of 8. An id must be new, or one a closed channel
 * gave back (with the same key): never one another channel holds, one held
 * here already, one answered or timed out. The ids read go to @got.
 */
static size_t ch_parse(struct fuzz *f, struct chan *c, const unsigned char *b,
		       size_t n, uint64_t *got, size_t max)
{
	size_t off = 0, end, pad, i, ngot = 0;

	while (off < n) {
		struct cacheproxy_load_request r;
		const unsigned char *key;
		struct idinfo *in;

		if (n - off < REQ_HDR) {
			ch_bad(f, C_CH_READ, "a request header cut at byte %zu of %zu",
			       off, n);
			break;
		}
		memcpy(&r, b + off, sizeof(r));
		end = off + (uint64_t)r.size + r.key_len;
		pad = ALIGN8(end);
		if (r.size != REQ_HDR || r.flags || r.reserved || !r.id ||
		    !r.key_len || r.key_len > CACHEPROXY_KEY_MAX || pad > n) {
			ch_bad(f, C_CH_READ, "a malformed request at byte %zu of %zu: size %u flags %#x id %llu key_len %u reserved %#x",
			       off, n, r.size, r.flags, (unsigned long long)r.id,
			       r.key_len, r.reserved);
			break;
		}
		key = b + off + r.size;
		if (memchr(key, '\0', r.key_len) || memchr(key, '\n', r.key_len))
			ch_bad(f, C_CH_READ, "request %llu: a key with NUL or newline",
			       (unsigned long long)r.id);
		for (i = end; i < pad; i++)
			if (b[i]) {
				ch_bad(f, C_CH_READ, "request %llu: non-zero padding",
				       (unsigned long long)r.id);
				break;
			}
		off = pad;
		f->reqs++;
		in = id_info(f, r.id, true);
		if (!in)
			continue;	/* beyond what is tracked: left alone */
		if (in->state == ID_HELD || in->state == ID_DONE) {
			ch_bad(f, C_CH_READ, "request %llu read again (it was %s)",
			       (unsigned long long)r.id, in->state == ID_DONE ?
			       "answered or timed out" : in->owner == c->uid ?
			       "held by this channel" : "held by another channel");
			continue;
		}
		if (in->state == ID_RELEASED) {
			f->requeued++;
			if (in->key_len != r.key_len ||
			    memcmp(in->key, key, r.key_len))
				ch_bad(f, C_CH_READ, "request %llu given back with another key",
				       (unsigned long long)r.id);
		} else {
			free(in->key);
			in->key = malloc(r.key_len);
			if (!in->key)
				continue;
			memcpy(in->key, key, r.key_len);
			in->key_len = r.key_len;
		}
		in->state = ID_HELD;
		in->owner = c->uid;
		if (r.id > f->max_id)
			f->max_id = r.id;
		held_push(c, r.id);
		if (ngot < max)
			got[ngot++] = r.id;
	}
	return ngot;
}

/*
 * A read of channel @i. @clean: a daemon's read (a valid buffer of 512 to
 * 4096 bytes); else a random size (0, tiny, around 24 and 512, 16 KiB,
 * huge) at a random pointer (valid, ending at a guard page or running into
 * it, unmapped, read-only, kernel). A channel without O_NONBLOCK is read
 * when poll says POLLIN, or sometimes anyway with a SIGALRM 10 ms later to
 * end the wait (EINTR). Returns the ids read (into @got).
 */
static size_t ch_read(struct fuzz *f, int i, bool clean, uint64_t *got,
		      size_t max)
{
	struct chan *c = &f->ch[i];
	size_t count, want, w, asize = area_size(A_READ);
	char *end = area[A_READ] + asize;
	struct eset ok = { 0 };
	bool nonblock;
	char es[256];
	uint64_t p;
	ssize_t ret;
	int err, fl;

	switch (clean ? 9 : below(f, 10)) {
	case 0:
		count = 0;
		break;
	case 1:
		count = 1 + below(f, REQ_HDR - 1);
		break;
	case 2:
		count = REQ_HDR + below(f, 24);
		break;
	case 3:
		count = CACHEPROXY_LOAD_REQUEST_MAX - 12 + below(f, 24);
		break;
	case 4:
		count = below(f, 2) ? SIZE_MAX >> below(f, 40) : 1UL << 31;
		break;
	case 5:
		count = CH_READ_MAX - 8 + below(f, 16);
		break;
	default:
		count = CACHEPROXY_LOAD_REQUEST_MAX * (1 + below(f, 8));
	}
	want = count < CH_READ_MAX ? count : CH_READ_MAX;
	switch (clean ? 12 : below(f, 14)) {
	case 0:
		p = below(f, 2) ? 0 : 1 + below(f, PAGE);
		break;
	case 1:
		p = 0xffff888000000000ULL + below(f, 1ULL << 30);
		break;
	case 2:
		p = (uintptr_t)hole() + below(f, PAGE);
		break;
	case 3:
		p = (uintptr_t)none_page + below(f, PAGE);
		break;
	case 4:
		p = (uintptr_t)ro_page + below(f, PAGE);
		break;
	case 5:
	case 6:
		/* Ends exactly at the guard page. */
		p = (uintptr_t)(end - want);
		break;
	case 7:
		/* Runs 1..want bytes into the guard page. */
		p = (uintptr_t)(end - want + 1 + below(f, want ? want : 1));
		break;
	default:
		p = (uintptr_t)area[A_READ] + below(f, asize - want + 1);
	}
	fl = fcntl(c->fd, F_GETFL);
	nonblock = fl >= 0 && (fl & O_NONBLOCK);
	if (!nonblock) {
		struct pollfd pf = { .fd = c->fd, .events = POLLIN };

		if (poll(&pf, 1, 0) != 1 && below(f, 4))
			return 0;
		/* Nothing may be there by now: the wait ends in 10 ms. */
		alarm_ms(10);
	}
	ret = read(c->fd, (void *)(uintptr_t)p, count);
	err = errno;
	if (!nonblock)
		alarm_ms(0);
	record(f, C_CH_READ, ret, err, NULL);

	/* The results documented for this read. */
	w = mapped_from(p, true);
	if (vfs_may_fault(p, count))
		eset_add(&ok, EFAULT);
	if ((ssize_t)count < 0)
		eset_add(&ok, EINVAL);
	if (count < REQ_HDR) {
		eset_add(&ok, EINVAL);
	} else {
		if (count < CACHEPROXY_LOAD_REQUEST_MAX)
			eset_add(&ok, EINVAL);	/* the oldest may not fit */
		if (w < want)
			eset_add(&ok, EFAULT);
		eset_add(&ok, nonblock ? EAGAIN : EINTR);
		eset_add(&ok, ENOMEM);
	}
	if (ret < 0) {
		if (!eset_has(ok, err))
			ch_bad(f, C_CH_READ, "read(%zu bytes at %#llx, %s): %s; documented here: %s",
			       count, (unsigned long long)p,
			       nonblock ? "O_NONBLOCK" : "blocking",
			       strerrorname_np(err) ?: "?",
			       eset_str(ok, es, sizeof(es)));
		return 0;
	}
	if (!ret || (size_t)ret > want || (size_t)ret > w || count < REQ_HDR) {
		ch_bad(f, C_CH_READ, "read(%zu bytes at %#llx) returned %zd (writable there: %zu)",
		       count, (unsigned long long)p, ret, w);
		return 0;
	}
	return ch_parse(f, c, (const unsigned char *)(uintptr_t)p, ret, got,
			max);
}

/* ---- Writes, judged by the rules of the UAPI header ---- */

/* What the kernel may do with the answer at @p (@left bytes written on). */
struct verdict {
	bool accept;		/* it may be taken */
	bool right;		/* taken, it gives the key's outcome */
	bool held;		/* well formed, for an id this channel holds */
	struct eset refuse;	/* it may be refused with */
	size_t len;		/* its padded length, when it may be taken */
	uint64_t id;
	int32_t status;
};

static bool answer_right(const struct idinfo *in, int32_t status,
			 const unsigned char *val, uint32_t vlen)
{
	switch (key_policy(in->key, in->key_len)) {
	case POL_VALUE:
		return !status && vlen == in->key_len + 2U &&
		       !memcmp(val, "V:", 2) && !memcmp(val + 2, in->key, in->key_len);
	case POL_ENOENT:
		return status == -ENOENT && !vlen;
	default:
		return status < 0 && status >= -4095 && status != -ENOENT && !vlen;
	}
}

/*
 * The UAPI's rules for one answer: a header of 24..256 bytes, a multiple of
 * 8, no more than what is left (EINVAL), its tail beyond the kernel's
 * struct zero (E2BIG); flags 0, value_len at most CACHEPROXY_VALUE_MAX and
 * 0 unless status is 0, status 0 or -1..-4095, the padding zero, nothing
 * cut short (EINVAL); every byte readable (EFAULT). A malformed answer may
 * be refused with any of the errnos of its defects. A well-formed one: id
 * 0 or never issued EINVAL; an id this channel holds is taken (or ESTALE,
 * it may have timed out); any other issued id ESTALE.
 */
static struct verdict judge_answer(struct fuzz *f, const struct chan *c,
				   uint64_t p, size_t left)
{
	const unsigned char *u = (const unsigned char *)(uintptr_t)p;
	struct cacheproxy_load_answer a;
	struct verdict v = { 0 };
	bool bad = false, fault;
	uint64_t end, padded, i;
	struct idinfo *in;
	size_t r;
	uint32_t size;

	if (left < ANS_HDR) {
		eset_add(&v.refuse, EINVAL);
		return v;
	}
	r = mapped_from(p, false);
	if (r > left)
		r = left;
	if (r < sizeof(size)) {
		eset_add(&v.refuse, EFAULT);
		return v;
	}
	memcpy(&size, u, sizeof(size));
	if (size < ANS_HDR || size > CACHEPROXY_LOAD_ANSWER_SIZE_MAX ||
	    size % 8 || size > left) {
		eset_add(&v.refuse, EINVAL);
		if (r < ANS_HDR)
			eset_add(&v.refuse, EFAULT);
		return v;
	}
	if (r < ANS_HDR) {
		eset_add(&v.refuse, EFAULT);
		return v;
	}
	memcpy(&a, u, sizeof(a));
	v.id = a.id;
	v.status = a.status;
	fault = r < size;
	for (i = ANS_HDR; i < size && i < r; i++)
		if (u[i]) {
			eset_add(&v.refuse, E2BIG);
			bad = true;
			break;
		}
	end = (uint64_t)size + a.value_len;
	padded = ALIGN8(end);
	if (a.flags || a.value_len > CACHEPROXY_VALUE_MAX || padded > left ||
	    a.status > 0 || a.status < -4095 || (a.status && a.value_len)) {
		eset_add(&v.refuse, EINVAL);
		bad = true;
	}
	if (padded <= left) {
		for (i = end; i < padded; i++) {
			if (i >= r)
				fault = true;
			else if (u[i] && !bad) {
				eset_add(&v.refuse, EINVAL);
				bad = true;
			}
		}
		if (end > r)
			fault = true;
	}
	if (fault)
		eset_add(&v.refuse, EFAULT);
	if (bad || fault)
		return v;
	/* Well formed: the id decides. */
	if (a.value_len)
		eset_add(&v.refuse, ENOMEM);
	if (!a.id) {
		eset_add(&v.refuse, EINVAL);
	} else if (a.id <= f->max_id) {
		eset_add(&v.refuse, ESTALE);
		if (id_held_by(f, a.id, c)) {
			in = id_info(f, a.id, false);
			v.accept = v.held = true;
			v.len = padded;
			v.right = answer_right(in, a.status, u + size, a.value_len);
		}
	} else {
		/* Issued (not read yet) or not: ESTALE or EINVAL. */
		eset_add(&v.refuse, EINVAL);
		if (a.id - f->max_id < (1ULL << 32))
			eset_add(&v.refuse, ESTALE);
	}
	return v;
}

/* A fuzzed write: its answers, where they start, and how to rebuild them. */
struct built {
	int n;
	size_t off[MAX_ANS + 1];	/* off[n]: the end of the last */
	struct {
		uint64_t id;
		int32_t status;
		uint32_t hsize;
		uint32_t vlen;
		char val[CACHEPROXY_VALUE_MAX];
	} good[MAX_ANS];
	unsigned char buf[MAX_ANS * ANS_ROOM];
};

/* Writes a well-formed answer at @dst; returns its padded length. */
static size_t put_answer(unsigned char *dst, uint32_t hsize, uint64_t id,
			 int32_t status, const char *val, uint32_t vlen)
{
	struct cacheproxy_load_answer a = {
		.size = hsize,
		.id = id,
		.status = status,
		.value_len = vlen,
	};
	size_t len = ALIGN8(hsize + vlen);

	memset(dst, 0, len);
	memcpy(dst, &a, sizeof(a));
	memcpy(dst + hsize, val, vlen);
	return len;
}

/* A header size: mostly the kernel's, sometimes a longer zero-tailed one. */
static uint32_t rand_hsize(struct fuzz *f)
{
	return below(f, 6) ? ANS_HDR :
	       ANS_HDR + 8 * (1 + below(f, (CACHEPROXY_LOAD_ANSWER_SIZE_MAX -
					    ANS_HDR) / 8));
}

/* Adds the right answer to @id (key @key, unknown when NULL) to @b. */
static void build_add(struct fuzz *f, struct built *b, uint64_t id,
		      const struct idinfo *in)
{
	int k = b->n;
	int pol = in ? key_policy(in->key, in->key_len) : POL_VALUE;

	b->good[k].id = id;
	b->good[k].hsize = rand_hsize(f);
	b->good[k].status = pol == POL_VALUE ? 0 : pol == POL_ENOENT ? -ENOENT :
			    rand_daemon_err(f);
	b->good[k].vlen = 0;
	if (pol == POL_VALUE) {
		memcpy(b->good[k].val, "V:", 2);
		if (in)
			memcpy(b->good[k].val + 2, in->key, in->key_len);
		else
			b->good[k].val[2] = 'x';
		b->good[k].vlen = 2 + (in ? in->key_len : 1);
	}
	b->off[k + 1] = b->off[k] +
		put_answer(b->buf + b->off[k], b->good[k].hsize, id,
			   b->good[k].status, b->good[k].val, b->good[k].vlen);
	b->n++;
}

/* Rebuilds answer @k of @b as it was before its mutation. */
static void build_fix(struct built *b, int k)
{
	put_answer(b->buf + b->off[k], b->good[k].hsize, b->good[k].id,
		   b->good[k].status, b->good[k].val, b->good[k].vlen);
}

/*
 * One defect (or a harmless change) in answer @k: its header size, tail,
 * flags, status, value_len, padding, value bytes or id. Whether the result
 * is malformed is for judge_answer() to say; one that the kernel could take
 * with a wrong outcome is rebuilt before the write (ch_fix()).
 */
static void mutate(struct fuzz *f, struct built *b, int k)
{
	unsigned char *a = b->buf + b->off[k];
	struct cacheproxy_load_answer h;
	uint32_t hsize = b->good[k].hsize, vlen = b->good[k].vlen;
	size_t len = b->off[k + 1] - b->off[k];

	memcpy(&h, a, sizeof(h));
	switch (below(f, 12)) {
	case 0:
		h.size = below(f, ANS_HDR);
		break;
	case 1:
		h.size = hsize + 1 + below(f, 7);
		break;
	case 2:
		h.size = below(f, 2) ? CACHEPROXY_LOAD_ANSWER_SIZE_MAX + 8 *
			 (1 + below(f, 8)) : (uint32_t)rnd(f);
		break;
	case 3:
		if (hsize > ANS_HDR) {
			a[ANS_HDR + below(f, hsize - ANS_HDR)] = 1 + below(f, 255);
			return;
		}
		h.flags = 1U << below(f, 32);
		break;
	case 4:
		h.flags = below(f, 2) ? 1U << below(f, 32) : (uint32_t)rnd(f);
		break;
	case 5:
		h.status = below(f, 3) ? 1 + (int32_t)below(f, 1000) :
			   below(f, 2) ? -4096 - (int32_t)below(f, 100000) :
			   INT32_MIN;
		break;
	case 6:
		h.status = below(f, 2) ? -ENOENT : rand_daemon_err(f);
		break;
	case 7:
		h.status = 0;
		break;
	case 8:
		switch (below(f, 4)) {
		case 0:
			h.value_len = vlen + 1 + below(f, 8);
			break;
		case 1:
			h.value_len = vlen ? vlen - 1 - below(f, vlen < 8 ? vlen : 8) : 1;
			break;
		case 2:
			h.value_len = CACHEPROXY_VALUE_MAX + 1 + below(f, 100);
			break;
		default:
			h.value_len = rnd(f);
		}
		break;
	case 9:
		if (len > hsize + vlen) {
			a[hsize + vlen + below(f, len - hsize - vlen)] =
				1 + below(f, 255);
			return;
		}
		h.value_len = vlen + 1 + below(f, 8);
		break;
	case 10:
		if (vlen) {
			a[hsize + below(f, vlen)] ^= 1 + below(f, 255);
			return;
		}
		h.status = 0;
		break;
	default:
		h.id = below(f, 2) ? h.id + 1 : h.id ^ (1ULL << below(f, 64));
	}
	memcpy(a, &h, sizeof(h));
}

/*
 * An id to answer on channel @c: mostly one it holds (a recent one, or an
 * old one that has likely timed out), else another channel's, an answered
 * or timed-out one, one given back, 0, one not issued yet, or anything.
 */
static uint64_t pick_id(struct fuzz *f, const struct chan *c)
{
	unsigned int tries;
	int o;

	switch (below(f, 20)) {
	case 0:
	case 1:
		o = below(f, NR_CHANS);
		if (f->ch[o].nheld)
			return f->ch[o].held[f->ch[o].nheld - 1 -
					     below(f, f->ch[o].nheld < 8 ?
						   f->ch[o].nheld : 8)];
		return 1 + below(f, f->max_id + 1);
	case 2:
	case 3:
		if (f->nstale)
			return f->stale[below(f, f->nstale < STALE_RING ?
					      f->nstale : STALE_RING)];
		return 1;
	case 4:
		return 0;
	case 5:
		return f->max_id + 1 + below(f, 1000);
	case 6:
		return below(f, 2) ? rnd(f) : UINT64_MAX - below(f, 2);
	case 7:
		return 1 + below(f, f->max_id + 1);
	case 8:
		if (c->nheld)
			return c->held[below(f, c->nheld < 8 ? c->nheld : 8)];
		return 1 + below(f, f->max_id + 1);
	default:
		/* The most recent it holds (a few tries past answered ones). */
		for (tries = 0; c->nheld && tries < 8; tries++) {
			uint64_t id = c->held[c->nheld - 1 -
					      below(f, c->nheld < 16 ?
						    c->nheld : 16)];

			if (id_held_by(f, id, c))
				return id;
		}
		return c->nheld ? c->held[c->nheld - 1] : 1 + below(f, f->max_id + 1);
	}
}

/*
 * Rebuilds every answer the kernel could take with a wrong outcome or at
 * another length than built (a defect that happens to be well formed, a
 * value of another key): what the fuzzer writes is either right or must be
 * refused. The bytes after the last answer are made malformed likewise.
 */
static void ch_fix(struct fuzz *f, const struct chan *c, struct built *b,
		   uint64_t p, size_t count)
{
	size_t cnt = count > RW_MAX ? RW_MAX : count;
	struct verdict v;
	int k, round;
	bool fixed;

	for (round = 0; round < 8; round++) {
		fixed = false;
		for (k = 0; k <= b->n && b->off[k] < cnt; k++) {
			v = judge_answer(f, c, p + b->off[k], cnt - b->off[k]);
			if (!v.accept || (v.right && k < b->n &&
					  v.len == b->off[k + 1] - b->off[k]))
				continue;
			if (k < b->n) {
				build_fix(b, k);
				poke(p + b->off[k], b->buf + b->off[k],
				     b->off[k + 1] - b->off[k]);
			} else {
				static const uint32_t zero;

				poke(p + b->off[k], &zero, sizeof(zero));
			}
			fixed = true;
		}
		if (!fixed)
			return;
	}
	ch_bad(f, C_CH_WRITE, "internal: answers still ambiguous after 8 rounds");
}

static void note_taken(struct fuzz *f, const struct verdict *v)
{
	f->taken[!v->status ? 0 : v->status == -ENOENT ? 1 : 2]++;
	id_done(f, v->id);
}

/*
 * Writes @count bytes at @p to channel @c and judges the result answer by
 * answer: the bytes taken must be whole answers, each one the rules let
 * the kernel take; the first answer not taken must be one they let it
 * refuse, with that errno when the write failed. After a refusal the write
 * goes on after the refused answer, as a daemon does (at most 4 times).
 * @b: the answers as built (NULL: junk, no retry).
 */
static void ch_write(struct fuzz *f, struct chan *c, enum call call,
		     uint64_t p, size_t count, const struct built *b)
{
	size_t start = 0, off, cnt, left;
	struct verdict v;
	int tries, k, err;
	char es[256];
	ssize_t ret;

	for (tries = 0; tries < 4; tries++) {
		left = count - start;
		cnt = left > RW_MAX ? RW_MAX : left;
		ret = write(c->fd, (const void *)(uintptr_t)(p + start), left);
		err = errno;
		record(f, call, ret, err, NULL);
		if (!left) {
			if (ret && !(ret < 0 && err == EFAULT &&
				     vfs_may_fault(p + start, 0)))
				ch_bad(f, call, "write of 0 bytes: %zd (%s)", ret,
				       ret < 0 ? strerrorname_np(err) ?: "?" : "");
			return;
		}
		if (ret < 0) {
			v = judge_answer(f, c, p + start, cnt);
			if (vfs_may_fault(p + start, left))
				eset_add(&v.refuse, EFAULT);
			if ((ssize_t)left < 0)
				eset_add(&v.refuse, EINVAL);
			if (!eset_has(v.refuse, err))
				ch_bad(f, call, "write(%zu bytes at %#llx): %s for its first answer (id %llu); documented: %s%s",
				       left, (unsigned long long)(p + start),
				       strerrorname_np(err) ?: "?",
				       (unsigned long long)v.id,
				       eset_str(v.refuse, es, sizeof(es)),
				       v.accept ? " or taken" : "");
			if (err == ESTALE && v.held) {
				f->timed_out++;
				id_done(f, v.id);
			}
			off = start;
		} else {
			for (off = start; off - start < (size_t)ret; off += v.len) {
				v = judge_answer(f, c, p + off, cnt - (off - start));
				if (!v.accept) {
					ch_bad(f, call, "write(%zu bytes at %#llx) = %zd: took the answer at byte %zu (id %llu), which must be refused (%s)",
					       left, (unsigned long long)(p + start),
					       ret, off - start, (unsigned long long)v.id,
					       eset_str(v.refuse, es, sizeof(es)));
					return;
				}
				if (!v.right)
					ch_bad(f, call, "internal: a wrong answer to %llu was written",
					       (unsigned long long)v.id);
				note_taken(f, &v);
			}
			if (off - start != (size_t)ret) {
				ch_bad(f, call, "write(%zu bytes) = %zd: not a whole number of answers",
				       left, ret);
				return;
			}
			if ((size_t)ret == left)
				return;
			v = judge_answer(f, c, p + off, cnt - (off - start));
			if (!v.refuse.lo && !v.refuse.hi) {
				ch_bad(f, call, "write(%zu bytes) = %zd: stopped at an answer it must take (id %llu)",
				       left, ret, (unsigned long long)v.id);
				return;
			}
		}
		/* Skip the refused answer; write the rest again. */
		if (!b)
			return;
		for (k = 0; k <= b->n && b->off[k] <= off; k++)
			;
		/* Past a wild pointer lies memory the fuzzer does not know. */
		if (k > b->n || b->off[k] >= count ||
		    !mapped_from(p + b->off[k], false))
			return;
		start = b->off[k];
	}
}

/*
 * Answers on channel @i: 1..MAX_ANS answers (mostly to requests it holds,
 * some to ids of another channel, answered, never issued), each with a
 * defect half the time; a write of all of them, cut short, or with bytes
 * after them; in a valid buffer, one ending at a guard page or running
 * into it, a read-only page, or a wild pointer.
 */
static void ch_answer_fuzz(struct fuzz *f, int i)
{
	static struct built b;
	struct chan *c = &f->ch[i];
	unsigned char tail[64];
	size_t L, count, asize = area_size(A_KEYS), extra = 0;
	char *end = area[A_KEYS] + asize;
	uint64_t p, id;
	int k, n = 1 + below(f, below(f, 2) ? 2 : MAX_ANS);

	b.n = 0;
	b.off[0] = 0;
	for (k = 0; k < n; k++) {
		id = pick_id(f, c);
		build_add(f, &b, id, id_info(f, id, false) &&
			  id_info(f, id, false)->key ? id_info(f, id, false) : NULL);
		if (!below(f, 2)) {
			mutate(f, &b, k);
			if (!below(f, 4))
				mutate(f, &b, k);
		}
	}
	L = b.off[b.n];
	switch (below(f, 16)) {
	case 0:
		count = below(f, L);
		break;
	case 1:
		count = L + (extra = 1 + below(f, sizeof(tail)));
		break;
	case 2:
		extra = sizeof(tail);
		count = below(f, 2) ? 1UL << 31 : SIZE_MAX >> below(f, 40);
		break;
	default:
		count = L;
	}
	if (below(f, 2))
		memset(tail, 0, sizeof(tail));
	else
		for (k = 0; k < (int)sizeof(tail); k++)
			tail[k] = rnd(f);
	switch (below(f, 16)) {
	case 0:
		p = rand_ptr(f, A_KEYS, 0);
		if (mapped_from(p, false))
			p = (uintptr_t)hole() + below(f, PAGE);
		break;
	case 1:
		if (L + sizeof(tail) < PAGE) {
			p = (uintptr_t)ro_page + below(f, PAGE - L - sizeof(tail));
			break;
		}
		/* fall through */
	case 2:
		/* The answers end exactly at the guard page. */
		p = (uintptr_t)(end - L);
		break;
	case 3:
		/* They run 1..L bytes into it. */
		p = (uintptr_t)(end - L + 1 + below(f, L));
		break;
	default:
		p = (uintptr_t)area[A_KEYS] + below(f, asize - L - sizeof(tail));
	}
	poke(p, b.buf, L);
	if (extra)
		poke(p + L, tail, extra);
	ch_fix(f, c, &b, p, count);
	ch_write(f, c, C_CH_WRITE, p, count, &b);
}

/* The right answers to @n ids just read on channel @i, in one write. */
static void ch_answer_right(struct fuzz *f, int i, const uint64_t *ids,
			    size_t n)
{
	static struct built b;
	size_t k, asize = area_size(A_KEYS);
	uint64_t p;

	while (n) {
		b.n = 0;
		b.off[0] = 0;
		for (k = 0; k < n && k < MAX_ANS; k++)
			build_add(f, &b, ids[k], id_info(f, ids[k], false));
		ids += k;
		n -= k;
		p = below(f, 4) ? (uintptr_t)area[A_KEYS] +
			below(f, asize - b.off[b.n]) :
			(uintptr_t)(area[A_KEYS] + asize - b.off[b.n]);
		poke(p, b.buf, b.off[b.n]);
		ch_write(f, &f->ch[i], C_CH_WRITE, p, b.off[b.n], &b);
	}
}

/* Random bytes, sometimes behind a plausible header, at a random pointer. */
static void ch_junk(struct fuzz *f, int i)
{
	static struct built b;
	size_t count = rand_count(f), n = count > 2 * PAGE ? 2 * PAGE : count;
	uint64_t p = rand_ptr(f, A_KEYS, n);
	struct cacheproxy_load_answer a = {
		.size = ANS_HDR,
		.id = pick_id(f, &f->ch[i]),
	};

	if (mapped_from(p, true)) {
		rand_bytes(f, (char *)(uintptr_t)p,
			   n < mapped_from(p, true) ? n : mapped_from(p, true));
		if (n >= ANS_HDR && below(f, 2)) {
			a.status = below(f, 2) ? 0 : rand_daemon_err(f);
			a.value_len = rand_u32(f);
			poke(p, &a, below(f, 2) ? sizeof(a) : 8);
		}
	}
	/* Junk is never a well-formed answer for a held id. */
	b.n = 0;
	b.off[0] = 0;
	ch_fix(f, &f->ch[i], &b, p, count);
	ch_write(f, &f->ch[i], C_CH_JUNK, p, count, NULL);
}

/* ---- Channels: attach, close, dup, O_NONBLOCK; poll ---- */

/* Channel @i goes: the requests it held go back to the queue. */
static void ch_close(struct fuzz *f, int i)
{
	struct chan *c = &f->ch[i];
	size_t k;
	long ret;

	ret = close(c->fd);
	record(f, C_CH_FD, ret, errno, "close");
	for (k = 0; k < c->nheld; k++)
		if (id_held_by(f, c->held[k], c))
			id_info(f, c->held[k], false)->state = ID_RELEASED;
	c->nheld = 0;
	c->fd = -1;
	c->uid = 0;
}

/*
 * LOADER_ATTACH into slot @i, with a struct of a random size (16, 24, a
 * longer one with a zero or non-zero tail, bad ones), flags and reserved
 * field, at a random pointer (@clean: the real struct, valid flags). The
 * result must be the one the UAPI gives for those bytes; a channel got
 * replaces the slot's (closed), with its flags checked, and the sizes
 * written back must be this kernel's, and no more than the caller's size.
 */
static void ch_attach(struct fuzz *f, int i, bool clean)
{
	struct cacheproxy_loader_attach a = { 0 };
	unsigned char buf[CACHEPROXY_LOADER_ATTACH_SIZE_MAX + 8];
	const unsigned char *u;
	struct eset ok = { 0 };
	uint32_t size, flags;
	uint64_t arg;
	size_t r, w, k;
	bool success = false;
	int fd, err, fl, fdfl;
	char es[128];

	switch (clean ? 9 : below(f, 10)) {
	case 0:
		size = 16;
		break;
	case 1:
		size = ANS_HDR + 8 * (1 + below(f, 29));
		break;
	case 2:
		size = below(f, 2) ? below(f, 16) : 17 + below(f, 30);
		break;
	case 3:
		size = below(f, 2) ? CACHEPROXY_LOADER_ATTACH_SIZE_MAX + 8 *
		       (1 + below(f, 4)) : (uint32_t)rnd(f);
		break;
	default:
		size = sizeof(a);
	}
	flags = clean || below(f, 8) ? below(f, 4) : (uint32_t)rnd(f);
	memset(buf, 0, sizeof(buf));
	a.size = size;
	a.flags = flags;
	a.reserved = clean || below(f, 8) ? 0 : 1U << below(f, 32);
	a.value_max = 0x5a5a5a5a;	/* written back only for size >= 24 */
	memcpy(buf, &a, sizeof(a));
	if (!clean && size > sizeof(a) && size <= sizeof(buf) && !below(f, 3))
		buf[sizeof(a) + below(f, size - sizeof(a))] = 1 + below(f, 255);
	arg = clean ? (uintptr_t)area[A_ARG] : rand_ptr(f, A_ARG, 64);
	poke(arg, buf, size < sizeof(a) ? sizeof(a) :
		       size < sizeof(buf) ? size : sizeof(buf));

	/* The UAPI's answer for the bytes now at @arg. */
	u = (const unsigned char *)(uintptr_t)arg;
	r = mapped_from(arg, false);
	w = mapped_from(arg, true);
	if (r < 4) {
		eset_add(&ok, EFAULT);
	} else {
		memcpy(&size, u, sizeof(size));
		if (size < 16 || size % 8) {
			eset_add(&ok, EINVAL);
		} else if (size > CACHEPROXY_LOADER_ATTACH_SIZE_MAX) {
			eset_add(&ok, E2BIG);
		} else if (r < size) {
			eset_add(&ok, EFAULT);
			eset_add(&ok, E2BIG);
			eset_add(&ok, EINVAL);
		} else {
			memcpy(&a, u, size < sizeof(a) ? size : sizeof(a));
			for (k = sizeof(a); k < size && !u[k]; k++)
				;
			if (k < size)
				eset_add(&ok, E2BIG);
			else if (size >= sizeof(a) && a.reserved)
				eset_add(&ok, EINVAL);
			else if (w < (size < sizeof(a) ? size : sizeof(a)))
				eset_add(&ok, EFAULT);
			else if (a.flags & ~(CACHEPROXY_LOADER_CLOEXEC |
					     CACHEPROXY_LOADER_NONBLOCK))
				eset_add(&ok, EINVAL);
			else
				success = true;
		}
	}
	eset_add(&ok, ENOMEM);
	eset_add(&ok, EMFILE);
	eset_add(&ok, ENFILE);
	fd = ioctl(f->dev, CACHEPROXY_IOC_LOADER_ATTACH, (unsigned long)arg);
	err = errno;
	record(f, C_CH_ATTACH, fd, err, NULL);
	if (fd < 0) {
		if (!eset_has(ok, err) || success)
			ch_bad(f, C_CH_ATTACH, "size %u at %#llx: %s; documented: %s",
			       size, (unsigned long long)arg,
			       strerrorname_np(err) ?: "?",
			       success ? "a channel" : eset_str(ok, es, sizeof(es)));
		return;
	}
	if (!success) {
		ch_bad(f, C_CH_ATTACH, "size %u flags %#x at %#llx: a channel, documented: %s",
		       size, a.flags, (unsigned long long)arg,
		       eset_str(ok, es, sizeof(es)));
		close(fd);
		return;
	}
	/* Written back: min(size, 24) bytes, this kernel's sizes. */
	flags = a.flags;
	memset(&a, 0x5a, sizeof(a));
	memcpy(&a, u, r < sizeof(a) ? r : sizeof(a));
	if (a.size != sizeof(a) || a.request_size != REQ_HDR ||
	    a.answer_size != ANS_HDR ||
	    a.value_max != (size >= sizeof(a) ? CACHEPROXY_VALUE_MAX : 0x5a5a5a5a))
		ch_bad(f, C_CH_ATTACH, "struct of %u bytes written back as size %u request_size %u answer_size %u value_max %#x",
		       size, a.size, a.request_size, a.answer_size, a.value_max);
	fl = fcntl(fd, F_GETFL);
	fdfl = fcntl(fd, F_GETFD);
	if (fl < 0 || !(fl & O_NONBLOCK) != !(flags & CACHEPROXY_LOADER_NONBLOCK) ||
	    fdfl < 0 || !(fdfl & FD_CLOEXEC) != !(flags & CACHEPROXY_LOADER_CLOEXEC))
		ch_bad(f, C_CH_ATTACH, "flags %#x: the channel's are O_NONBLOCK %d FD_CLOEXEC %d",
		       flags, fl >= 0 && (fl & O_NONBLOCK), fdfl >= 0 && (fdfl & FD_CLOEXEC));
	/* The new channel first, the old one after: seldom no daemon at all. */
	if (f->ch[i].fd >= 0)
		ch_close(f, i);
	f->ch[i].fd = fd;
	f->ch[i].uid = ++f->next_uid;
}

/*
 * close, dup (the channel stays: it holds its requests), O_NONBLOCK; or
 * every channel closed (what waits fails with ENOTCONN), then one again.
 */
static void ch_fdops(struct fuzz *f, int i)
{
	struct chan *c = &f->ch[i];
	int fd, fl, k;
	long ret;

	if (c->fd < 0) {
		ch_attach(f, i, true);
		return;
	}
	switch (below(f, 5)) {
	case 4:
		for (k = 0; k < NR_CHANS; k++)
			if (f->ch[k].fd >= 0)
				ch_close(f, k);
		for (k = 0; k < NR_CHANS; k++)
			ch_attach(f, (i + k) % NR_CHANS, true);
		break;
	case 0:
		ch_close(f, i);
		/* A free slot, but never no channel for long. */
		for (k = 0; k < NR_CHANS && f->ch[k].fd < 0; k++)
			;
		if (below(f, 2) || k == NR_CHANS)
			ch_attach(f, i, true);
		break;
	case 1:
		fd = dup(c->fd);
		record(f, C_CH_FD, fd, errno, "dup");
		if (fd < 0)
			break;
		ret = close(c->fd);
		record(f, C_CH_FD, ret, errno, "close of a dup'd channel");
		c->fd = fd;
		break;
	default:
		fl = fcntl(c->fd, F_GETFL);
		record(f, C_CH_FD, fl, errno, "F_GETFL");
		if (fl < 0)
			break;
		ret = fcntl(c->fd, F_SETFL, fl ^ O_NONBLOCK);
		record(f, C_CH_FD, ret, errno, "F_SETFL");
	}
}

/*
 * poll of some channels for random events: only POLLIN/POLLRDNORM (when
 * requests wait) and POLLOUT/POLLWRNORM (always) may come back, no POLLHUP
 * while the module stays. A channel POLLIN is then read half the time, as
 * a daemon does, and what came answered.
 */
static void ch_poll(struct fuzz *f)
{
	static const short evs[] = { POLLIN, POLLRDNORM, POLLOUT, POLLWRNORM,
				     POLLPRI, POLLRDBAND, POLLWRBAND };
	struct pollfd pf[NR_CHANS];
	uint64_t ids[64];
	int idx[NR_CHANS], n = 0, i, k, ready = 0;
	size_t got;
	long ret;

	for (i = 0; i < NR_CHANS; i++) {
		if (f->ch[i].fd < 0 || !below(f, 4))
			continue;
		pf[n].fd = f->ch[i].fd;
		pf[n].events = POLLIN | POLLOUT;
		if (!below(f, 4))
			for (pf[n].events = 0, k = 0; k < 7; k++)
				if (below(f, 2))
					pf[n].events |= evs[k];
		pf[n].revents = 0;
		idx[n++] = i;
	}
	if (!n)
		return;
	ret = poll(pf, n, below(f, 4) ? 0 : below(f, 5));
	record(f, C_CH_POLL, ret, errno, NULL);
	if (ret < 0)
		return;
	for (k = 0; k < n; k++) {
		short allowed = pf[k].events & (POLLIN | POLLRDNORM | POLLOUT |
						POLLWRNORM);

		ready += !!pf[k].revents;
		if (pf[k].revents & ~allowed)
			ch_bad(f, C_CH_POLL, "events %#x: revents %#x", pf[k].events,
			       pf[k].revents);
		if ((pf[k].events & POLLOUT) && !(pf[k].revents & POLLOUT))
			ch_bad(f, C_CH_POLL, "no POLLOUT (events %#x, revents %#x)",
			       pf[k].events, pf[k].revents);
	}
	if (ready != ret)
		ch_bad(f, C_CH_POLL, "returned %ld for %d ready", ret, ready);
	for (k = 0; k < n; k++) {
		if (!(pf[k].revents & POLLIN) || below(f, 2))
			continue;
		got = ch_read(f, idx[k], true, ids, 64);
		if (got)
			ch_answer_right(f, idx[k], ids, got);
	}
}

/* One fuzzed operation on the channels. */
static void ch_one(struct fuzz *f)
{
	unsigned int total = 0, pick;
	uint64_t ids[64];
	enum call c;
	size_t got;
	int i = below(f, NR_CHANS);

	for (c = C_CH_ATTACH; c < NR_CALLS; c++)
		total += calls[c].weight;
	pick = below(f, total);
	for (c = C_CH_ATTACH; pick >= calls[c].weight; c++)
		pick -= calls[c].weight;
	if (f->ch[i].fd < 0 && c != C_CH_ATTACH && c != C_CH_POLL)
		c = C_CH_FD;	/* attaches a channel there */

	switch (c) {
	case C_CH_ATTACH:
		ch_attach(f, i, false);
		break;
	case C_CH_READ:
		/* A third clean reads, like a daemon's: requests keep coming. */
		got = ch_read(f, i, !below(f, 3), ids, 64);
		/* Most of what came is answered right away, some left. */
		if (got && below(f, 4))
			ch_answer_right(f, i, ids, got);
		break;
	case C_CH_WRITE:
		ch_answer_fuzz(f, i);
		break;
	case C_CH_JUNK:
		ch_junk(f, i);
		break;
	case C_CH_POLL:
		ch_poll(f);
		break;
	default:
		ch_fdops(f, i);
	}
}

/*
 * The callers stop: serve every channel (right answers only) until they
 * all returned, at most 20 s; then close the channels.
 */
static void ch_drain(struct fuzz *f, struct caller *cl)
{
	struct timespec t0, t;
	uint64_t ids[64];
	size_t got;
	int i;

	__atomic_store_n(&f->stop, 1, __ATOMIC_RELEASE);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (__atomic_load_n(&f->callers_done, __ATOMIC_ACQUIRE) < NR_CALLERS) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 20)
			break;
		for (i = 0; i < NR_CHANS; i++) {
			struct pollfd pf = { .fd = f->ch[i].fd, .events = POLLIN };

			if (f->ch[i].fd < 0) {
				ch_attach(f, i, true);
				continue;
			}
			if (poll(&pf, 1, 5) != 1)
				continue;
			got = ch_read(f, i, true, ids, 64);
			if (got)
				ch_answer_right(f, i, ids, got);
		}
	}
	/* Closing the last channel fails what is left with ENOTCONN. */
	for (i = 0; i < NR_CHANS; i++)
		if (f->ch[i].fd >= 0)
			ch_close(f, i);
	for (i = 0; i < NR_CALLERS; i++)
		pthread_join(cl[i].tid, NULL);
}

struct sane_get {
	struct fuzz *f;
	char key[32];
	size_t len;
	long ret;
	int err;
	char val[CACHEPROXY_VALUE_MAX + 1];
	uint32_t vlen;
};

static void *sane_get_run(void *arg)
{
	struct sane_get *s = arg;

	s->ret = caller_get(s->f->dev, s->key, s->len, s->val, sizeof(s->val),
			    &s->vlen, &s->err);
	return NULL;
}

/* After the storm: one daemon, one GET, the right value. */
static int ch_sane_after(struct fuzz *f)
{
	static struct sane_get s;
	struct pollfd pf;
	uint64_t ids[64];
	pthread_t tid;
	unsigned int n;
	size_t got, k;
	bool asked = false;

	s.f = f;
	for (n = 0; ; n++) {
		s.len = snprintf(s.key, sizeof(s.key), "fuzz-after-%u", n);
		if (key_policy(s.key, s.len) == POL_VALUE)
			break;
	}
	ch_attach(f, 0, true);
	if (f->ch[0].fd < 0 || pthread_create(&tid, NULL, sane_get_run, &s)) {
		fprintf(stderr, "cacheproxy-fuzz: after fuzzing: no channel or thread\n");
		return -1;
	}
	/* Its request, within 10 s (polls of 100 ms). */
	for (n = 0; n < 100 && !asked; n++) {
		pf = (struct pollfd){ .fd = f->ch[0].fd, .events = POLLIN };
		if (poll(&pf, 1, 100) != 1)
			continue;
		got = ch_read(f, 0, true, ids, 64);
		for (k = 0; k < got; k++) {
			struct idinfo *in = id_info(f, ids[k], false);

			asked |= in && in->key_len == s.len &&
				 !memcmp(in->key, s.key, s.len);
		}
		if (got)
			ch_answer_right(f, 0, ids, got);
	}
	pthread_join(tid, NULL);
	ch_close(f, 0);
	if (!asked || s.ret || s.vlen != s.len + 2 || memcmp(s.val, "V:", 2) ||
	    memcmp(s.val + 2, s.key, s.len)) {
		fprintf(stderr, "cacheproxy-fuzz: GET after fuzzing: %s, %s\n",
			asked ? "asked" : "never asked",
			s.ret ? strerror(s.err) : "a wrong value");
		return -1;
	}
	return 0;
}

static void print_channel_counts(const struct fuzz *f)
{
	printf("channel: %llu requests read (%llu given back and read again), "
	       "%llu answers taken (%llu values, %llu ENOENT, %llu errors), "
	       "%llu refused as timed out, highest id %llu\n",
	       f->reqs, f->requeued, f->taken[0] + f->taken[1] + f->taken[2],
	       f->taken[0], f->taken[1], f->taken[2], f->timed_out,
	       (unsigned long long)f->max_id);
}

static int ch_run(struct fuzz *f)
{
	struct caller cl[NR_CALLERS];
	struct sigaction sa = { .sa_handler = on_alarm };
	sigset_t alrm;
	unsigned long long i;
	int n, fd, err;
	struct cacheproxy_loader_attach a = { .size = sizeof(a) };

	if (areas_map()) {
		fprintf(stderr, "cacheproxy-fuzz: mmap: %s\n", strerror(errno));
		return 2;
	}
	f->dev = open(f->device, O_RDWR | O_CLOEXEC);
	if (f->dev < 0) {
		fprintf(stderr, "cacheproxy-fuzz: %s: %s (is the module loaded?)\n",
			f->device, strerror(errno));
		return 2;
	}
	fd = ioctl(f->dev, CACHEPROXY_IOC_LOADER_ATTACH, &a);
	err = errno;
	if (fd < 0) {
		fprintf(stderr, "cacheproxy-fuzz: --channel: LOADER_ATTACH: %s%s\n",
			strerror(err), err == EOPNOTSUPP ?
			" (load the module with loader=user)" : "");
		return 2;
	}
	close(fd);
	for (n = 0; n < NR_CHANS; n++)
		f->ch[n].fd = -1;
	for (n = 0; n < NR_CHANS; n++)
		ch_attach(f, n, true);

	/* SIGALRM ends this thread's blocking reads, never a caller's GET. */
	sigaction(SIGALRM, &sa, NULL);
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &alrm, NULL);
	for (n = 0; n < NR_CALLERS; n++) {
		cl[n].f = f;
		cl[n].idx = n;
		cp_rng_seed(&cl[n].rng, rnd(f), n + 1);
		if (pthread_create(&cl[n].tid, NULL, caller_run, &cl[n])) {
			fprintf(stderr, "cacheproxy-fuzz: pthread_create failed\n");
			_exit(2);
		}
	}
	pthread_sigmask(SIG_UNBLOCK, &alrm, NULL);

	for (i = 0; i < f->calls; i++)
		ch_one(f);
	ch_drain(f, cl);
	print_counts(f);
	print_channel_counts(f);
	if (ch_sane_after(f))
		f->failures++;
	printf("%llu calls, %llu failures (%llu wrong values): %s\n", f->calls,
	       f->failures, f->wrong_values, f->failures ? "FAIL" : "ok");
	return f->failures ? 1 : 0;
}

static void usage(FILE *out)
{
	fprintf(out,
"usage: cacheproxy-fuzz [OPTIONS]\n"
"\n"
"Hostile input for the cacheproxy module: random ioctl numbers, the real\n"
"ioctls with random sizes, random request structs (lengths, NULL, kernel,\n"
"non-canonical and unmapped pointers, buffers ending at a page boundary,\n"
"reserved fields and flags, batch counts 0/257/huge), random bytes written\n"
"to /proc/cacheproxy/lookup and control, reads of odd sizes and offsets\n"
"from every /proc file. Every result is checked against the errnos\n"
"documented for the call (table in fuzz.c); the counts per call and errno\n"
"are printed. Then every module parameter must refuse a run-time write.\n"
"With --channel, the loader daemons' channel instead (below).\n"
"\n"
"Options:\n"
"  -n, --calls N      calls to make (default 10000)\n"
"  -s, --seed S       random seed (default: from the clock; printed)\n"
"  -d, --device PATH  the device (default /dev/cacheproxy)\n"
"      --channel      fuzz the loader daemons' channel instead (the module\n"
"                     loaded with loader=user, best with a short\n"
"                     upcall_timeout_ms such as 500): a few channels,\n"
"                     4 threads of GETs so that requests keep coming;\n"
"                     reads of random sizes and pointers, answers with\n"
"                     defects (size, tail, flags, status, value_len,\n"
"                     padding, ids of another channel, answered, never\n"
"                     issued), several per write, cut short, junk;\n"
"                     poll, close, dup, O_NONBLOCK, re-attach. Every\n"
"                     write is judged answer by answer by the UAPI's\n"
"                     rules; most requests are answered right (\"V:\" KEY,\n"
"                     or ENOENT or an error for some keys), and every GET\n"
"                     must give exactly that or a documented errno\n"
"      --forbid ERRNO treat ERRNO (a number) as undocumented everywhere:\n"
"                     a negative control that must make the run fail\n"
"  -v, --verbose      report accepted random ioctl numbers\n"
"  -h, --help         this text\n"
"\n"
"Exit status: 0 every result documented; 1 an undocumented errno or result,\n"
"a wrong value, a parameter that took a write, or the fuzzer killed by a\n"
"signal (crash-like); 2 usage error, or the module is not loaded (with\n"
"--channel: not with loader=user).\n");
}

static int fuzz_run(struct fuzz *f, const char *device)
{
	unsigned long long i;
	unsigned int params;
	int bad;

	if (areas_map()) {
		fprintf(stderr, "cacheproxy-fuzz: mmap: %s\n", strerror(errno));
		return 2;
	}
	if (open_all(f, device))
		return 2;
	for (i = 0; i < f->calls; i++)
		fuzz_one(f);
	print_counts(f);
	if (sane_after(f))
		f->failures++;
	bad = params_refuse_writes(&params);
	printf("module parameters: %u checked, %d accepted a run-time write\n",
	       params, bad);
	if (!params) {
		fprintf(stderr, "cacheproxy-fuzz: no parameters under %s\n",
			PARAMS_GLOB);
		bad++;
	}
	f->failures += bad;
	printf("%llu calls, %llu failures (%llu wrong values): %s\n", f->calls,
	       f->failures, f->wrong_values, f->failures ? "FAIL" : "ok");
	return f->failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "calls", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "device", required_argument, NULL, 'd' },
		{ "forbid", required_argument, NULL, 'F' },
		{ "channel", no_argument, NULL, 'C' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static struct fuzz f;
	const char *device = CP_DEFAULT_DEVICE;
	unsigned long long seed = time(NULL) ^ ((unsigned long long)getpid() << 32);
	char *end;
	int c, status;
	pid_t pid;

	f.calls = 10000;
	while ((c = getopt_long(argc, argv, "n:s:d:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			errno = 0;
			f.calls = strtoull(optarg, &end, 0);
			if (errno || *end || !*optarg || *optarg == '-')
				goto bad_usage;
			break;
		case 's':
			errno = 0;
			seed = strtoull(optarg, &end, 0);
			if (errno || *end || !*optarg)
				goto bad_usage;
			break;
		case 'd':
			device = optarg;
			break;
		case 'F':
			f.forbid = strtol(optarg, &end, 0);
			if (*end || f.forbid < 1 || f.forbid > MAX_ERRNO)
				goto bad_usage;
			break;
		case 'C':
			f.channel = true;
			break;
		case 'v':
			f.verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad_usage;
		}
	}
	if (optind != argc)
		goto bad_usage;
	cp_rng_seed(&f.rng, seed, 0);
	f.device = device;
	printf("cacheproxy-fuzz: seed %llu, %llu calls%s\n", seed, f.calls,
	       f.channel ? ", the loader channel" : "");
	fflush(stdout);

	/* A child does the fuzzing, so that dying of a signal is reported. */
	pid = fork();
	if (pid < 0) {
		perror("cacheproxy-fuzz: fork");
		return 2;
	}
	if (!pid) {
		c = f.channel ? ch_run(&f) : fuzz_run(&f, device);
		fflush(stdout);
		_exit(c);
	}
	if (waitpid(pid, &status, 0) != pid) {
		perror("cacheproxy-fuzz: waitpid");
		return 1;
	}
	if (WIFSIGNALED(status)) {
		fprintf(stderr, "cacheproxy-fuzz: the fuzzer died of signal %d (%s), seed %llu\n",
			WTERMSIG(status), strsignal(WTERMSIG(status)), seed);
		return 1;
	}
	return WEXITSTATUS(status);

bad_usage:
	usage(stderr);
	return 2;
}
