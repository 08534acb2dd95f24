// SPDX-License-Identifier: GPL-2.0
/*
 * kselftests of /proc/cacheproxy: lookup round trips and their errors, the
 * stats and entries files and the control file. Every test runs once per
 * strategy, on a module freshly loaded with it.
 */
#include "cacheproxy_selftest.h"
#include "kselftest_harness.h"

#define TEXT_SIZE	65536

/*
 * Writes @key (@len bytes) to a fresh open of the lookup file and reads the
 * answer from the same fd into @out, as `exec 3<>lookup; echo KEY >&3;
 * cat <&3` does. Returns 0, -errno of the open or the write, -EMSGSIZE for
 * a short write, or -EBADMSG when the answer is not one line.
 */
static int proc_lookup(const void *key, size_t len, char *out, size_t size)
{
	ssize_t n;
	int fd;

	fd = open(CP_PROC_LOOKUP, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, key, len);
	if (n < 0 || (size_t)n != len) {
		n = n < 0 ? -errno : -EMSGSIZE;
		close(fd);
		return n;
	}
	n = cp_read_fd(fd, out, size);
	close(fd);
	if (n < 0)
		return n;
	if (n == 0 || out[n - 1] != '\n' || strchr(out, '\n') != out + n - 1)
		return -EBADMSG;
	out[n - 1] = '\0';
	return 0;
}

/* Looks @key up through /proc; checks "KEY:N" and stores N. */
static int proc_get(const char *key, __u64 *seq)
{
	char out[TEXT_SIZE];
	int ret;

	*seq = 0;
	ret = proc_lookup(key, strlen(key), out, sizeof(out));
	if (ret)
		return ret;
	return cp_parse_value(key, strlen(key), out, strlen(out), seq);
}

