// SPDX-License-Identifier: GPL-2.0
/*
 * kselftests of the user loader (loader=user), with the daemon played by
 * the test through the channel CACHEPROXY_IOC_LOADER_ATTACH returns:
 *
 * - attaching: EBADF on a read-only device, EPERM without CAP_SYS_ADMIN,
 *   EINVAL / E2BIG for a bad struct, EOPNOTSUPP with loader=synthetic;
 * - the protocol: a request carries its id and key; a value with NUL and
 *   newline reaches GET and /proc; ENOENT is negative-cached, another
 *   errno is not; answers batched in one write; reads with a small
 *   buffer; O_NONBLOCK; poll readiness;
 * - values of CACHEPROXY_VALUE_MAX bytes through GET, GET_BATCH and /proc
 *   (ENOSPC and the length for a short buffer), and the byte budget
 *   (capacity_bytes) held with them;
 * - every failure rule: no daemon (ENOTCONN at once), no answer in time
 *   (ETIMEDOUT, the late answer refused), malformed answers (EINVAL,
 *   E2BIG, EFAULT; nothing cached, the request still answerable), a
 *   daemon killed holding a request (it goes to another daemon; with none
 *   left the waiter gets ENOTCONN at once);
 * - several daemons: each request read by exactly one; 100 requests held
 *   by a daemon that closes go to the other, in order (the kernel moves
 *   them in batches), or fail at once when it was the last;
 * - a burst of 16 callers of one key: one request where the strategy
 *   deduplicates, 16 with spinlock;
 * - the daemon invalidates a key after its source changed;
 * - rmmod while a daemon is attached is refused at once; once the daemon
 *   is gone the waiter is answered and the module unloads.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <linux/capability.h>

#include "cacheproxy_selftest.h"
#include "kselftest_harness.h"

/* Long enough never to end a test by itself, unless the test wants it. */
#define LD_PARAMS		"loader=user upcall_timeout_ms=60000"
/* The timeout test's, and the bound on its ETIMEDOUT. */
#define LD_SHORT_TIMEOUT_MS	500
#define LD_SHORT_BOUND_MS	3000
/* Waiting for a request that must come (generous: debug guests). */
#define LD_WAIT_MS		10000
/* A waiter answered "at once": far below the 60 s timeout. */
#define LD_PROMPT_MS		5000
/* Callers of the burst test. */
#define LD_BURST		16

#define REQ_BUF			(64 * CACHEPROXY_LOAD_REQUEST_MAX)

/* A GET in a thread of its own. */
struct getter {
	pthread_t tid;
	int dev;
	const char *key;
	int ret;
	char val[CACHEPROXY_VALUE_MAX + 1];
	size_t len;
	long long end_ms;
	bool done;
};

static void *getter_run(void *arg)
{
	struct getter *g = arg;

	g->ret = cp_dev_get(g->dev, g->key, strlen(g->key), g->val,
			    sizeof(g->val), &g->len);
	g->end_ms = cp_now_ms();
	__atomic_store_n(&g->done, true, __ATOMIC_RELEASE);
	return NULL;
}

static int getter_start(struct getter *g, int dev, const char *key)
{
	memset(g, 0, sizeof(*g));
	g->dev = dev;
	g->key = key;
	return pthread_create(&g->tid, NULL, getter_run, g);
}

/* Joins @g if it ends within @ms; returns whether it did. */
static bool getter_join(struct getter *g, int ms)
{
	long long end = cp_now_ms() + ms;

	while (!__atomic_load_n(&g->done, __ATOMIC_ACQUIRE)) {
		if (cp_now_ms() > end)
			return false;
		usleep(1000);
	}
	pthread_join(g->tid, NULL);
	return true;
}

static int attach(int dev, unsigned int flags)
{
	struct cacheproxy_loader_attach a;

	return cp_dev_loader_attach(dev, flags, &a);
}

/* One request as read: id and key (NUL-terminated). */
struct req {
	__u64 id;
	char key[CACHEPROXY_KEY_MAX + 1];
};

/*
 * Parses @len bytes of requests from @buf into @r (at most @max); returns
 * how many, or -1 for a malformed record.
 */
static int parse_reqs(const char *buf, size_t len, struct req *r, int max)
{
	size_t off = 0;
	int n = 0;

	while (off < len) {
		struct cacheproxy_load_request h;

		if (len - off < sizeof(h) || n == max)
			return -1;
		memcpy(&h, buf + off, sizeof(h));
		if (h.size < sizeof(h) || h.flags || h.reserved ||
		    !h.key_len || h.key_len > CACHEPROXY_KEY_MAX ||
		    off + h.size + h.key_len > len)
			return -1;
		r[n].id = h.id;
		memcpy(r[n].key, buf + off + h.size, h.key_len);
		r[n].key[h.key_len] = '\0';
		n++;
		off += (h.size + h.key_len + 7) & ~7UL;
	}
	return n;
}

/*
 * Reads requests from @ch (non-blocking reads, polled) until @want came or
 * @ms passed. Returns how many came (into @r), or -errno.
 */
static int read_reqs(int ch, struct req *r, int want, int ms)
{
	static char buf[REQ_BUF];
	long long end = cp_now_ms() + ms;
	int got = 0, n;
	ssize_t len;

	while (got < want) {
		struct pollfd p = { .fd = ch, .events = POLLIN };
		int left = end - cp_now_ms();

		if (left <= 0)
			break;
		if (poll(&p, 1, left) < 0)
			return -errno;
		len = read(ch, buf, sizeof(buf));
		if (len < 0) {
			if (errno == EAGAIN)
				continue;
			return -errno;
		}
		n = parse_reqs(buf, len, r + got, want - got);
		if (n < 0)
			return -EBADMSG;
		got += n;
	}
	return got;
}

/* Writes one answer; returns write()'s result or -errno. */
static ssize_t answer(int ch, __u64 id, int status, const void *val,
		      __u32 len)
{
	char buf[sizeof(struct cacheproxy_load_answer) + CACHEPROXY_VALUE_MAX + 8];
	struct cacheproxy_load_answer a = {
		.size = sizeof(a),
		.id = id,
		.status = status,
		.value_len = len,
	};
	size_t n = (sizeof(a) + len + 7) & ~7UL;
	ssize_t ret;

	memset(buf, 0, sizeof(buf));
	memcpy(buf, &a, sizeof(a));
	if (len)
		memcpy(buf + sizeof(a), val, len);
	ret = write(ch, buf, n);
	return ret < 0 ? -errno : ret;
}

