// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side unit checks of the parts of cacheproxy-stress that need no
 * module: the histogram, answer verification (the synthetic loader's
 * contract and --expect FILE), the Zipf sampler, option parsing, the
 * memcached client against canned answers over a socketpair, and what of
 * libcacheproxy needs no module (the value parser, the stats lines, the
 * counter and strategy lists, the PRNG's bounds).
 * Prints one line per failure and "unit-test: N checks, M failed".
 * Exit status: 0 all passed, 1 a check failed.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <linux/cacheproxy.h>

#include "counters.h"
#include "expect.h"
#include "hist.h"
#include "keygen.h"
#include "memcached.h"
#include "options.h"
#include "procfs.h"
#include "rng.h"
#include "strategies.h"
#include "verify.h"

static unsigned int checks, failed;

#define CHECK(cond) do {						\
	checks++;							\
	if (!(cond)) {							\
		failed++;						\
		printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);	\
	}								\
} while (0)

static void test_hist(void)
{
	static struct cp_hist h, h2;
	uint64_t v, prev_high = 0;
	unsigned int i;

	/* buckets tile the u64 range without gaps or overlaps */
	for (i = 0; i < CP_HIST_BUCKETS; i++) {
		CHECK(cp_hist_bucket_low(i) == (i ? prev_high + 1 : 0));
		CHECK(cp_hist_index(cp_hist_bucket_low(i)) == i);
		CHECK(cp_hist_index(cp_hist_bucket_high(i)) == i);
		prev_high = cp_hist_bucket_high(i);
		if (failed)
			return;
	}
	CHECK(prev_high == UINT64_MAX);
	CHECK(cp_hist_index(UINT64_MAX) == CP_HIST_BUCKETS - 1);
	/* relative error within 1/16 */
	for (v = 16; v < (1ULL << 62); v = v * 3 + 7) {
		i = cp_hist_index(v);
		CHECK(cp_hist_bucket_high(i) - cp_hist_bucket_low(i) <=
		      cp_hist_bucket_low(i) / 16);
	}

	cp_hist_init(&h);
	CHECK(cp_hist_percentile(&h, 50) == 0);
	for (v = 1; v <= 1000; v++)
		cp_hist_add(&h, v * 1000);
	CHECK(h.count == 1000 && h.min == 1000 && h.max == 1000000);
	v = cp_hist_percentile(&h, 50);
	CHECK(v >= 500000 && v <= 500000 + 500000 / 16);
	v = cp_hist_percentile(&h, 99);
	CHECK(v >= 990000 && v <= 1000000);
	v = cp_hist_percentile(&h, 99.9);
	CHECK(v >= 999000 && v <= 1000000);
	CHECK(cp_hist_percentile(&h, 100) == 1000000);
	CHECK(cp_hist_percentile(&h, 0) >= 1000 &&
	      cp_hist_percentile(&h, 0) < 1000 + 1000 / 16 + 1);

	cp_hist_init(&h2);
	cp_hist_add(&h2, 5);
	cp_hist_add(&h2, 5000000);
	cp_hist_merge(&h, &h2);
	CHECK(h.count == 1002 && h.min == 5 && h.max == 5000000);
	CHECK(cp_hist_percentile(&h, 100) == 5000000);
}

static int verdict(const char *key, int err, const char *val, uint64_t *n)
{
	return cp_verify_answer(key, strlen(key), err, val,
				val ? strlen(val) : 0, n);
}