/* Does @text hold a line equal to @line? */
static bool has_line(const char *text, const char *line)
{
	size_t len = strlen(line);
	const char *p = text;

	while (p && *p) {
		if (!strncmp(p, line, len) && (p[len] == '\n' || !p[len]))
			return true;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return false;
}

/* Does @text hold a line whose first word is @key? */
static bool has_key_line(const char *text, const char *key)
{
	size_t len = strlen(key);
	const char *p = text;

	while (p && *p) {
		if (!strncmp(p, key, len) &&
		    (p[len] == ' ' || p[len] == '\t' || p[len] == '\n'))
			return true;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return false;
}

/*
 * Reads /proc/cacheproxy/stats once no load is in flight (so every counter
 * of the loads already done is final). Returns 0 or -errno.
 */
static int stats_text(char *text, size_t size)
{
	long long end = cp_now_ms() + 5000;
	unsigned long long inflight;
	ssize_t n;
	int ret;

	for (;;) {
		n = cp_read_file(CP_PROC_STATS, text, size);
		if (n < 0)
			return n;
		ret = cp_stat_line(text, "inflight", &inflight);
		if (ret)
			return ret;
		if (!inflight || cp_now_ms() > end)
			return 0;
		usleep(1000);
	}
}

static unsigned long long stat_of(const char *text, const char *name)
{
	unsigned long long v = ~0ULL;

	cp_stat_line(text, name, &v);
	return v;
}

CP_LOADED_FIXTURE(proc);

TEST_F(proc, file_modes)
{
	static const struct {
		const char *path;
		mode_t mode;
	} files[] = {
		{ CP_PROC_LOOKUP, 0600 },
		{ CP_PROC_STATS, 0444 },
		{ CP_PROC_ENTRIES, 0400 },
		{ CP_PROC_CONTROL, 0200 },
	};
	struct stat st;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(files); i++) {
		ASSERT_EQ(0, stat(files[i].path, &st))
			TH_LOG("%s: %s", files[i].path, strerror(errno));
		EXPECT_TRUE(S_ISREG(st.st_mode)) TH_LOG("%s", files[i].path);
		EXPECT_EQ(files[i].mode, st.st_mode & 07777)
			TH_LOG("%s", files[i].path);
	}
}

TEST_F(proc, lookup_round_trip)
{
	char out[TEXT_SIZE];
	__u64 first, second, other;

	/* With the newline echo adds, then without. */
	ASSERT_EQ(0, proc_lookup("alpha\n", 6, out, sizeof(out)));
	ASSERT_EQ(0, cp_parse_value("alpha", 5, out, strlen(out), &first))
		TH_LOG("read '%s', want 'alpha:N'", out);
	ASSERT_EQ(0, proc_get("alpha", &second));
	EXPECT_EQ(first, second);
	ASSERT_EQ(0, proc_get("beta", &other));
	EXPECT_GT(other, second);
}

TEST_F(proc, lookup_errors)
{
	char out[TEXT_SIZE], key[CACHEPROXY_KEY_MAX + 2];
	__u64 seq;

	EXPECT_EQ(-ENOENT, proc_lookup("enoent-p\n", 9, out, sizeof(out)));
	EXPECT_EQ(-EIO, proc_lookup("eio-p\n", 6, out, sizeof(out)));
	EXPECT_EQ(-EINVAL, proc_lookup("\n", 1, out, sizeof(out)));
	EXPECT_EQ(-EINVAL, proc_lookup("a\0b", 3, out, sizeof(out)));
	EXPECT_EQ(-EINVAL, proc_lookup("a\nb", 3, out, sizeof(out)));
	memset(key, 'k', sizeof(key));
	EXPECT_EQ(-ENAMETOOLONG,
		  proc_lookup(key, CACHEPROXY_KEY_MAX + 1, out, sizeof(out)));

	/* The longest key works, and so does its value. */
	key[CACHEPROXY_KEY_MAX] = '\0';
	EXPECT_EQ(0, proc_get(key, &seq));
}

/* The keys proc.shared_file_reads_whole_values alternates between. */
#define TORN_SHORT	"t"
#define TORN_LONG	"torn-read-a-key-much-longer-than-the-other"
/*
 * The run goes on until the writer made TORN_WRITES writes and the reader
 * saw TORN_WHOLE whole answers (how the two interleave is the scheduler's
 * choice), or TORN_MAX_MS passed.
 */
#define TORN_WRITES	20000
#define TORN_WHOLE	1000
#define TORN_MAX_MS	60000

/* Is @buf (@n bytes) one whole answer "KEY:N\n" for one of the two keys? */
static bool torn_whole(const char *buf, ssize_t n)
{
	__u64 seq;

	if (n < 2 || buf[n - 1] != '\n')
		return false;
	return !cp_parse_value(TORN_SHORT, strlen(TORN_SHORT), buf, n - 1,
			       &seq) ||
	       !cp_parse_value(TORN_LONG, strlen(TORN_LONG), buf, n - 1, &seq);
}

/*
 * One open lookup file shared with a child that writes a short and a long
 * key in turn: every read() of the parent returns one whole answer or
 * nothing, never the tail of a value read from where an older one ended.
 */
TEST_F_TIMEOUT(proc, shared_file_reads_whole_values, 240)
{
	long whole = 0, empty = 0, torn = 0;
	int fd, status = -1;
	long long end;
	char buf[TEXT_SIZE];
	long *shared;
	ssize_t n;
	pid_t pid;

	/* shared[0]: writes made; shared[1]: set by the parent to stop. */
	shared = mmap(NULL, 2 * sizeof(long), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(shared != MAP_FAILED);
	fd = open(CP_PROC_LOOKUP, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		long i;

		for (i = 0; !__atomic_load_n(&shared[1], __ATOMIC_RELAXED); i++) {
			const char *k = i & 1 ? TORN_LONG : TORN_SHORT;

			if (write(fd, k, strlen(k)) != (ssize_t)strlen(k))
				_exit(1);
			__atomic_store_n(&shared[0], i + 1, __ATOMIC_RELAXED);
		}
		_exit(0);
	}
	end = cp_now_ms() + TORN_MAX_MS;
	while (cp_now_ms() < end &&
	       (whole < TORN_WHOLE ||
		__atomic_load_n(&shared[0], __ATOMIC_RELAXED) < TORN_WRITES)) {
		n = read(fd, buf, sizeof(buf) - 1);
		if (n < 0) {
			EXPECT_EQ(0, -errno) TH_LOG("read: %s", strerror(errno));
			break;
		}
		if (!n) {
			empty++;
			continue;
		}
		buf[n] = '\0';
		if (torn_whole(buf, n)) {
			whole++;
		} else if (torn++ < 3) {
			TH_LOG("read %zd bytes: '%s'", n, buf);
		}
	}
	__atomic_store_n(&shared[1], 1, __ATOMIC_RELAXED);
	EXPECT_EQ(pid, waitpid(pid, &status, 0));
	close(fd);
	TH_LOG("%ld writes: %ld whole answers read, %ld empty reads, %ld torn",
	       shared[0], whole, empty, torn);
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("the writer failed");
	EXPECT_EQ(0, torn);
	/* Reads ran beside the writes, or the test proved nothing. */
	EXPECT_LE(TORN_WHOLE, whole);
	EXPECT_LE(TORN_WRITES, shared[0]);
	munmap(shared, 2 * sizeof(long));
}

TEST_F(proc, stats_names)
{
	static char text[TEXT_SIZE];
	char expect[64], a[128], b[128], c;
	unsigned long long v;
	char *line, *save;
	const char *d;
	size_t i;

	ASSERT_LT(0, cp_read_file(CP_PROC_STATS, text, sizeof(text)));
	snprintf(expect, sizeof(expect), "strategy %s", variant->strategy);
	EXPECT_TRUE(has_line(text, expect)) TH_LOG("no '%s' in:\n%s", expect, text);
	/* Right after it "dedup 0" or "dedup 1" (the burst tests check which). */
	snprintf(expect, sizeof(expect), "strategy %s\ndedup ",
		 variant->strategy);
	d = strstr(text, expect);
	if (d)
		d += strlen(expect);
	EXPECT_TRUE(d && (*d == '0' || *d == '1') && d[1] == '\n')
		TH_LOG("no 'dedup 0|1' after the strategy in:\n%s", text);
	for (i = 0; i < cp_nr_counters; i++) {
		const char *name = cp_counters[i].name;

		EXPECT_EQ(0, cp_stat_line(text, name, &v))
			TH_LOG("no line '%s VALUE' in:\n%s", name, text);
	}
	/* Every line is "name value". */
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		EXPECT_EQ(2, sscanf(line, "%127s %127s %c", a, b, &c))
			TH_LOG("line '%s'", line);
	}
}

/*
 * The histogram's lines: exactly CACHEPROXY_LAT_BUCKETS of them,
 * "lat_ns_log2_I N" with I = 0, 1, ... in order and N a decimal; every
 * lookup done (values, hits, failed loads) is in one bucket (CP_PARAMS
 * sets lat_sample=1: every lookup timed), so once nothing is in flight
 * they add up to lookups.
 */
TEST_F(proc, stats_latency_lines)
{
	static const char prefix[] = "lat_ns_log2_";
	static char text[TEXT_SIZE];
	unsigned long long v, sum = 0, lookups;
	char out[TEXT_SIZE], name[32];
	unsigned int i, n = 0;
	char *line, *save;
	__u64 seq;

	ASSERT_EQ(0, proc_get("lat-1", &seq));
	ASSERT_EQ(0, proc_get("lat-1", &seq));
	ASSERT_EQ(0, proc_get("lat-2", &seq));
	ASSERT_EQ(-ENOENT, proc_lookup("enoent-lat", 10, out, sizeof(out)));
	ASSERT_EQ(-EIO, proc_lookup("eio-lat", 7, out, sizeof(out)));
	ASSERT_EQ(0, stats_text(text, sizeof(text)));
	ASSERT_EQ(0ULL, stat_of(text, "inflight"));
	lookups = stat_of(text, "lookups");
	ASSERT_EQ(5ULL, lookups) TH_LOG("stats:\n%s", text);

	/* Each bucket by its name: present and a number. */
	for (i = 0; i < CACHEPROXY_LAT_BUCKETS; i++) {
		snprintf(name, sizeof(name), "%s%u", prefix, i);
		ASSERT_EQ(0, cp_stat_line(text, name, &v))
			TH_LOG("no line '%s N' in:\n%s", name, text);
		sum += v;
	}
	EXPECT_EQ(lookups, sum) TH_LOG("stats:\n%s", text);

	/* And no other: the histogram lines are exactly those, in order. */
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, prefix, sizeof(prefix) - 1))
			continue;
		snprintf(name, sizeof(name), "%s%u ", prefix, n);
		EXPECT_EQ(0, strncmp(line, name, strlen(name)))
			TH_LOG("histogram line %u is '%s'", n, line);
		n++;
	}
	EXPECT_EQ((unsigned int)CACHEPROXY_LAT_BUCKETS, n);
}