FIXTURE(ld) {
	bool loaded;
	int dev;
	int ch;
};

CP_STRATEGY_VARIANTS(ld);

static int ld_load(struct __test_metadata *_metadata,
		   FIXTURE_DATA(ld) *self, const char *strategy,
		   const char *extra)
{
	const char *step;
	int ret;

	if (self->ch >= 0)
		close(self->ch);
	if (self->dev >= 0)
		close(self->dev);
	self->ch = self->dev = -1;
	ret = cp_reload(strategy, extra, &step);
	if (ret) {
		TH_LOG("%s: %s", step, strerror(-ret));
		return ret;
	}
	self->loaded = true;
	self->dev = open(CP_DEV, O_RDWR | O_CLOEXEC);
	if (self->dev < 0)
		return -errno;
	return 0;
}

FIXTURE_SETUP(ld)
{
	const char *why = cp_cannot_run();

	self->dev = self->ch = -1;
	if (why)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, ld_load(_metadata, self, variant->strategy, LD_PARAMS));
}

FIXTURE_TEARDOWN(ld)
{
	int ret;

	if (self->ch >= 0)
		close(self->ch);
	if (self->dev >= 0)
		close(self->dev);
	if (!self->loaded)
		return;
	ret = cp_unload(CP_MODULE, CP_UNLOAD_MS);
	EXPECT_EQ(0, ret) TH_LOG("unload: %s", strerror(-ret));
}

/* Drops CAP_SYS_ADMIN from every set of this (child) process. */
static int drop_sys_admin(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -errno;
	d[CAP_SYS_ADMIN / 32].effective &= ~(1U << (CAP_SYS_ADMIN % 32));
	d[CAP_SYS_ADMIN / 32].permitted &= ~(1U << (CAP_SYS_ADMIN % 32));
	d[CAP_SYS_ADMIN / 32].inheritable &= ~(1U << (CAP_SYS_ADMIN % 32));
	return syscall(SYS_capset, &h, d) ? -errno : 0;
}

TEST_F(ld, attach_errors)
{
	struct {
		struct cacheproxy_loader_attach a;
		__u64 more;
	} big = { .a.size = sizeof(big) };
	struct cacheproxy_loader_attach a = { .size = sizeof(a) };
	int ro, status, fd;
	pid_t pid;

	ro = open(CP_DEV, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, ro);
	EXPECT_EQ(-EBADF, attach(ro, 0));
	close(ro);

	a.size = 8;
	EXPECT_EQ(-1, ioctl(self->dev, CACHEPROXY_IOC_LOADER_ATTACH, &a));
	EXPECT_EQ(EINVAL, errno);
	a.size = 20;
	EXPECT_EQ(-1, ioctl(self->dev, CACHEPROXY_IOC_LOADER_ATTACH, &a));
	EXPECT_EQ(EINVAL, errno);
	a.size = CACHEPROXY_LOADER_ATTACH_SIZE_MAX + 8;
	EXPECT_EQ(-1, ioctl(self->dev, CACHEPROXY_IOC_LOADER_ATTACH, &a));
	EXPECT_EQ(E2BIG, errno);
	a.size = sizeof(a);
	a.reserved = 1;
	EXPECT_EQ(-1, ioctl(self->dev, CACHEPROXY_IOC_LOADER_ATTACH, &a));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-EINVAL, attach(self->dev, 0x4));
	big.more = 1;
	EXPECT_EQ(-1, ioctl(self->dev, CACHEPROXY_IOC_LOADER_ATTACH, &big));
	EXPECT_EQ(E2BIG, errno);
	big.more = 0;
	fd = ioctl(self->dev, CACHEPROXY_IOC_LOADER_ATTACH, &big);
	EXPECT_LE(0, fd) TH_LOG("a longer struct with a zero tail: %s",
				strerror(errno));
	if (fd >= 0)
		close(fd);
	fd = attach(self->dev, CACHEPROXY_LOADER_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	/* A stream: no offsets. */
	EXPECT_EQ(-1, pread(fd, &a, sizeof(a), 0));
	EXPECT_EQ(ESPIPE, errno);
	EXPECT_EQ(-1, lseek(fd, 0, SEEK_SET));
	EXPECT_EQ(ESPIPE, errno);
	close(fd);

	/* The kernel's sizes come back. */
	a = (struct cacheproxy_loader_attach) { .size = sizeof(a) };
	fd = ioctl(self->dev, CACHEPROXY_IOC_LOADER_ATTACH, &a);
	ASSERT_LE(0, fd);
	close(fd);
	EXPECT_EQ(sizeof(a), a.size);
	EXPECT_EQ(sizeof(struct cacheproxy_load_request), a.request_size);
	EXPECT_EQ(sizeof(struct cacheproxy_load_answer), a.answer_size);
	EXPECT_EQ((__u32)CACHEPROXY_VALUE_MAX, a.value_max);

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (drop_sys_admin())
			_exit(2);
		_exit(attach(self->dev, 0) == -EPERM ? 0 : 1);
	}
	ASSERT_EQ(0, cp_wait_child(pid, LD_WAIT_MS, &status));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("attach without CAP_SYS_ADMIN: status %#x", status);

	ASSERT_EQ(0, ld_load(_metadata, self, variant->strategy, NULL));
	EXPECT_EQ(-EOPNOTSUPP, attach(self->dev, 0));
}

/* No daemon: ENOTCONN at once, nothing cached. */
TEST_F(ld, no_daemon)
{
	struct cacheproxy_stats st;
	char val[16];
	long long t0 = cp_now_ms();
	size_t len;

	EXPECT_EQ(-ENOTCONN, cp_dev_get(self->dev, "k", 1, val, sizeof(val),
					&len));
	EXPECT_EQ(-ENOTCONN, cp_dev_get(self->dev, "k", 1, val, sizeof(val),
					&len));
	EXPECT_GT(LD_PROMPT_MS, cp_now_ms() - t0);
	ASSERT_EQ(0, cp_stats_quiet(self->dev, &st, LD_WAIT_MS));
	EXPECT_EQ(2ULL, st.loads_started);
	EXPECT_EQ(2ULL, st.loads_failed);
	EXPECT_EQ(0ULL, st.entries);
}