static void test_verify(void)
{
	uint64_t n;

	CHECK(verdict("k1", 0, "k1:1", &n) == CP_ANSWER_OK && n == 1);
	CHECK(verdict("k1", 0, "k1:18446744073709551615", &n) ==
	      CP_ANSWER_OK && n == UINT64_MAX);
	CHECK(verdict("k1", 0, "k1:18446744073709551616", &n) ==
	      CP_ANSWER_WRONG && n == 0);
	CHECK(verdict("k1", 0, "k1:0", &n) == CP_ANSWER_WRONG);
	CHECK(verdict("k1", 0, "k1:01", &n) == CP_ANSWER_WRONG);
	CHECK(verdict("k1", 0, "k1:", &n) == CP_ANSWER_WRONG);
	CHECK(verdict("k1", 0, "k1:12a", &n) == CP_ANSWER_WRONG);
	CHECK(verdict("k1", 0, "k1:-1", &n) == CP_ANSWER_WRONG);
	CHECK(verdict("k1", 0, "k1:1\n", &n) == CP_ANSWER_WRONG);
	CHECK(verdict("k1", 0, "k2:1", &n) == CP_ANSWER_WRONG);
	CHECK(verdict("k1", 0, "k10:1", &n) == CP_ANSWER_WRONG);
	CHECK(verdict("k10", 0, "k1:01", &n) == CP_ANSWER_WRONG);
	CHECK(verdict("k1", 0, "", &n) == CP_ANSWER_WRONG);
	CHECK(verdict("k1", 0, "k1", &n) == CP_ANSWER_WRONG);
	CHECK(verdict("a:b", 0, "a:b:7", &n) == CP_ANSWER_OK && n == 7);
	CHECK(verdict("k1", ENOENT, NULL, &n) == CP_ANSWER_WRONG);
	CHECK(verdict("k1", EIO, NULL, &n) == CP_ANSWER_WRONG);
	CHECK(verdict("k1", ENOMEM, NULL, &n) == CP_ANSWER_ERROR);
	CHECK(verdict("enoent-1", ENOENT, NULL, &n) ==
	      CP_ANSWER_EXPECTED_ERR);
	CHECK(verdict("enoent-1", 0, "enoent-1:3", &n) == CP_ANSWER_WRONG);
	CHECK(verdict("enoent-1", EIO, NULL, &n) == CP_ANSWER_WRONG);
	CHECK(verdict("eio-1", EIO, NULL, &n) == CP_ANSWER_EXPECTED_ERR);
	CHECK(verdict("eio-1", ENOENT, NULL, &n) == CP_ANSWER_WRONG);
	CHECK(verdict("eio-1", EINTR, NULL, &n) == CP_ANSWER_ERROR);
	CHECK(verdict("slow-1", 0, "slow-1:9", &n) == CP_ANSWER_OK);
	CHECK(verdict("xenoent-1", 0, "xenoent-1:9", &n) == CP_ANSWER_OK);
	CHECK(cp_key_expected_errno("enoent", 6) == 0);
	CHECK(cp_key_expected_errno("enoent-", 7) == ENOENT);
}