TEST_F(proc, stats_deltas)
{
	static char t0[TEXT_SIZE], t1[TEXT_SIZE], t2[TEXT_SIZE], t3[TEXT_SIZE];
	char out[TEXT_SIZE];
	__u64 seq;

	ASSERT_EQ(0, stats_text(t0, sizeof(t0)));
	ASSERT_EQ(0, proc_get("sd", &seq));
	ASSERT_EQ(0, stats_text(t1, sizeof(t1)));
	ASSERT_EQ(0, proc_get("sd", &seq));
	ASSERT_EQ(0, stats_text(t2, sizeof(t2)));
	ASSERT_EQ(-ENOENT, proc_lookup("enoent-sd", 9, out, sizeof(out)));
	ASSERT_EQ(0, stats_text(t3, sizeof(t3)));

	/* A miss. */
	EXPECT_EQ(stat_of(t0, "lookups") + 1, stat_of(t1, "lookups"));
	EXPECT_EQ(stat_of(t0, "misses") + 1, stat_of(t1, "misses"));
	EXPECT_EQ(stat_of(t0, "hits"), stat_of(t1, "hits"));
	EXPECT_EQ(stat_of(t0, "loads_started") + 1, stat_of(t1, "loads_started"));
	EXPECT_EQ(stat_of(t0, "loads_ok") + 1, stat_of(t1, "loads_ok"));
	EXPECT_EQ(stat_of(t0, "entries") + 1, stat_of(t1, "entries"));
	EXPECT_EQ(0ULL, stat_of(t1, "inflight"));
	/* A hit. */
	EXPECT_EQ(stat_of(t1, "lookups") + 1, stat_of(t2, "lookups"));
	EXPECT_EQ(stat_of(t1, "hits") + 1, stat_of(t2, "hits"));
	EXPECT_EQ(stat_of(t1, "misses"), stat_of(t2, "misses"));
	EXPECT_EQ(stat_of(t1, "loads_started"), stat_of(t2, "loads_started"));
	/* A failed load. */
	EXPECT_EQ(stat_of(t2, "loads_started") + 1, stat_of(t3, "loads_started"));
	EXPECT_EQ(stat_of(t2, "loads_failed") + 1, stat_of(t3, "loads_failed"));
	EXPECT_EQ(stat_of(t2, "loads_ok"), stat_of(t3, "loads_ok"));
}

