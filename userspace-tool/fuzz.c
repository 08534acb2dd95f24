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
 *
 * Exit status: 0 every result documented; 1 an undocumented result or a
 * crash-like symptom; 2 usage error, or the module is not loaded.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <glob.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/cacheproxy.h>

#include "verify.h"

#define PROC_DIR	"/proc/cacheproxy/"
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
	C_READ, C_READ_NONE, NR_CALLS
};

static const struct {
	const char *name;
	unsigned long long allowed;	/* bit 0: ok; bit N: errno N < 64 */
	unsigned int weight;		/* relative frequency */
	unsigned long long allowed_hi;	/* bit N: errno 64 + N */
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

struct fuzz {
	uint64_t rng;
	unsigned long long calls;
	bool verbose;
	int forbid;		/* an errno treated as undocumented (control) */
	int dev, lookup, control, ro[2], rd[3];
	unsigned long long count[NR_CALLS][BAD_RESULT + 1];
	unsigned long long failures;
	unsigned long long wrong_values;
};

static uint64_t rnd(struct fuzz *f)
{
	/* xorshift64* */
	f->rng ^= f->rng >> 12;
	f->rng ^= f->rng << 25;
	f->rng ^= f->rng >> 27;
	return f->rng * 2685821657736338717ULL;
}

static uint64_t below(struct fuzz *f, uint64_t n)
{
	return n ? rnd(f) % n : 0;
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
		return (uintptr_t)hole_page + below(f, PAGE);
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
	f->count[c][idx]++;
	if (idx != BAD_RESULT && (!f->forbid || idx != f->forbid) &&
	    (idx < 64 ? calls[c].allowed & E(idx) :
	     idx < 128 && calls[c].allowed_hi & EH(idx)))
		return;
	if (f->failures++ < 20)
		fprintf(stderr, "cacheproxy-fuzz: %s: undocumented result %ld (%s)%s%s\n",
			calls[c].name, ret, ret < 0 ? strerror(err) : "not an errno",
			what ? ": " : "", what ? what : "");
}

static void symptom(struct fuzz *f, enum call c, const char *fmt,
		    unsigned long long a, unsigned long long b)
{
	f->wrong_values++;
	if (f->failures++ < 20) {
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
	uint64_t seq;

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
		total += calls[c].weight;
	pick = below(f, total);
	for (c = 0; pick >= calls[c].weight; c++)
		pick -= calls[c].weight;

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
	f->lookup = open(PROC_DIR "lookup", O_RDWR | O_CLOEXEC);
	f->control = open(PROC_DIR "control", O_WRONLY | O_CLOEXEC);
	f->ro[0] = open(PROC_DIR "stats", O_RDONLY | O_CLOEXEC);
	f->ro[1] = open(PROC_DIR "entries", O_RDONLY | O_CLOEXEC);
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), PROC_DIR "%s", proc_readable[i]);
		f->rd[i] = open(path, i ? O_RDONLY | O_CLOEXEC :
				O_RDWR | O_CLOEXEC);
		if (f->rd[i] < 0)
			break;
	}
	if (f->lookup < 0 || f->control < 0 || f->ro[0] < 0 || f->ro[1] < 0 ||
	    i < 3) {
		fprintf(stderr, "cacheproxy-fuzz: " PROC_DIR ": %s\n",
			strerror(errno));
		return -1;
	}
	return 0;
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
"\n"
"Options:\n"
"  -n, --calls N      calls to make (default 10000)\n"
"  -s, --seed S       random seed (default: from the clock; printed)\n"
"  -d, --device PATH  the device (default /dev/cacheproxy)\n"
"      --forbid ERRNO treat ERRNO (a number) as undocumented everywhere:\n"
"                     a negative control that must make the run fail\n"
"  -v, --verbose      report accepted random ioctl numbers\n"
"  -h, --help         this text\n"
"\n"
"Exit status: 0 every result documented; 1 an undocumented errno or result,\n"
"a wrong value, a parameter that took a write, or the fuzzer killed by a\n"
"signal (crash-like); 2 usage error, or the module is not loaded.\n");
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
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static struct fuzz f;
	const char *device = "/dev/cacheproxy";
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
	f.rng = seed ? seed : 1;
	printf("cacheproxy-fuzz: seed %llu, %llu calls\n", seed, f.calls);
	fflush(stdout);

	/* A child does the fuzzing, so that dying of a signal is reported. */
	pid = fork();
	if (pid < 0) {
		perror("cacheproxy-fuzz: fork");
		return 2;
	}
	if (!pid) {
		c = fuzz_run(&f, device);
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