/* libcacheproxy's parts that need no module. */
static void test_lib(void)
{
	static const char text[] = "strategy x\ndedup 1\nlookups 12\n"
				   "hitsx 3\nhits 7\nbad x\n"
				   "big 99999999999999999999\n";
	struct cacheproxy_stats st = { .lookups = 5, .bytes = 9 };
	unsigned long long v = 0;
	size_t next = offsetof(struct cacheproxy_stats, lookups);
	struct cp_rng r;
	unsigned int i, j;
	__u64 n = 1;

	/* One parser, one convention: 0, or -EBADMSG with N zeroed. */
	CHECK(cp_parse_value("k", 1, "k:42", 4, &n) == 0 && n == 42);
	CHECK(cp_parse_value("k", 1, "k:042", 5, &n) == -EBADMSG && n == 0);
	CHECK(cp_parse_value("k", 1, "j:1", 3, &n) == -EBADMSG);

	CHECK(cp_stat_line(text, "hits", &v) == 0 && v == 7);
	CHECK(cp_stat_line(text, "dedup", &v) == 0 && v == 1);
	CHECK(cp_stat_line(text, "strategy", &v) == -EINVAL);
	CHECK(cp_stat_line(text, "bad", &v) == -EINVAL);
	CHECK(cp_stat_line(text, "big", &v) == -EINVAL);
	CHECK(cp_stat_line(text, "misses", &v) == -ENODATA);

	/*
	 * The counters: every __u64 from lookups to inflight, then nomem,
	 * refused and bytes, in the struct's order, none twice.
	 */
	/* a new STATS version must be looked at here (and in the table) */
	_Static_assert(CACHEPROXY_STATS_VERSION == 5, "STATS version changed");
	CHECK(cp_nr_counters == 15);
	for (i = 0; i < cp_nr_counters; i++) {
		if (!strcmp(cp_counters[i].name, "nomem"))
			next = offsetof(struct cacheproxy_stats, nomem);
		CHECK(cp_counters[i].offset == next);
		next += sizeof(__u64);
		/* the STATS version that added each (the UAPI's history) */
		CHECK(cp_counters[i].version ==
		      (!strcmp(cp_counters[i].name, "nomem") ? 2 :
		       !strcmp(cp_counters[i].name, "refused") ? 3 :
		       !strcmp(cp_counters[i].name, "bytes") ? 4 : 1));
	}
	CHECK(next == offsetof(struct cacheproxy_stats, lat_sample));
	/* after the counters only lat_sample and reserved, as of version 5 */
	CHECK(sizeof(struct cacheproxy_stats) ==
	      offsetof(struct cacheproxy_stats, reserved) + sizeof(__u32));
	CHECK(cp_counter_value(&st, 0) == 5 &&
	      !strcmp(cp_counters[0].name, "lookups"));
	CHECK(cp_counter_value(&st, cp_nr_counters - 1) == 9 &&
	      cp_counters[cp_nr_counters - 1].gauge);

	for (i = 0; i < CP_NR_STRATEGIES; i++) {
		CHECK(cp_strategy_names[i] && *cp_strategy_names[i] &&
		      strlen(cp_strategy_names[i]) < CACHEPROXY_STRATEGY_LEN);
		for (j = 0; j < i; j++)
			CHECK(strcmp(cp_strategy_names[i],
				     cp_strategy_names[j]));
	}

	cp_rng_seed(&r, 1, 0);
	CHECK(cp_rng_below(&r, 0) == 0);
	CHECK(cp_rng_below(&r, 1) == 0);
	for (i = 0; i < 1000; i++) {
		CHECK(cp_rng_below(&r, 3) < 3);
		CHECK(cp_rng_below(&r, UINT64_MAX) < UINT64_MAX);
	}
}

/* cp_expect_parse() of a copy of @text; @err gets its message. */
static struct cp_expect *expect_text(const char *text, char *err,
				     size_t err_size)
{
	err[0] = '\0';
	return cp_expect_parse(strdup(text), strlen(text), "F", err, err_size);
}

/* The one-line error of @text starts with @msg. */
static bool expect_bad(const char *text, const char *msg)
{
	struct cp_expect *e;
	char err[256];

	e = expect_text(text, err, sizeof(err));
	cp_expect_free(e);
	return !e && !strncmp(err, msg, strlen(msg));
}