TEST_F(proc, entries_lists_keys)
{
	static char text[TEXT_SIZE];
	__u64 seq;

	ASSERT_EQ(0, proc_get("ent-a", &seq));
	ASSERT_EQ(0, proc_get("ent-b", &seq));
	ASSERT_LE(0, cp_read_file(CP_PROC_ENTRIES, text, sizeof(text)));
	EXPECT_TRUE(has_key_line(text, "ent-a")) TH_LOG("entries:\n%s", text);
	EXPECT_TRUE(has_key_line(text, "ent-b")) TH_LOG("entries:\n%s", text);
	EXPECT_FALSE(has_key_line(text, "ent-c")) TH_LOG("entries:\n%s", text);

	ASSERT_EQ(0, cp_control("invalidate ent-a\n"));
	ASSERT_LE(0, cp_read_file(CP_PROC_ENTRIES, text, sizeof(text)));
	EXPECT_FALSE(has_key_line(text, "ent-a")) TH_LOG("entries:\n%s", text);
	EXPECT_TRUE(has_key_line(text, "ent-b")) TH_LOG("entries:\n%s", text);
}

TEST_F(proc, control_flush)
{
	static char text[TEXT_SIZE];
	__u64 a, b, again;

	ASSERT_EQ(0, proc_get("cf-1", &a));
	ASSERT_EQ(0, proc_get("cf-2", &b));
	ASSERT_EQ(0, cp_control("flush\n"));
	ASSERT_EQ(0, stats_text(text, sizeof(text)));
	EXPECT_EQ(0ULL, stat_of(text, "entries"));
	ASSERT_LE(0, cp_read_file(CP_PROC_ENTRIES, text, sizeof(text)));
	EXPECT_FALSE(has_key_line(text, "cf-1")) TH_LOG("entries:\n%s", text);
	ASSERT_EQ(0, proc_get("cf-1", &again));
	EXPECT_GT(again, b);
}