/*
 * The whole round: a request with its id and key; a value with NUL and
 * newline reaches GET and /proc unchanged; the next GET hits.
 */
TEST_F(ld, value_round_trip)
{
	static const char v[] = "a\0b\nc";
	char buf[CACHEPROXY_VALUE_MAX + 2];
	struct cacheproxy_stats st;
	struct getter g;
	struct req r;
	size_t len;
	ssize_t n;
	int fd;

	self->ch = attach(self->dev, CACHEPROXY_LOADER_NONBLOCK);
	ASSERT_LE(0, self->ch);
	ASSERT_EQ(0, getter_start(&g, self->dev, "db-1"));
	ASSERT_EQ(1, read_reqs(self->ch, &r, 1, LD_WAIT_MS));
	EXPECT_STREQ("db-1", r.key);
	EXPECT_EQ(1ULL, r.id);
	EXPECT_EQ(answer(self->ch, r.id, 0, v, sizeof(v) - 1),
		  (ssize_t)((sizeof(struct cacheproxy_load_answer) + sizeof(v) - 1 + 7) & ~7UL));
	ASSERT_TRUE(getter_join(&g, LD_WAIT_MS));
	ASSERT_EQ(0, g.ret);
	ASSERT_EQ(sizeof(v) - 1, g.len);
	EXPECT_EQ(0, memcmp(g.val, v, sizeof(v) - 1));

	EXPECT_EQ(0, cp_dev_get(self->dev, "db-1", 4, buf, sizeof(buf), &len));
	EXPECT_EQ(sizeof(v) - 1, len);
	ASSERT_EQ(0, cp_dev_stats(self->dev, &st));
	EXPECT_EQ(1ULL, st.hits);
	EXPECT_EQ(1ULL, st.loads_started);

	/* /proc prints the value's bytes as they are, then a newline. */
	fd = open(CP_PROC_LOOKUP, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(5, write(fd, "db-1\n", 5));
	n = read(fd, buf, sizeof(buf));
	close(fd);
	ASSERT_EQ((ssize_t)sizeof(v), n);
	EXPECT_EQ(0, memcmp(buf, v, sizeof(v) - 1));
	EXPECT_EQ('\n', buf[sizeof(v) - 1]);
}

/* The longest value, every byte value in it (NUL and newline included). */
static void long_value(char *v, unsigned int seed)
{
	size_t i;

	for (i = 0; i < CACHEPROXY_VALUE_MAX; i++)
		v[i] = i * 7 + seed;
}

/* Answers the next request, which must be for @key, with @v. */
static bool answer_next(struct __test_metadata *_metadata, int ch,
			const char *key, const void *v, size_t len)
{
	struct req r;

	if (read_reqs(ch, &r, 1, LD_WAIT_MS) != 1)
		return false;
	EXPECT_STREQ(key, r.key);
	return answer(ch, r.id, 0, v, len) > 0;
}

/*
 * A value of CACHEPROXY_VALUE_MAX bytes comes back whole through GET,
 * GET_BATCH and /proc; a buffer one byte short (or an old program's
 * 276-byte buffer) gets ENOSPC and the length it needs.
 */
TEST_F(ld, long_values)
{
	static char v[CACHEPROXY_VALUE_MAX], buf[CACHEPROXY_VALUE_MAX + 2];
	static char buf2[CACHEPROXY_VALUE_MAX];
	struct cacheproxy_batch_item it[2] = {
		{ .key = (uintptr_t)"big", .key_len = 3, .value = (uintptr_t)buf2,
		  .value_size = sizeof(buf2) },
		{ .key = (uintptr_t)"big", .key_len = 3, .value = (uintptr_t)buf,
		  .value_size = CACHEPROXY_VALUE_MAX - 1 },
	};
	struct cacheproxy_get_batch batch = {
		.items = (uintptr_t)it, .count = 2,
	};
	struct cacheproxy_stats st;
	struct getter g;
	size_t len;
	ssize_t n;
	int fd;

	long_value(v, 1);
	self->ch = attach(self->dev, CACHEPROXY_LOADER_NONBLOCK);
	ASSERT_LE(0, self->ch);
	ASSERT_EQ(0, getter_start(&g, self->dev, "big"));
	ASSERT_TRUE(answer_next(_metadata, self->ch, "big", v, sizeof(v)));
	ASSERT_TRUE(getter_join(&g, LD_WAIT_MS));
	ASSERT_EQ(0, g.ret);
	ASSERT_EQ(sizeof(v), g.len);
	EXPECT_EQ(0, memcmp(g.val, v, sizeof(v)));

	/* Hits: exact fit, one byte short, an old program's buffer. */
	EXPECT_EQ(0, cp_dev_get(self->dev, "big", 3, buf, sizeof(v), &len));
	EXPECT_EQ(sizeof(v), len);
	EXPECT_EQ(0, memcmp(buf, v, sizeof(v)));
	EXPECT_EQ(-ENOSPC, cp_dev_get(self->dev, "big", 3, buf, sizeof(v) - 1,
				      &len));
	EXPECT_EQ(sizeof(v), len);
	EXPECT_EQ(-ENOSPC, cp_dev_get(self->dev, "big", 3, buf, 276, &len));
	EXPECT_EQ(sizeof(v), len);

	ASSERT_EQ(0, ioctl(self->dev, CACHEPROXY_IOC_GET_BATCH, &batch));
	EXPECT_EQ(0, it[0].status);
	EXPECT_EQ(sizeof(v), it[0].value_len);
	EXPECT_EQ(0, memcmp(buf2, v, sizeof(v)));
	EXPECT_EQ(-ENOSPC, it[1].status);
	EXPECT_EQ(sizeof(v), it[1].value_len);

	/* /proc: the bytes as they are, then a newline. */
	fd = open(CP_PROC_LOOKUP, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(4, write(fd, "big\n", 4));
	n = read(fd, buf, sizeof(buf));
	close(fd);
	ASSERT_EQ((ssize_t)sizeof(v) + 1, n);
	EXPECT_EQ(0, memcmp(buf, v, sizeof(v)));
	EXPECT_EQ('\n', buf[sizeof(v)]);
	/* Read in pieces: the value, then its newline, then the end. */
	fd = open(CP_PROC_LOOKUP, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(4, write(fd, "big\n", 4));
	EXPECT_EQ((ssize_t)sizeof(v), read(fd, buf, sizeof(v)));
	EXPECT_EQ(0, memcmp(buf, v, sizeof(v)));
	EXPECT_EQ(1, read(fd, buf, sizeof(buf)));
	EXPECT_EQ('\n', buf[0]);
	EXPECT_EQ(0, read(fd, buf, sizeof(buf)));
	close(fd);

	/* One entry, counted with its key and header: under two values. */
	ASSERT_EQ(0, cp_stats_quiet(self->dev, &st, LD_WAIT_MS));
	EXPECT_EQ(1ULL, st.loads_started);
	EXPECT_EQ(1ULL, st.entries);
	EXPECT_LT((__u64)sizeof(v), st.bytes);
	EXPECT_GE(2ULL * sizeof(v), st.bytes);
}

/* capacity_bytes of byte_budget (as in LD_BUDGET_PARAMS): < 8 long values. */
#define LD_BUDGET		32768
#define LD_BUDGET_PARAMS	"capacity=1000 capacity_bytes=32768"
#define LD_BUDGET_KEYS		24

/*
 * The byte budget holds with long values: every load is cached in turn,
 * evicting older ones, and the bytes never exceed capacity_bytes although
 * the entry count allows far more.
 */
TEST_F(ld, byte_budget)
{
	static char v[CACHEPROXY_VALUE_MAX], buf[CACHEPROXY_VALUE_MAX];
	struct cacheproxy_stats st;
	unsigned long long proc = 0;
	struct getter g;
	char key[16];
	size_t len;
	int i;

	ASSERT_EQ(0, ld_load(_metadata, self, variant->strategy,
			     LD_PARAMS " " LD_BUDGET_PARAMS));
	self->ch = attach(self->dev, CACHEPROXY_LOADER_NONBLOCK);
	ASSERT_LE(0, self->ch);
	for (i = 0; i < LD_BUDGET_KEYS; i++) {
		snprintf(key, sizeof(key), "row-%d", i);
		long_value(v, i);
		ASSERT_EQ(0, getter_start(&g, self->dev, key));
		ASSERT_TRUE(answer_next(_metadata, self->ch, key, v,
					sizeof(v)));
		ASSERT_TRUE(getter_join(&g, LD_WAIT_MS));
		ASSERT_EQ(0, g.ret);
		ASSERT_EQ(0, cp_stats_quiet(self->dev, &st, LD_WAIT_MS));
		ASSERT_GE((__u64)LD_BUDGET, st.bytes) TH_LOG("after %d keys", i + 1);
		ASSERT_LE((__u64)sizeof(v) * st.entries, st.bytes);
	}
	/* Each entry is more than a value: at most 7 fit. */
	EXPECT_GE(7ULL, st.entries);
	EXPECT_EQ((__u64)LD_BUDGET_KEYS, st.entries + st.evictions);
	EXPECT_EQ(0, cp_proc_stat(CP_PROC_STATS, "bytes", &proc));
	EXPECT_EQ(st.bytes, proc);
	/* The newest is cached: a hit with its bytes, no request. */
	EXPECT_EQ(0, cp_dev_get(self->dev, key, strlen(key), buf, sizeof(buf),
				&len));
	EXPECT_EQ(sizeof(v), len);
	EXPECT_EQ(0, memcmp(buf, v, sizeof(v)));
	ASSERT_EQ(0, cp_control("flush"));
	ASSERT_EQ(0, cp_stats_quiet(self->dev, &st, LD_WAIT_MS));
	EXPECT_EQ(0ULL, st.bytes);
}

/*
 * ENOENT is negative-cached; another errno is not cached and reaches the
 * caller as EIO, whatever the daemon said (its ENOSPC must not pass for
 * the kernel's "buffer too small").
 */
TEST_F(ld, errors)
{
	char buf[CACHEPROXY_LOAD_REQUEST_MAX];
	struct cacheproxy_stats st;
	struct getter g;
	struct req r;
	char val[8];
	size_t len;

	self->ch = attach(self->dev, CACHEPROXY_LOADER_NONBLOCK);
	ASSERT_LE(0, self->ch);
	ASSERT_EQ(0, getter_start(&g, self->dev, "gone"));
	ASSERT_EQ(1, read_reqs(self->ch, &r, 1, LD_WAIT_MS));
	EXPECT_LT(0, answer(self->ch, r.id, -ENOENT, NULL, 0));
	ASSERT_TRUE(getter_join(&g, LD_WAIT_MS));
	EXPECT_EQ(-ENOENT, g.ret);
	/* Cached: answered without a request. */
	EXPECT_EQ(-ENOENT, cp_dev_get(self->dev, "gone", 4, val, sizeof(val),
				      &len));
	EXPECT_EQ(-1, read(self->ch, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);

	ASSERT_EQ(0, getter_start(&g, self->dev, "flaky"));
	ASSERT_EQ(1, read_reqs(self->ch, &r, 1, LD_WAIT_MS));
	EXPECT_LT(0, answer(self->ch, r.id, -ENOSPC, NULL, 0));
	ASSERT_TRUE(getter_join(&g, LD_WAIT_MS));
	EXPECT_EQ(-EIO, g.ret);
	EXPECT_EQ(UINT32_MAX, g.len) TH_LOG("value_len written for an EIO");
	ASSERT_EQ(0, getter_start(&g, self->dev, "flaky"));
	EXPECT_EQ(1, read_reqs(self->ch, &r, 1, LD_WAIT_MS))
		TH_LOG("the error was cached");
	EXPECT_LT(0, answer(self->ch, r.id, -EHOSTDOWN, NULL, 0));
	ASSERT_TRUE(getter_join(&g, LD_WAIT_MS));
	EXPECT_EQ(-EIO, g.ret);
	ASSERT_EQ(0, cp_stats_quiet(self->dev, &st, LD_WAIT_MS));
	EXPECT_EQ(1ULL, st.entries);
	EXPECT_EQ(3ULL, st.loads_failed);
}

/* A blocking read of a channel in a thread of its own. */
struct reader {
	pthread_t tid;
	int ch;
	ssize_t n;
	int err;
	char buf[CACHEPROXY_LOAD_REQUEST_MAX];
	bool done;
};

static void *reader_run(void *arg)
{
	struct reader *rd = arg;

	rd->n = read(rd->ch, rd->buf, sizeof(rd->buf));
	rd->err = errno;
	__atomic_store_n(&rd->done, true, __ATOMIC_RELEASE);
	return NULL;
}

static void on_usr1(int sig)
{
}

/*
 * Reads: a buffer smaller than a header or than the first request is
 * EINVAL and leaves the request there; O_NONBLOCK with nothing pending is
 * EAGAIN; poll says POLLIN only while a request waits. A blocking read
 * sleeps until a request comes, and a signal (no SA_RESTART) ends it with
 * EINTR.
 */
TEST_F(ld, reads_and_poll)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	char buf[CACHEPROXY_LOAD_REQUEST_MAX];
	struct reader rd;
	struct pollfd p;
	struct getter g;
	struct req r;
	ssize_t n;

	self->ch = attach(self->dev, CACHEPROXY_LOADER_NONBLOCK);
	ASSERT_LE(0, self->ch);
	EXPECT_EQ(-1, read(self->ch, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	p = (struct pollfd) { .fd = self->ch, .events = POLLIN | POLLOUT };
	EXPECT_EQ(1, poll(&p, 1, 0));
	EXPECT_EQ(POLLOUT, p.revents);

	ASSERT_EQ(0, getter_start(&g, self->dev, "poll-key"));
	p = (struct pollfd) { .fd = self->ch, .events = POLLIN };
	EXPECT_EQ(1, poll(&p, 1, LD_WAIT_MS));
	EXPECT_EQ(POLLIN, p.revents);
	EXPECT_EQ(-1, read(self->ch, buf,
			   sizeof(struct cacheproxy_load_request) - 1));
	EXPECT_EQ(EINVAL, errno);
	/* Room for the header, not for the key. */
	EXPECT_EQ(-1, read(self->ch, buf,
			   sizeof(struct cacheproxy_load_request) + 4));
	EXPECT_EQ(EINVAL, errno);
	n = read(self->ch, buf, sizeof(buf));
	ASSERT_LT(0, n);
	ASSERT_EQ(1, parse_reqs(buf, n, &r, 1));
	EXPECT_STREQ("poll-key", r.key);
	EXPECT_LT(0, answer(self->ch, r.id, 0, "pv", 2));
	ASSERT_TRUE(getter_join(&g, LD_WAIT_MS));
	EXPECT_EQ(0, g.ret);

	/* A blocking channel: its read sleeps until a request comes. */
	memset(&rd, 0, sizeof(rd));
	rd.ch = attach(self->dev, 0);
	ASSERT_LE(0, rd.ch);
	ASSERT_EQ(0, pthread_create(&rd.tid, NULL, reader_run, &rd));
	usleep(300000);
	EXPECT_FALSE(__atomic_load_n(&rd.done, __ATOMIC_ACQUIRE));
	ASSERT_EQ(0, getter_start(&g, self->dev, "block-key"));
	pthread_join(rd.tid, NULL);
	ASSERT_LT(0, rd.n) TH_LOG("blocking read: %s", strerror(rd.err));
	ASSERT_EQ(1, parse_reqs(rd.buf, rd.n, &r, 1));
	EXPECT_STREQ("block-key", r.key);
	EXPECT_LT(0, answer(rd.ch, r.id, 0, "bv", 2));
	ASSERT_TRUE(getter_join(&g, LD_WAIT_MS));
	EXPECT_EQ(0, g.ret);

	/* A signal ends a sleeping read with EINTR. */
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	rd.done = false;
	ASSERT_EQ(0, pthread_create(&rd.tid, NULL, reader_run, &rd));
	usleep(300000);
	EXPECT_FALSE(__atomic_load_n(&rd.done, __ATOMIC_ACQUIRE));
	ASSERT_EQ(0, pthread_kill(rd.tid, SIGUSR1));
	pthread_join(rd.tid, NULL);
	EXPECT_EQ(-1, rd.n);
	EXPECT_EQ(EINTR, rd.err);
	close(rd.ch);

	p = (struct pollfd) { .fd = self->ch, .events = POLLIN | POLLOUT };
	EXPECT_EQ(1, poll(&p, 1, 0));
	EXPECT_EQ(POLLOUT, p.revents);
}

/* Writes @len bytes of @buf to @ch; returns write()'s result or -errno. */
static ssize_t raw_write(int ch, const void *buf, size_t len)
{
	ssize_t n = write(ch, buf, len);

	return n < 0 ? -errno : n;
}

/*
 * Malformed answers are refused and change nothing; then the request is
 * answered well, once; a write with two answers takes both, and one whose
 * second answer is bad takes the first only.
 */
TEST_F(ld, malformed_answers)
{
	struct cacheproxy_load_answer a;
	char buf[CACHEPROXY_LOAD_ANSWER_SIZE_MAX + 64], *hole;
	struct cacheproxy_stats st;
	struct getter g, g2;
	struct req r[2];
	size_t one;

	self->ch = attach(self->dev, CACHEPROXY_LOADER_NONBLOCK);
	ASSERT_LE(0, self->ch);
	ASSERT_EQ(0, getter_start(&g, self->dev, "m-1"));
	ASSERT_EQ(1, read_reqs(self->ch, r, 1, LD_WAIT_MS));

	a = (struct cacheproxy_load_answer) {
		.size = sizeof(a), .id = r[0].id, .value_len = 0,
	};
	/* Cut short: less than a header. */
	EXPECT_EQ(-EINVAL, raw_write(self->ch, &a, sizeof(a) - 1));
	/* Bad sizes. */
	a.size = 20;
	EXPECT_EQ(-EINVAL, raw_write(self->ch, &a, sizeof(a)));
	a.size = 28;
	EXPECT_EQ(-EINVAL, raw_write(self->ch, &a, sizeof(a)));
	a.size = 32;
	EXPECT_EQ(-EINVAL, raw_write(self->ch, &a, sizeof(a)));
	/* A longer header with a non-zero tail. */
	memset(buf, 0, sizeof(buf));
	a.size = 32;
	memcpy(buf, &a, sizeof(a));
	buf[sizeof(a)] = 1;
	EXPECT_EQ(-E2BIG, raw_write(self->ch, buf, 32));
	a.size = sizeof(a);
	a.flags = 1;
	EXPECT_EQ(-EINVAL, raw_write(self->ch, &a, sizeof(a)));
	a.flags = 0;
	/* Bad statuses. */
	EXPECT_EQ(-EINVAL, answer(self->ch, r[0].id, 1, NULL, 0));
	EXPECT_EQ(-EINVAL, answer(self->ch, r[0].id, -4096, NULL, 0));
	EXPECT_EQ(-EINVAL, answer(self->ch, r[0].id, -ENOENT, "x", 1));
	/* An id never issued. */
	EXPECT_EQ(-EINVAL, answer(self->ch, r[0].id + 1000, 0, "x", 1));
	/* Padding that is not zero. */
	memset(buf, 0, sizeof(buf));
	a.value_len = 3;
	memcpy(buf, &a, sizeof(a));
	memcpy(buf + sizeof(a), "abc", 3);
	buf[sizeof(a) + 5] = 'x';
	EXPECT_EQ(-EINVAL, raw_write(self->ch, buf, sizeof(a) + 8));
	a.value_len = 0;
	/* A header longer than any the kernel takes. */
	memset(buf, 0, sizeof(buf));
	a.size = CACHEPROXY_LOAD_ANSWER_SIZE_MAX + 8;
	memcpy(buf, &a, sizeof(a));
	EXPECT_EQ(-EINVAL, raw_write(self->ch, buf, a.size));
	a.size = sizeof(a);
	/* A value longer than the maximum, or than the write. */
	a.value_len = CACHEPROXY_VALUE_MAX + 1;
	EXPECT_EQ(-EINVAL, raw_write(self->ch, &a, sizeof(a)));
	a.value_len = 8;
	EXPECT_EQ(-EINVAL, raw_write(self->ch, &a, sizeof(a)));
	/* The value in an unmapped page: EFAULT. */
	hole = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, hole);
	ASSERT_EQ(0, munmap(hole + 4096, 4096));
	memcpy(hole + 4096 - sizeof(a), &a, sizeof(a));
	EXPECT_EQ(-EFAULT, raw_write(self->ch, hole + 4096 - sizeof(a),
				     sizeof(a) + 8));
	munmap(hole, 4096);
	/* Nothing of that reached the waiter or the cache. */
	EXPECT_FALSE(__atomic_load_n(&g.done, __ATOMIC_ACQUIRE));
	ASSERT_EQ(0, cp_dev_stats(self->dev, &st));
	EXPECT_EQ(0ULL, st.entries);
	EXPECT_EQ(1ULL, st.inflight);

	/* Now well, once. */
	EXPECT_LT(0, answer(self->ch, r[0].id, 0, "good", 4));
	EXPECT_EQ(-ESTALE, answer(self->ch, r[0].id, 0, "again", 5));
	ASSERT_TRUE(getter_join(&g, LD_WAIT_MS));
	EXPECT_EQ(0, g.ret);
	EXPECT_EQ(4U, g.len);

	/* Two answers in one write; then a good one and a bad one. */
	ASSERT_EQ(0, getter_start(&g, self->dev, "m-2"));
	ASSERT_EQ(0, getter_start(&g2, self->dev, "m-3"));
	ASSERT_EQ(2, read_reqs(self->ch, r, 2, LD_WAIT_MS));
	one = sizeof(a) + 8;
	memset(buf, 0, sizeof(buf));
	for (int i = 0; i < 2; i++) {
		a = (struct cacheproxy_load_answer) {
			.size = sizeof(a), .id = r[i].id, .value_len = 3,
		};
		memcpy(buf + i * one, &a, sizeof(a));
		memcpy(buf + i * one + sizeof(a), r[i].key, 3);
	}
	EXPECT_EQ((ssize_t)(2 * one), raw_write(self->ch, buf, 2 * one));
	ASSERT_TRUE(getter_join(&g, LD_WAIT_MS));
	ASSERT_TRUE(getter_join(&g2, LD_WAIT_MS));
	EXPECT_EQ(0, g.ret);
	EXPECT_EQ(0, g2.ret);
	EXPECT_EQ(0, memcmp(g.val, "m-2", 3));
	EXPECT_EQ(0, memcmp(g2.val, "m-3", 3));

	ASSERT_EQ(0, getter_start(&g, self->dev, "m-4"));
	ASSERT_EQ(1, read_reqs(self->ch, r, 1, LD_WAIT_MS));
	memset(buf, 0, sizeof(buf));
	a = (struct cacheproxy_load_answer) {
		.size = sizeof(a), .id = r[0].id, .value_len = 3,
	};
	memcpy(buf, &a, sizeof(a));
	memcpy(buf + sizeof(a), "m-4", 3);
	a.id = r[0].id + 1000;
	memcpy(buf + one, &a, sizeof(a));
	EXPECT_EQ((ssize_t)one, raw_write(self->ch, buf, 2 * one));
	ASSERT_TRUE(getter_join(&g, LD_WAIT_MS));
	EXPECT_EQ(0, g.ret);
}

/* No answer in time: the waiters get ETIMEDOUT; the late answer is refused. */
TEST_F(ld, timeout)
{
	char extra[64];
	long long t0;
	struct getter g;
	struct req r;

	snprintf(extra, sizeof(extra), "loader=user upcall_timeout_ms=%d",
		 LD_SHORT_TIMEOUT_MS);
	ASSERT_EQ(0, ld_load(_metadata, self, variant->strategy, extra));
	self->ch = attach(self->dev, CACHEPROXY_LOADER_NONBLOCK);
	ASSERT_LE(0, self->ch);
	t0 = cp_now_ms();
	ASSERT_EQ(0, getter_start(&g, self->dev, "slowdb"));
	ASSERT_EQ(1, read_reqs(self->ch, &r, 1, LD_WAIT_MS));
	ASSERT_TRUE(getter_join(&g, LD_WAIT_MS));
	TH_LOG("ETIMEDOUT after %lld ms (upcall_timeout_ms=%d)",
	       g.end_ms - t0, LD_SHORT_TIMEOUT_MS);
	EXPECT_EQ(-ETIMEDOUT, g.ret);
	EXPECT_LE(LD_SHORT_TIMEOUT_MS, g.end_ms - t0);
	/* Its own timeout, not the default's 5 s. */
	EXPECT_GT(LD_SHORT_BOUND_MS, g.end_ms - t0);
	EXPECT_EQ(-ESTALE, answer(self->ch, r.id, 0, "late", 4));
}

/*
 * A daemon killed holding a request: the request goes to the daemon left;
 * when the last one dies, the waiter gets ENOTCONN at once.
 */
TEST_F(ld, daemon_killed)
{
	char hdr[16];
	int pfd[2], status;
	long long t0;
	struct getter g;
	struct req r;
	pid_t pid;
	__u64 id;
	char c;

	self->ch = attach(self->dev, CACHEPROXY_LOADER_NONBLOCK);
	ASSERT_LE(0, self->ch);
	ASSERT_EQ(0, pipe(pfd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int ch = attach(self->dev, 0);
		char buf[CACHEPROXY_LOAD_REQUEST_MAX];
		ssize_t n;

		close(self->ch);
		if (ch < 0)
			_exit(1);
		if (write(pfd[1], "a", 1) != 1)
			_exit(1);
		n = read(ch, buf, sizeof(buf));
		if (n <= 0 || write(pfd[1], buf, 8 + 8) != 16)
			_exit(1);
		pause();
		_exit(0);
	}
	close(pfd[1]);
	ASSERT_EQ(1, read(pfd[0], &c, 1));
	/*
	 * Both are attached; this daemon does not read until the child
	 * (blocked in its read) has taken the request and reported its id.
	 */
	ASSERT_EQ(0, getter_start(&g, self->dev, "victim"));
	ASSERT_EQ(16, read(pfd[0], hdr, 16));
	memcpy(&id, hdr + 8, sizeof(id));
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(0, cp_wait_child(pid, LD_WAIT_MS, &status));
	ASSERT_EQ(1, read_reqs(self->ch, &r, 1, LD_WAIT_MS));
	EXPECT_EQ(id, r.id);
	EXPECT_STREQ("victim", r.key);
	EXPECT_LT(0, answer(self->ch, r.id, 0, "saved", 5));
	ASSERT_TRUE(getter_join(&g, LD_WAIT_MS));
	EXPECT_EQ(0, g.ret);
	close(pfd[0]);

	/* The last daemon goes with a request: ENOTCONN, at once. */
	ASSERT_EQ(0, getter_start(&g, self->dev, "orphan"));
	ASSERT_EQ(1, read_reqs(self->ch, &r, 1, LD_WAIT_MS));
	t0 = cp_now_ms();
	close(self->ch);
	self->ch = -1;
	ASSERT_TRUE(getter_join(&g, LD_WAIT_MS));
	EXPECT_EQ(-ENOTCONN, g.ret);
	EXPECT_GT(LD_PROMPT_MS, g.end_ms - t0);
}

/*
 * More requests than the kernel moves per lock hold (64): a daemon closing
 * with 100 gives every one back, in order and with its id, to the daemon
 * left; the last daemon closing with 100 fails all of them at once.
 */
TEST_F(ld, many_held)
{
	enum { N = 100 };
	static struct getter g[N];
	static struct req r[N], r2[N];
	static char keys[N][16];
	long long t0;
	int a, i;

	self->ch = attach(self->dev, CACHEPROXY_LOADER_NONBLOCK);
	ASSERT_LE(0, self->ch);
	a = attach(self->dev, CACHEPROXY_LOADER_NONBLOCK);
	ASSERT_LE(0, a);
	for (i = 0; i < N; i++) {
		snprintf(keys[i], sizeof(keys[i]), "held-%d", i);
		ASSERT_EQ(0, getter_start(&g[i], self->dev, keys[i]));
	}
	ASSERT_EQ(N, read_reqs(a, r, N, LD_WAIT_MS));
	close(a);
	ASSERT_EQ(N, read_reqs(self->ch, r2, N, LD_WAIT_MS));
	for (i = 0; i < N; i++) {
		EXPECT_EQ(r[i].id, r2[i].id) TH_LOG("request %d", i);
		EXPECT_LT(0, answer(self->ch, r2[i].id, 0, r2[i].key,
				    strlen(r2[i].key)));
	}
	for (i = 0; i < N; i++) {
		ASSERT_TRUE(getter_join(&g[i], LD_WAIT_MS));
		EXPECT_EQ(0, g[i].ret);
	}

	for (i = 0; i < N; i++) {
		snprintf(keys[i], sizeof(keys[i]), "lost-%d", i);
		ASSERT_EQ(0, getter_start(&g[i], self->dev, keys[i]));
	}
	ASSERT_EQ(N, read_reqs(self->ch, r, N, LD_WAIT_MS));
	t0 = cp_now_ms();
	close(self->ch);
	self->ch = -1;
	for (i = 0; i < N; i++) {
		ASSERT_TRUE(getter_join(&g[i], LD_WAIT_MS));
		EXPECT_EQ(-ENOTCONN, g[i].ret);
	}
	EXPECT_GT(LD_PROMPT_MS, cp_now_ms() - t0);
}

/* Several daemons: each request is read by exactly one of them. */
TEST_F(ld, several_daemons)
{
	enum { N = 12 };
	struct getter g[N];
	struct req r[2][N];
	char keys[N][16];
	bool seen[N] = { false };
	int ch2, got[2] = { 0, 0 }, i, d, k;

	self->ch = attach(self->dev, CACHEPROXY_LOADER_NONBLOCK);
	ASSERT_LE(0, self->ch);
	ch2 = attach(self->dev, CACHEPROXY_LOADER_NONBLOCK);
	ASSERT_LE(0, ch2);
	for (i = 0; i < N; i++) {
		snprintf(keys[i], sizeof(keys[i]), "multi-%d", i);
		ASSERT_EQ(0, getter_start(&g[i], self->dev, keys[i]));
	}
	/* Alternate reads of a few requests each until all came. */
	for (long long end = cp_now_ms() + LD_WAIT_MS;
	     got[0] + got[1] < N && cp_now_ms() < end;) {
		for (d = 0; d < 2; d++) {
			char buf[2 * CACHEPROXY_LOAD_REQUEST_MAX];
			ssize_t n = read(d ? ch2 : self->ch, buf, sizeof(buf));
			int m;

			if (n <= 0)
				continue;
			m = parse_reqs(buf, n, r[d] + got[d], N - got[d]);
			ASSERT_LE(0, m);
			for (k = 0; k < m; k++)
				EXPECT_LT(0, answer(d ? ch2 : self->ch,
						    r[d][got[d] + k].id, 0,
						    r[d][got[d] + k].key,
						    strlen(r[d][got[d] + k].key)));
			got[d] += m;
		}
		usleep(1000);
	}
	TH_LOG("daemon 1 read %d requests, daemon 2 %d", got[0], got[1]);
	EXPECT_EQ(N, got[0] + got[1]);
	for (d = 0; d < 2; d++)
		for (k = 0; k < got[d]; k++) {
			i = atoi(r[d][k].key + strlen("multi-"));
			ASSERT_TRUE(i >= 0 && i < N);
			EXPECT_FALSE(seen[i]) TH_LOG("%s read twice", r[d][k].key);
			seen[i] = true;
		}
	for (i = 0; i < N; i++) {
		ASSERT_TRUE(getter_join(&g[i], LD_WAIT_MS));
		EXPECT_EQ(0, g[i].ret);
		EXPECT_EQ(strlen(keys[i]), g[i].len);
		EXPECT_EQ(0, memcmp(g[i].val, keys[i], g[i].len));
	}
	close(ch2);
}

/*
 * 16 callers of one key: one request where the strategy deduplicates
 * (dedup 1 in /proc/cacheproxy/stats), 16 with spinlock.
 */
TEST_F(ld, burst_one_request)
{
	int dedup = cp_proc_dedup(CP_PROC_STATS), want, got, i;
	struct cacheproxy_stats st;
	struct getter g[LD_BURST];
	struct req r[LD_BURST + 1];
	long long end;

	ASSERT_LE(0, dedup) TH_LOG("dedup of %s: %s", CP_PROC_STATS,
				   strerror(-dedup));
	want = dedup ? 1 : LD_BURST;

	self->ch = attach(self->dev, CACHEPROXY_LOADER_NONBLOCK);
	ASSERT_LE(0, self->ch);
	for (i = 0; i < LD_BURST; i++)
		ASSERT_EQ(0, getter_start(&g[i], self->dev, "hot"));
	/* Every caller has missed before anything is answered. */
	end = cp_now_ms() + LD_WAIT_MS;
	do {
		usleep(1000);
		ASSERT_EQ(0, cp_dev_stats(self->dev, &st));
	} while (st.misses < LD_BURST && cp_now_ms() < end);
	ASSERT_EQ((__u64)LD_BURST, st.misses);
	got = read_reqs(self->ch, r, LD_BURST + 1, 300);
	EXPECT_EQ(want, got);
	for (i = 0; i < got; i++)
		EXPECT_LT(0, answer(self->ch, r[i].id, 0, "hotval", 6));
	for (i = 0; i < LD_BURST; i++) {
		ASSERT_TRUE(getter_join(&g[i], LD_WAIT_MS));
		EXPECT_EQ(0, g[i].ret);
	}
	ASSERT_EQ(0, cp_stats_quiet(self->dev, &st, LD_WAIT_MS));
	EXPECT_EQ((__u64)want, st.loads_started);
}

/* The source changed: the daemon invalidates, the next GET asks again. */
TEST_F(ld, daemon_invalidates)
{
	struct cacheproxy_key k = { .key = (uintptr_t)"row", .key_len = 3 };
	struct getter g;
	struct req r;
	char val[16];
	size_t len;

	self->ch = attach(self->dev, CACHEPROXY_LOADER_NONBLOCK);
	ASSERT_LE(0, self->ch);
	ASSERT_EQ(0, getter_start(&g, self->dev, "row"));
	ASSERT_EQ(1, read_reqs(self->ch, &r, 1, LD_WAIT_MS));
	EXPECT_LT(0, answer(self->ch, r.id, 0, "v1", 2));
	ASSERT_TRUE(getter_join(&g, LD_WAIT_MS));
	EXPECT_EQ(0, cp_dev_get(self->dev, "row", 3, val, sizeof(val), &len));
	EXPECT_EQ(0, memcmp(val, "v1", 2));
	ASSERT_EQ(0, ioctl(self->dev, CACHEPROXY_IOC_INVALIDATE, &k));
	ASSERT_EQ(0, getter_start(&g, self->dev, "row"));
	ASSERT_EQ(1, read_reqs(self->ch, &r, 1, LD_WAIT_MS));
	EXPECT_LT(0, answer(self->ch, r.id, 0, "v2", 2));
	ASSERT_TRUE(getter_join(&g, LD_WAIT_MS));
	EXPECT_EQ(0, g.ret);
	EXPECT_EQ(0, memcmp(g.val, "v2", 2));
}

/*
 * rmmod with a daemon attached and a /proc caller waiting is refused at
 * once and changes nothing; once the daemon is gone the caller gets
 * ENOTCONN and the module unloads.
 */
TEST_F(ld, unload_with_daemon)
{
	struct req r;
	int status, ret, err;
	long long t0;
	pid_t pid;

	self->ch = attach(self->dev, CACHEPROXY_LOADER_NONBLOCK);
	ASSERT_LE(0, self->ch);
	close(self->dev);
	self->dev = -1;
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int fd = open(CP_PROC_LOOKUP, O_RDWR | O_CLOEXEC);

		close(self->ch);
		errno = 0;
		if (fd >= 0 && write(fd, "held\n", 5) < 0)
			err = errno;
		else
			err = 0;
		_exit(err == ENOTCONN ? 0 : 1);
	}
	ASSERT_EQ(1, read_reqs(self->ch, &r, 1, LD_WAIT_MS));
	t0 = cp_now_ms();
	ret = syscall(SYS_delete_module, CP_MODULE, O_NONBLOCK);
	err = errno;
	EXPECT_EQ(-1, ret);
	EXPECT_TRUE(err == EWOULDBLOCK || err == EBUSY)
		TH_LOG("delete_module: %s", strerror(err));
	EXPECT_GT(LD_PROMPT_MS, cp_now_ms() - t0);
	EXPECT_EQ(0, waitpid(pid, &status, WNOHANG));

	close(self->ch);
	self->ch = -1;
	ASSERT_EQ(0, cp_wait_child(pid, LD_WAIT_MS, &status));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("the /proc caller did not get ENOTCONN: %#x", status);
	EXPECT_EQ(0, cp_unload(CP_MODULE, CP_UNLOAD_MS));
	self->loaded = false;
}

TEST_HARNESS_MAIN
