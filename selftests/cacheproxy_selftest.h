/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the cacheproxy kselftests: loading and unloading the
 * module, /proc files, the misc device and the value contract. They return
 * 0 or -errno and leave the verdicts to the tests' ASSERT/EXPECT.
 */
#ifndef _CACHEPROXY_SELFTEST_H
#define _CACHEPROXY_SELFTEST_H

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/cacheproxy.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#endif

#define CP_MODULE		"cacheproxy"
#define CP_KUNIT_MODULE		"cacheproxy_kunit"
#define CP_KO_DEFAULT		"/opt/cacheproxy/cacheproxy.ko"
#define CP_DEV			"/dev/cacheproxy"
#define CP_PROC			"/proc/cacheproxy/"
#define CP_PROC_LOOKUP		CP_PROC "lookup"
#define CP_PROC_STATS		CP_PROC "stats"
#define CP_PROC_ENTRIES		CP_PROC "entries"
#define CP_PROC_CONTROL		CP_PROC "control"

/*
 * Small, fast settings; lifetimes long enough never to expire in a test;
 * every lookup timed for the latency histogram (the tests count them).
 */
#define CP_PARAMS \
	"capacity=64 ttl_ms=600000 neg_ttl_ms=600000 load_delay_us=10 " \
	"slow_load_ms=2000 loader_max_active=16 shards=4 lat_sample=1"

/*
 * How long a caller killed while it waits for a load may take to be reaped
 * (SIGKILL to waitpid()), one waiting thread per process; also how long a
 * handled signal may take to end a wait. Measured on the debug guest
 * kernel (QEMU TCG, KASAN, lockdep): 8-61 ms over 36 kills (default
 * kernel: 1-13 ms). The bound, over 6 times that, is far below any load
 * it is used with (2 s, 60 s), and tight enough that a wait noticing the
 * signal only by polling once a second passes a kill in 40 % of the cases
 * at best: the tests kill several waiters in a row.
 */
#define CP_REAP_MAX_MS		400

/* How long unloading may be refused while loads drain. */
#define CP_UNLOAD_MS		10000

/* The counters of struct cacheproxy_stats, named as its fields. */
#define CP_COUNTER(name) { #name, offsetof(struct cacheproxy_stats, name) }
static const struct {
	const char *name;
	size_t offset;
} cp_counters[] = {
	CP_COUNTER(lookups), CP_COUNTER(hits), CP_COUNTER(misses),
	CP_COUNTER(loads_started), CP_COUNTER(loads_ok),
	CP_COUNTER(loads_failed), CP_COUNTER(coalesced),
	CP_COUNTER(evictions), CP_COUNTER(expirations),
	CP_COUNTER(invalidations), CP_COUNTER(entries), CP_COUNTER(inflight),
	CP_COUNTER(nomem), CP_COUNTER(refused), CP_COUNTER(bytes),
};

#define CP_NR_COUNTERS	ARRAY_SIZE(cp_counters)

static inline __u64 cp_counter(const struct cacheproxy_stats *st, size_t i)
{
	__u64 v;

	memcpy(&v, (const char *)st + cp_counters[i].offset, sizeof(v));
	return v;
}

static inline long long cp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static inline const char *cp_ko_path(void)
{
	const char *path = getenv("CACHEPROXY_KO");

	return path && *path ? path : CP_KO_DEFAULT;
}

/* Is a module of that name in /proc/modules (in any state)? */
static inline bool cp_module_present(const char *name)
{
	size_t len = strlen(name);
	char line[512];
	bool found = false;
	FILE *f;

	f = fopen("/proc/modules", "r");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, name, len) && line[len] == ' ';
	fclose(f);
	return found;
}

/*
 * Keeps the calling thread on the CPU it runs on (per-CPU counts): that
 * CPU, or -errno when the thread may not be pinned there.
 */
static inline int cp_pin_to_this_cpu(void)
{
	int cpu = sched_getcpu();
	cpu_set_t one;

	if (cpu < 0)
		return -errno;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	if (sched_setaffinity(0, sizeof(one), &one))
		return -errno;
	return cpu;
}

/*
 * Unloads @name, retrying while it is busy for up to @ms. Returns 0, or
 * -errno of the last attempt (-ENOENT when it was not loaded).
 */
static inline int cp_unload(const char *name, int ms)
{
	long long end = cp_now_ms() + ms;

	for (;;) {
		if (!syscall(SYS_delete_module, name, O_NONBLOCK))
			return 0;
		if ((errno != EAGAIN && errno != EBUSY) || cp_now_ms() > end)
			return -errno;
		usleep(10000);
	}
}