TEST_F(proc, control_invalidate)
{
	__u64 a, b, a2, b2;

	ASSERT_EQ(0, proc_get("ci-1", &a));
	ASSERT_EQ(0, proc_get("ci-2", &b));
	ASSERT_EQ(0, cp_control("invalidate ci-1"));
	ASSERT_EQ(0, proc_get("ci-1", &a2));
	ASSERT_EQ(0, proc_get("ci-2", &b2));
	EXPECT_GT(a2, b);
	EXPECT_EQ(b, b2);
	/* A key that is not cached: nothing to do, not an error. */
	EXPECT_EQ(0, cp_control("invalidate ci-none\n"));
}

TEST_F(proc, control_reset_stats)
{
	static char text[TEXT_SIZE];
	__u64 a, b;

	ASSERT_EQ(0, proc_get("cr", &a));
	ASSERT_EQ(0, proc_get("cr", &b));
	ASSERT_EQ(0, stats_text(text, sizeof(text)));
	ASSERT_LE(2ULL, stat_of(text, "lookups"));
	ASSERT_EQ(0, cp_control("reset-stats\n"));
	ASSERT_EQ(0, stats_text(text, sizeof(text)));
	EXPECT_EQ(0ULL, stat_of(text, "lookups"));
	EXPECT_EQ(0ULL, stat_of(text, "hits"));
	EXPECT_EQ(0ULL, stat_of(text, "misses"));
	EXPECT_EQ(0ULL, stat_of(text, "loads_started"));
	/* The cache itself is kept. */
	ASSERT_EQ(0, proc_get("cr", &b));
	EXPECT_EQ(a, b);
	ASSERT_EQ(0, stats_text(text, sizeof(text)));
	EXPECT_EQ(1ULL, stat_of(text, "hits"));
}

TEST_F(proc, control_rejects)
{
	static const char * const bad[] = {
		"bogus", "\n", "FLUSH", "flush now", "flushx", "reset-stats now",
		"reset", "invalidate", "invalidate\n", "invalidate \n",
	};
	__u64 a, b;
	size_t i;

	ASSERT_EQ(0, proc_get("kept", &a));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, cp_control(bad[i]))
			TH_LOG("command '%s'", bad[i]);
	}
	/* None of them flushed. */
	ASSERT_EQ(0, proc_get("kept", &b));
	EXPECT_EQ(a, b);
}

TEST_HARNESS_MAIN