static void test_expect(void)
{
	struct cp_expect *e;
	const char *v;
	char err[256];
	size_t len;

	e = expect_text("k1\tv1\nbin\t\\x00\\n\\xfF\nk\\tab\tx\\\\y\ne\t",
			err, sizeof(err));
	CHECK(e && cp_expect_count(e) == 4);
	if (!e)
		return;
	CHECK(cp_expect_find(e, "k1", 2, &v, &len) && len == 2 &&
	      !memcmp(v, "v1", 2));
	CHECK(cp_expect_find(e, "bin", 3, &v, &len) && len == 3 &&
	      !memcmp(v, "\0\n\xff", 3));
	CHECK(cp_expect_find(e, "k\tab", 4, &v, &len) && len == 3 &&
	      !memcmp(v, "x\\y", 3));
	CHECK(cp_expect_find(e, "e", 1, &v, &len) && len == 0);
	CHECK(!cp_expect_find(e, "k", 1, &v, &len));
	CHECK(!cp_expect_find(e, "k1\t", 3, &v, &len));
	CHECK(cp_expect_verify(e, "k1", 2, 0, "v1", 2) == CP_ANSWER_OK);
	CHECK(cp_expect_verify(e, "k1", 2, 0, "v2", 2) == CP_ANSWER_WRONG);
	CHECK(cp_expect_verify(e, "k1", 2, 0, "v1\n", 3) == CP_ANSWER_WRONG);
	CHECK(cp_expect_verify(e, "k1", 2, 0, "v", 1) == CP_ANSWER_WRONG);
	CHECK(cp_expect_verify(e, "bin", 3, 0, "\0\n\xff", 3) ==
	      CP_ANSWER_OK);
	CHECK(cp_expect_verify(e, "e", 1, 0, "", 0) == CP_ANSWER_OK);
	CHECK(cp_expect_verify(e, "k1", 2, ENOENT, NULL, 0) ==
	      CP_ANSWER_WRONG);
	CHECK(cp_expect_verify(e, "k1", 2, EIO, NULL, 0) == CP_ANSWER_ERROR);
	CHECK(cp_expect_verify(e, "k2", 2, ENOENT, NULL, 0) ==
	      CP_ANSWER_EXPECTED_ERR);
	CHECK(cp_expect_verify(e, "k2", 2, 0, "v1", 2) == CP_ANSWER_WRONG);
	CHECK(cp_expect_verify(e, "k2", 2, ETIMEDOUT, NULL, 0) ==
	      CP_ANSWER_ERROR);
	/* the prefixes of the synthetic loader mean nothing here */
	CHECK(cp_expect_verify(e, "eio-1", 5, EIO, NULL, 0) ==
	      CP_ANSWER_ERROR);
	cp_expect_free(e);

	e = expect_text("", err, sizeof(err));
	CHECK(e && cp_expect_count(e) == 0);
	cp_expect_free(e);
	e = expect_text("a\tb\n", err, sizeof(err));
	CHECK(e && cp_expect_count(e) == 1);
	cp_expect_free(e);
	CHECK(expect_bad("a b\n", "F:1: no tab"));
	CHECK(expect_bad("a\tb\n\nc\td\n", "F:2: an empty line"));
	CHECK(expect_bad("a\tb\nc\td\na\te\n",
			 "F:3: a key that came before"));
	CHECK(expect_bad("\tb\n", "F:1: an empty key"));
	CHECK(expect_bad("\\q\tb\n", "F:1: an unknown escape"));
	CHECK(expect_bad("a\tb\\x4\n", "F:1: '\\x' needs two hex digits"));
	CHECK(expect_bad("a\tb\\xg0\n", "F:1: '\\x' needs two hex digits"));
	CHECK(expect_bad("a\tb\\", "F:1: a backslash ends it"));
	e = cp_expect_load("/nonexistent/expect", err, sizeof(err));
	CHECK(!e && strstr(err, "No such file"));
}

static void test_zipf(void)
{
	static uint64_t count[101];
	struct cp_zipf z;
	struct cp_rng r;
	double s, got, want;
	unsigned int i;

	for (s = 0.5; s <= 2.0; s += 0.5) {
		memset(count, 0, sizeof(count));
		cp_zipf_init(&z, 100, s);
		cp_rng_seed(&r, 42, 0);
		for (i = 0; i < 200000; i++) {
			uint64_t k = cp_zipf_sample(&z, &r);

			CHECK(k >= 1 && k <= 100);
			if (k < 1 || k > 100)
				return;
			count[k]++;
		}
		/* P(1)/P(2) = 2^s, within sampling noise */
		got = (double)count[1] / (double)count[2];
		want = pow(2.0, s);
		CHECK(got > want * 0.95 && got < want * 1.05);
		CHECK(count[1] > count[10] && count[10] > count[100]);
	}
	cp_zipf_init(&z, 1, 1.0);
	CHECK(cp_zipf_sample(&z, &r) == 1);
	for (i = 0; i < 1000; i++)
		CHECK(cp_rng_below(&r, 7) < 7);
}