/* finit_module() of $CACHEPROXY_KO with @params. Returns 0 or -errno. */
static inline int cp_load(const char *params)
{
	int fd, ret, err;

	fd = open(cp_ko_path(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params, 0);
	err = errno;
	close(fd);
	return ret ? -err : 0;
}

/*
 * Why the module tests cannot run here, or NULL. They need root and the
 * module file.
 */
static inline const char *cp_cannot_run(void)
{
	static char why[256];

	if (geteuid()) {
		snprintf(why, sizeof(why), "loading modules needs root");
		return why;
	}
	if (access(cp_ko_path(), R_OK)) {
		snprintf(why, sizeof(why), "%s: %s (set CACHEPROXY_KO)",
			 cp_ko_path(), strerror(errno));
		return why;
	}
	return NULL;
}

/*
 * Unloads whatever instance is there (and the KUnit module that would pin
 * it), then loads the module with strategy @strategy and CP_PARAMS plus
 * @extra. Returns 0 or -errno of the step that failed, named in @step.
 */
static inline int cp_reload(const char *strategy, const char *extra,
			    const char **step)
{
	char params[512];
	int ret;

	*step = "unload " CP_KUNIT_MODULE;
	ret = cp_unload(CP_KUNIT_MODULE, CP_UNLOAD_MS);
	if (ret && ret != -ENOENT)
		return ret;
	*step = "unload " CP_MODULE;
	ret = cp_unload(CP_MODULE, CP_UNLOAD_MS);
	if (ret && ret != -ENOENT)
		return ret;
	*step = "finit_module";
	snprintf(params, sizeof(params), "strategy=%s %s %s", strategy,
		 CP_PARAMS, extra ? extra : "");
	return cp_load(params);
}

/* Whole file into @buf (NUL-terminated). Returns its length or -errno. */
static inline ssize_t cp_read_file(const char *path, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (len + 1 < size) {
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0) {
			n = -errno;
			close(fd);
			return n;
		}
		if (!n)
			break;
		len += n;
	}
	buf[len] = '\0';
	close(fd);
	return len;
}

/* One write of @len bytes to @path. Returns 0 or -errno. */
static inline int cp_write_file(const char *path, const void *data,
				size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, data, len);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return n;
	return (size_t)n == len ? 0 : -EIO;
}

static inline int cp_control(const char *cmd)
{
	return cp_write_file(CP_PROC_CONTROL, cmd, strlen(cmd));
}

/*
 * True when @val (@len bytes, not NUL-terminated) is "@key:N" with N a
 * decimal >= 1 without leading zeros; N goes to @seq.
 */
static inline bool cp_parse_value(const char *key, size_t key_len,
				  const char *val, size_t len, __u64 *seq)
{
	__u64 n = 0;
	size_t i;

	if (len <= key_len + 1 || memcmp(val, key, key_len) ||
	    val[key_len] != ':' || val[key_len + 1] == '0')
		return false;
	for (i = key_len + 1; i < len; i++) {
		if (!isdigit((unsigned char)val[i]) || n > ((~(__u64)0) - 9) / 10)
			return false;
		n = n * 10 + (val[i] - '0');
	}
	*seq = n;
	return true;
}

/* CACHEPROXY_IOC_GET. Returns 0 or -errno; *@len gets value_len. */
static inline int cp_get(int dev, const char *key, size_t key_len, char *val,
			 size_t size, size_t *len)
{
	struct cacheproxy_get get = {
		.key = (uintptr_t)key,
		.value = (uintptr_t)val,
		.key_len = key_len,
		.value_size = size,
		.value_len = UINT32_MAX,
	};
	int ret;

	ret = ioctl(dev, CACHEPROXY_IOC_GET, &get);
	*len = get.value_len;
	return ret ? -errno : 0;
}

/*
 * GET of a NUL-terminated @key with a buffer for any value; on success
 * checks the value is "@key:N" (-EBADMSG otherwise) and stores N in @seq.
 */
static inline int cp_get_seq(int dev, const char *key, __u64 *seq)
{
	char val[CACHEPROXY_VALUE_MAX + 1];
	size_t len;
	int ret;

	*seq = 0;
	ret = cp_get(dev, key, strlen(key), val, sizeof(val), &len);
	if (ret)
		return ret;
	if (len > CACHEPROXY_VALUE_MAX ||
	    !cp_parse_value(key, strlen(key), val, len, seq))
		return -EBADMSG;
	return 0;
}

static inline int cp_stats(int dev, struct cacheproxy_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	return ioctl(dev, CACHEPROXY_IOC_STATS, st) ? -errno : 0;
}

/*
 * The counters once no load is in flight, waiting up to @ms for that (then
 * the last reading, in flight or not). Returns 0 or -errno.
 */
static inline int cp_stats_quiet(int dev, struct cacheproxy_stats *st, int ms)
{
	long long end = cp_now_ms() + ms;
	int ret;

	for (;;) {
		ret = cp_stats(dev, st);
		if (ret || !st->inflight || cp_now_ms() > end)
			return ret;
		usleep(1000);
	}
}