/* Parse @args (space separated); returns what cp_opts_parse returned. */
static int parse(struct cp_opts *o, const char *args)
{
	static char buf[512];
	char *argv[32], *p;
	int argc = 0, ret, saved, null;

	snprintf(buf, sizeof(buf), "cacheproxy-stress %s", args);
	for (p = strtok(buf, " "); p && argc < 31; p = strtok(NULL, " "))
		argv[argc++] = p;
	argv[argc] = NULL;
	/* keep the one-line errors out of the test output */
	fflush(stderr);
	saved = dup(2);
	null = open("/dev/null", O_WRONLY);
	dup2(null, 2);
	close(null);
	ret = cp_opts_parse(o, argc, argv);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	return ret;
}

static void test_options(void)
{
	struct cp_opts o;

	CHECK(parse(&o, "") == 0);
	CHECK(o.threads == 8 && o.burst == 8 && o.keys == 2000 &&
	      o.duration == 10 && o.ops == 0 && o.batch == 1 &&
	      o.via == CP_VIA_IOCTL && o.scenario == CP_SCENARIO_UNIFORM);
	CHECK(parse(&o, "--threads 4") == 0 && o.burst == 4);
	CHECK(parse(&o, "--threads 16 --burst 8 --scenario multikey") == 0 &&
	      o.scenario == CP_SCENARIO_MULTIKEY);
	CHECK(parse(&o, "-t 2 -b 3") == -1);
	CHECK(parse(&o, "--threads 0") == -1);
	CHECK(parse(&o, "--threads -1") == -1);
	CHECK(parse(&o, "--threads 1x") == -1);
	CHECK(parse(&o, "--threads abc") == -1);
	CHECK(parse(&o, "--threads 99999999999999999999999") == -1);
	CHECK(parse(&o, "--keys 0") == -1);
	CHECK(parse(&o, "--keys 100000001") == -1);
	CHECK(parse(&o, "--keys") == -1);
	CHECK(parse(&o, "--bogus") == -1);
	CHECK(parse(&o, "-x") == -1);
	CHECK(parse(&o, "extra") == -1);
	CHECK(parse(&o, "--duration 0") == -1);
	CHECK(parse(&o, "--duration 1.5") == 0 && o.duration == 1.5);
	CHECK(parse(&o, "--scenario multikey --burst 1 --via uring --depth 8 --same-key") == 0 &&
	      o.same_key && o.batch == 8 && o.burst == 1);
	CHECK(parse(&o, "--scenario singlekey --via batch --batch 4 --same-key") == 0 &&
	      o.same_key);
	CHECK(parse(&o, "--same-key") == -1);		/* one key per call */
	CHECK(parse(&o, "--scenario uniform --via uring --same-key") == -1);
	CHECK(parse(&o, "--duration nan") == -1);
	CHECK(parse(&o, "--duration -3") == -1);
	CHECK(parse(&o, "--ops 100") == 0 && o.ops == 100 && o.duration == 0);
	CHECK(parse(&o, "--ops 100 --duration 2") == 0 && o.duration == 2);
	CHECK(parse(&o, "--scenario foo") == -1);
	CHECK(parse(&o, "--scenario zipf --zipf-s 1.2") == 0 &&
	      o.zipf_s == 1.2);
	CHECK(parse(&o, "--zipf-s 1.2") == -1);
	CHECK(parse(&o, "--scenario zipf --zipf-s 0") == -1);
	CHECK(parse(&o, "--via batch") == 0 && o.batch == 64);
	CHECK(parse(&o, "--via batch --batch 256") == 0 && o.batch == 256);
	CHECK(parse(&o, "--via batch --batch 257") == -1);
	CHECK(parse(&o, "--via batch --batch 0") == -1);
	CHECK(parse(&o, "--batch 4") == -1);
	CHECK(parse(&o, "--via proc") == 0 && o.via == CP_VIA_PROC);
	CHECK(parse(&o, "--via noop") == 0 && o.via == CP_VIA_NOOP &&
	      o.batch == 1);
	CHECK(parse(&o, "--via noop --batch 4") == -1);
	CHECK(parse(&o, "--scenario hit") == 0 &&
	      o.scenario == CP_SCENARIO_HIT && !cp_scenario_bursts(o.scenario));
	CHECK(parse(&o, "--via smoke") == -1);
	CHECK(parse(&o, "--mix inval=1,flush=0.1,enoent=5,eio=5") == 0 &&
	      o.mix.inval == 1 && o.mix.flush == 0.1 && o.mix.enoent == 5 &&
	      o.mix.eio == 5);
	CHECK(parse(&o, "--mix inval=60,eio=50") == -1);
	CHECK(parse(&o, "--mix bogus=1") == -1);
	CHECK(parse(&o, "--mix inval") == -1);
	CHECK(parse(&o, "--mix inval=x") == -1);
	CHECK(parse(&o, "--key-prefix enoent-") == 0 &&
	      !strcmp(o.prefix, "enoent-"));
	CHECK(parse(&o, "--seed 18446744073709551615") == 0 &&
	      o.seed == UINT64_MAX);
	CHECK(parse(&o, "--seed 18446744073709551616") == -1);
	CHECK(parse(&o, "--expect db.tsv") == 0 &&
	      !strcmp(o.expect_path, "db.tsv") && !o.expect);
	CHECK(parse(&o, "-e db.tsv --mix enoent=5") == 0);
	CHECK(parse(&o, "--expect db.tsv --mix eio=5") == -1);
	CHECK(parse(&o, "--expect db.tsv --via noop") == -1);
	CHECK(parse(&o, "--expect") == -1);
	CHECK(parse(&o, "--help") == 1);
	CHECK(parse(&o, "--via memcached") == 0 &&
	      o.via == CP_VIA_MEMCACHED && o.delay_us == 10 &&
	      !strcmp(o.memcached, CP_MC_DEFAULT_ADDR) && !o.la);
	CHECK(parse(&o, "--via memcached --memcached unix:/run/mc.sock --delay-us 0") == 0 &&
	      !strcmp(o.memcached, "unix:/run/mc.sock") && o.delay_us == 0);
	CHECK(parse(&o, "--via memcached --memcached nowhere") == -1);
	CHECK(parse(&o, "--via memcached --delay-us 1000001") == -1);
	CHECK(parse(&o, "--memcached 127.0.0.1:11211") == -1);
	CHECK(parse(&o, "--delay-us 5") == -1);
	CHECK(parse(&o, "--via memcached --expect db.tsv") == -1);
	CHECK(parse(&o, "--via memcached --allow-enomem") == -1);
	CHECK(parse(&o, "--via memcached --key-prefix k\x01") == -1);
	CHECK(parse(&o, "--via memcached --mix inval=1,flush=1,enoent=5,eio=5") == 0);
}

static int addr(const char *a, int *family, unsigned int *port)
{
	struct sockaddr_storage ss;
	char err[160];
	socklen_t len;
	int ret = cp_mc_parse_addr(a, &ss, &len, err, sizeof(err));

	*family = ss.ss_family;
	*port = ss.ss_family == AF_INET ?
		ntohs(((struct sockaddr_in *)&ss)->sin_port) :
		ss.ss_family == AF_INET6 ?
		ntohs(((struct sockaddr_in6 *)&ss)->sin6_port) : 0;
	return ret;
}

/* The client's end of a socketpair whose server end is *@peer. */
static struct cp_mc *mc_pair(int *peer)
{
	struct cp_mc *mc = NULL;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) ||
	    cp_mc_open_fd(sv[0], &mc))
		return NULL;
	*peer = sv[1];
	return mc;
}

/* The server's answer, written before the client asks. */
static void answer(int peer, const char *s, size_t len)
{
	CHECK(write(peer, s, len) == (ssize_t)len);
}

#define ANSWER(peer, s) answer(peer, s, sizeof(s) - 1)

/* What the client sent since the last call, NUL-terminated in @buf. */
static const char *request(int peer, char *buf, size_t size)
{
	ssize_t n = recv(peer, buf, size - 1, MSG_DONTWAIT);

	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void test_memcached(void)
{
	static char big[6000], req[6000];
	struct cp_mc_item items[3] = {
		{ "a", 1, "1", 1 }, { "b", 1, "22", 2 }, { "c", 1, "", 0 },
	};
	struct cp_mc_stats st;
	char val[64], key[CP_MC_KEY_MAX + 2];
	unsigned int port;
	struct cp_mc *mc;
	int family, peer;
	size_t len;

	CHECK(addr("unix:/run/mc.sock", &family, &port) == 0 &&
	      family == AF_UNIX);
	CHECK(addr("/run/mc.sock", &family, &port) == 0 && family == AF_UNIX);
	CHECK(addr("127.0.0.1:21211", &family, &port) == 0 &&
	      family == AF_INET && port == 21211);
	CHECK(addr("127.0.0.1", &family, &port) == 0 && port == 11211);
	CHECK(addr("localhost:5", &family, &port) == 0 &&
	      family == AF_INET && port == 5);
	CHECK(addr("[::1]:7", &family, &port) == 0 && family == AF_INET6 &&
	      port == 7);
	CHECK(addr("[::1]", &family, &port) == 0 && port == 11211);
	CHECK(addr("", &family, &port) == -EINVAL);
	CHECK(addr("unix:", &family, &port) == -EINVAL);
	CHECK(addr("127.0.0.1:", &family, &port) == -EINVAL);
	CHECK(addr("127.0.0.1:0", &family, &port) == -EINVAL);
	CHECK(addr("127.0.0.1:65536", &family, &port) == -EINVAL);
	CHECK(addr("example.org:1", &family, &port) == -EINVAL);
	CHECK(addr("::1", &family, &port) == -EINVAL);
	CHECK(addr("[::1", &family, &port) == -EINVAL);
	CHECK(addr("[127.0.0.1]", &family, &port) == -EINVAL);

	memset(key, 'k', sizeof(key));
	CHECK(cp_mc_key_ok(key, CP_MC_KEY_MAX) && !cp_mc_key_ok(key, 251));
	CHECK(!cp_mc_key_ok("a b", 3) && !cp_mc_key_ok("a\r", 2) &&
	      !cp_mc_key_ok("", 0));

	mc = mc_pair(&peer);
	CHECK(mc);
	if (!mc)
		return;
	ANSWER(peer, "VALUE key-1 0 7\r\nkey-1:3\r\nEND\r\n");
	CHECK(cp_mc_get(mc, "key-1", 5, val, sizeof(val), &len) == 1 &&
	      len == 7 && !memcmp(val, "key-1:3", 7));
	CHECK(!strcmp(request(peer, req, sizeof(req)), "get key-1\r\n"));
	ANSWER(peer, "END\r\n");
	CHECK(cp_mc_get(mc, "key-2", 5, val, sizeof(val), &len) == 0 &&
	      len == 0);
	/* a value longer than the buffer is cut, the rest read and dropped */
	memset(big, 'v', sizeof(big));
	ANSWER(peer, "VALUE key-1 0 5000\r\n");
	answer(peer, big, 5000);
	ANSWER(peer, "\r\nEND\r\n");
	CHECK(cp_mc_get(mc, "key-1", 5, val, sizeof(val), &len) == 1 &&
	      len == sizeof(val));
	ANSWER(peer, "SERVER_ERROR out of memory\r\n");
	CHECK(cp_mc_get(mc, "key-1", 5, val, sizeof(val), &len) == -EREMOTEIO &&
	      strstr(cp_mc_last_error(mc), "out of memory"));
	ANSWER(peer, "STORED\r\n");
	request(peer, req, sizeof(req));
	CHECK(cp_mc_set(mc, "key-1", 5, "key-1:4", 7) == 0);
	CHECK(!strcmp(request(peer, req, sizeof(req)),
		      "set key-1 0 0 7\r\nkey-1:4\r\n"));
	ANSWER(peer, "STORED\r\nSTORED\r\nSTORED\r\n");
	CHECK(cp_mc_set_many(mc, items, 3) == 0);
	CHECK(!strcmp(request(peer, req, sizeof(req)),
		      "set a 0 0 1\r\n1\r\nset b 0 0 2\r\n22\r\nset c 0 0 0\r\n\r\n"));
	ANSWER(peer, "DELETED\r\nNOT_FOUND\r\nOK\r\n");
	CHECK(cp_mc_delete(mc, "a", 1) == 1 && cp_mc_delete(mc, "b", 1) == 0 &&
	      cp_mc_flush_all(mc) == 0);
	ANSWER(peer, "STAT pid 7\r\nSTAT version 1.6.18\"x\r\nSTAT get_hits 5\r\nSTAT curr_items 9\r\nEND\r\n");
	CHECK(cp_mc_stats(mc, &st) == 0 && st.get_hits == 5 &&
	      st.curr_items == 9 && !strcmp(st.version, "1.6.18?x"));
	CHECK(cp_mc_get(mc, "a b", 3, val, sizeof(val), &len) == -EINVAL);
	/* an answer about another key kills the connection */
	ANSWER(peer, "VALUE key-2 0 7\r\nkey-2:1\r\nEND\r\n");
	CHECK(cp_mc_get(mc, "key-1", 5, val, sizeof(val), &len) == -EPROTO);
	CHECK(cp_mc_get(mc, "key-1", 5, val, sizeof(val), &len) == -EPROTO);
	cp_mc_close(mc);
	close(peer);

	/* a value of another length than announced; no \r\n; a close */
	mc = mc_pair(&peer);
	ANSWER(peer, "VALUE key-1 0 3\r\nkey-1:3\r\nEND\r\n");
	CHECK(mc && cp_mc_get(mc, "key-1", 5, val, sizeof(val), &len) == -EPROTO);
	cp_mc_close(mc);
	close(peer);
	mc = mc_pair(&peer);
	ANSWER(peer, "END\n");
	CHECK(mc && cp_mc_get(mc, "key-1", 5, val, sizeof(val), &len) == -EPROTO);
	cp_mc_close(mc);
	close(peer);
	mc = mc_pair(&peer);
	ANSWER(peer, "VALUE key-1 0 7\r\nkey-1");
	close(peer);
	CHECK(mc && cp_mc_get(mc, "key-1", 5, val, sizeof(val), &len) ==
	      -ECONNRESET);
	cp_mc_close(mc);
	mc = mc_pair(&peer);
	ANSWER(peer, "STAT pid 7\r\nEND\r\n");
	CHECK(mc && cp_mc_stats(mc, &st) == -EPROTO);
	cp_mc_close(mc);
	close(peer);
}

int main(void)
{
	int out = dup(1), null = open("/dev/null", O_WRONLY);

	test_hist();
	test_verify();
	test_lib();
	test_expect();
	test_zipf();
	test_memcached();
	/* --help prints to stdout: silence it */
	fflush(stdout);
	dup2(null, 1);
	test_options();
	fflush(stdout);
	dup2(out, 1);
	printf("unit-test: %u checks, %u failed\n", checks, failed);
	return failed ? 1 : 0;
}