/* A GET of @key through a device opened for it. Returns 0 or -errno. */
static inline int cp_module_answers(const char *key)
{
	__u64 seq;
	int dev, ret;

	dev = open(CP_DEV, O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return -errno;
	ret = cp_get_seq(dev, key, &seq);
	close(dev);
	return ret;
}

/*
 * Finds the line "@name VALUE" of a /proc stats text and parses VALUE as a
 * decimal. Returns 0, -ENOENT without such a line, -EINVAL for a bad value.
 */
static inline int cp_stat_line(const char *text, const char *name,
			       unsigned long long *v)
{
	size_t len = strlen(name);
	const char *line = text;
	char *end;

	while (line && *line) {
		if (!strncmp(line, name, len) && line[len] == ' ') {
			if (!isdigit((unsigned char)line[len + 1]))
				return -EINVAL;
			errno = 0;
			*v = strtoull(line + len + 1, &end, 10);
			if (errno || (*end != '\n' && *end != '\0'))
				return -EINVAL;
			return 0;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return -ENOENT;
}

/*
 * One counter of /proc/cacheproxy/stats, which (unlike the device) does
 * not pin the module. Returns 0, -errno of the read, or cp_stat_line()'s
 * -ENOENT / -EINVAL.
 */
static inline int cp_proc_stat(const char *name, unsigned long long *v)
{
	char text[8192];
	ssize_t n;

	n = cp_read_file(CP_PROC_STATS, text, sizeof(text));
	if (n < 0)
		return n;
	return cp_stat_line(text, name, v);
}

/*
 * Whether the loaded strategy shares one load among concurrent misses of a
 * key: the "dedup" line of /proc/cacheproxy/stats. Returns 1, 0, -EINVAL
 * for another value, or cp_proc_stat()'s negative errno. Tests derive
 * their loads per burst from it, so a wrong line fails them.
 */
static inline int cp_dedup(void)
{
	unsigned long long v = 0;
	int ret = cp_proc_stat("dedup", &v);

	if (ret)
		return ret;
	return v > 1 ? -EINVAL : (int)v;
}

/*
 * Reaps child @pid, waiting up to @ms. Returns 0 with its wait status in
 * *@status, -ETIMEDOUT if it is still running, or -errno of waitpid().
 */
static inline int cp_wait_child(pid_t pid, int ms, int *status)
{
	long long end = cp_now_ms() + ms;
	pid_t ret;

	for (;;) {
		ret = waitpid(pid, status, WNOHANG);
		if (ret == pid)
			return 0;
		if (ret < 0)
			return -errno;
		if (cp_now_ms() > end)
			return -ETIMEDOUT;
		usleep(1000);
	}
}

/*
 * The four strategies as variants of fixture @f: every TEST_F(f, ...) runs
 * once per strategy, which it finds in variant->strategy.
 */
#define CP_STRATEGY_VARIANTS(f)						\
	FIXTURE_VARIANT(f) {						\
		const char *strategy;					\
	};								\
	FIXTURE_VARIANT_ADD(f, spinlock) {				\
		.strategy = "spinlock",					\
	};								\
	FIXTURE_VARIANT_ADD(f, kthread) {				\
		.strategy = "kthread",					\
	};								\
	FIXTURE_VARIANT_ADD(f, shard) {					\
		.strategy = "shard",					\
	};								\
	FIXTURE_VARIANT_ADD(f, singleflight) {				\
		.strategy = "singleflight",				\
	}

/*
 * Fixture @f: the module loaded with the variant's strategy (and
 * CP_PARAMS) before each test, unloaded after it; the unload must succeed.
 * Skips when the tests cannot run here (cp_cannot_run()).
 */
#define CP_LOADED_FIXTURE(f)						\
	FIXTURE(f) {							\
		bool loaded;						\
	};								\
	CP_STRATEGY_VARIANTS(f);					\
	FIXTURE_SETUP(f)						\
	{								\
		const char *why = cp_cannot_run();			\
		const char *step;					\
		int ret;						\
									\
		if (why)						\
			SKIP(return, "%s", why);			\
		ret = cp_reload(variant->strategy, NULL, &step);	\
		ASSERT_EQ(0, ret) TH_LOG("%s: %s", step, strerror(-ret)); \
		self->loaded = true;					\
	}								\
	FIXTURE_TEARDOWN(f)						\
	{								\
		int ret;						\
									\
		if (!self->loaded)					\
			return;						\
		ret = cp_unload(CP_MODULE, CP_UNLOAD_MS);		\
		EXPECT_EQ(0, ret) TH_LOG("unload: %s", strerror(-ret)); \
	}

#endif /* _CACHEPROXY_SELFTEST_H */
