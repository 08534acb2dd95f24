// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the user loader's request queue (upcall.c), with a fake
 * daemon in the kernel: it takes requests and answers them through the
 * same calls a channel makes. Each case runs on every strategy: the queue
 * is shared, but each strategy's done callback receives what it answers.
 *
 * Covered: a request carries its id and key; a value (NUL and newline
 * included, up to CACHEPROXY_VALUE_MAX bytes, a long one handed to the
 * caller by reference) reaches the caller and is cached; ENOENT is negative-cached,
 * other errnos are not; malformed answers are refused and change nothing;
 * no daemon: ENOTCONN at once; no answer: ETIMEDOUT, and a late answer is
 * refused; a daemon that detaches gives its requests to another, or, when
 * it was the last, fails them; shutdown fails them; one load per burst of a
 * key where the strategy deduplicates.
 */
#include <kunit/test.h>
#include <linux/cacheproxy.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "cache.h"
#include "entry.h"
#include "helpers.h"
#include "upcall.h"

/* The timeout of upcall_timeout, and the bound on its ETIMEDOUT. */
#define UPCALL_SHORT_MS		1000
#define UPCALL_SHORT_BOUND_MS	5000

/* Requests a test reads at once: room for a burst's worth. */
#define TAKE_BUF	(CACHEPROXY_KUNIT_THREADS * CACHEPROXY_LOAD_REQUEST_MAX)

/**
 * struct fake_daemon - a daemon played by the test
 * @up:		the queue it is attached to
 * @d:		its place there
 * @attached:	until it detaches (by the test or when the case ends)
 * @buf:	where it takes requests into
 */
struct fake_daemon {
	struct cacheproxy_upcall *up;
	struct cacheproxy_upcall_daemon d;
	bool attached;
	char buf[TAKE_BUF];
};

static void fake_detach(void *data)
{
	struct fake_daemon *fd = data;

	if (fd->attached)
		cacheproxy_upcall_detach(fd->up, &fd->d);
	fd->attached = false;
}

/* A daemon attached to @up until the case ends (before @up is destroyed). */
static struct fake_daemon *fake_attach(struct kunit *test,
				       struct cacheproxy_upcall *up)
{
	struct fake_daemon *fd;

	fd = kunit_kzalloc(test, sizeof(*fd), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, fd);
	fd->up = up;
	cacheproxy_upcall_attach(up, &fd->d);
	fd->attached = true;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, fake_detach, fd),
			0);
	return fd;
}

/* A cache with loader=user and @timeout_ms for the strategy of the case. */
static struct cacheproxy_cache *user_cache(struct kunit *test,
					   unsigned int timeout_ms)
{
	struct cacheproxy_config cfg;

	cacheproxy_kunit_config(test, &cfg);
	cfg.loader = CACHEPROXY_LOADER_USER;
	cfg.upcall_timeout_ms = timeout_ms;
	return cacheproxy_kunit_cache(test, &cfg);
}

/*
 * Takes requests until @nr have come (or CACHEPROXY_KUNIT_WAIT_MS passed);
 * returns how many came. Their records are in fd->buf, back to back.
 */
static unsigned int fake_take(struct kunit *test, struct fake_daemon *fd,
			      unsigned int nr, size_t *len)
{
	unsigned long deadline = jiffies +
				 msecs_to_jiffies(CACHEPROXY_KUNIT_WAIT_MS);
	unsigned int got = 0;
	ssize_t n;

	*len = 0;
	while (got < nr) {
		n = cacheproxy_upcall_take(fd->up, &fd->d, fd->buf + *len,
					   sizeof(fd->buf) - *len);
		KUNIT_ASSERT_GE(test, n, 0);
		if (n) {
			size_t off = *len;

			*len += n;
			while (off < *len) {
				const struct cacheproxy_load_request *r =
					(const void *)(fd->buf + off);

				off += ALIGN(r->size + r->key_len, 8);
				got++;
			}
			continue;
		}
		if (time_after(jiffies, deadline))
			break;
		usleep_range(500, 1000);
	}
	return got;
}

/* The request at @off of fd->buf. */
static const struct cacheproxy_load_request *
fake_req(struct fake_daemon *fd, size_t off)
{
	return (const void *)(fd->buf + off);
}

/* One lookup of @key in a thread of its own; join with burst_join(). */
static struct cacheproxy_kunit_burst *
lookup_in_thread(struct kunit *test, struct cacheproxy_cache *cache,
		 const char *key, unsigned int nr)
{
	struct cacheproxy_kunit_burst *b;

	b = cacheproxy_kunit_burst_alloc(test, cache,
					 cacheproxy_kunit_lookup_one);
	b->key = key;
	cacheproxy_kunit_burst_start(test, b, nr);
	cacheproxy_kunit_burst_go(b);
	return b;
}

/* A request carries the key; a value with NUL and newline comes back. */
static void upcall_value(struct kunit *test)
{
	static const char val[] = "v\0a\nb";
	struct cacheproxy_cache *cache = user_cache(test, 10000);
	struct cacheproxy_upcall *up = cacheproxy_cache_upcall(cache);
	const struct cacheproxy_load_request *r;
	struct cacheproxy_kunit_burst *b;
	struct fake_daemon *fd;
	struct cacheproxy_stats st;
	char got[16];
	size_t len, got_len;

	KUNIT_ASSERT_NOT_NULL(test, up);
	fd = fake_attach(test, up);
	b = lookup_in_thread(test, cache, "db-key", 1);
	KUNIT_ASSERT_EQ(test, fake_take(test, fd, 1, &len), 1);
	r = fake_req(fd, 0);
	KUNIT_EXPECT_EQ(test, r->size, sizeof(*r));
	KUNIT_EXPECT_EQ(test, r->flags, 0);
	KUNIT_EXPECT_EQ(test, r->reserved, 0);
	KUNIT_EXPECT_EQ(test, r->id, 1);
	KUNIT_ASSERT_EQ(test, r->key_len, 6);
	KUNIT_EXPECT_EQ(test, memcmp(r + 1, "db-key", 6), 0);
	KUNIT_EXPECT_EQ(test, len, ALIGN(sizeof(*r) + 6, 8));

	KUNIT_ASSERT_EQ(test, cacheproxy_upcall_answer(up, &fd->d, r->id, 0,
						       val, sizeof(val) - 1),
			0);
	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_burst_join(b));
	KUNIT_ASSERT_EQ(test, b->workers[0].ret, 0);
	KUNIT_ASSERT_EQ(test, b->workers[0].val_len, sizeof(val) - 1);
	KUNIT_EXPECT_EQ(test, memcmp(b->workers[0].val, val, sizeof(val) - 1),
			0);

	/* Cached: a hit, no request. */
	KUNIT_ASSERT_EQ(test, cacheproxy_lookup(cache, "db-key", 6, got,
						sizeof(got), &got_len), 0);
	KUNIT_EXPECT_EQ(test, got_len, sizeof(val) - 1);
	KUNIT_EXPECT_EQ(test, cacheproxy_upcall_take(up, &fd->d, fd->buf,
						     sizeof(fd->buf)), 0);
	cacheproxy_kunit_stats(cache, &st);
	KUNIT_EXPECT_EQ(test, st.hits, 1);
	KUNIT_EXPECT_EQ(test, st.loads_started, 1);
	KUNIT_EXPECT_EQ(test, st.loads_ok, 1);
}

/*
 * The longest value, every byte value in it, reaches the caller, and a hit
 * on it comes back by reference when it does not fit the caller's buffer
 * (or -ENOSPC with its length when the caller takes no reference).
 */
static void upcall_long_value(struct kunit *test)
{
	struct cacheproxy_cache *cache = user_cache(test, 10000);
	struct cacheproxy_upcall *up = cacheproxy_cache_upcall(cache);
	struct fake_daemon *fd = fake_attach(test, up);
	struct cacheproxy_value v = { .by_ref = true };
	struct cacheproxy_kunit_burst *b;
	struct cacheproxy_stats st;
	char small[64], *val;
	size_t len, i;

	val = kunit_kzalloc(test, CACHEPROXY_VALUE_MAX, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, val);
	for (i = 0; i < CACHEPROXY_VALUE_MAX; i++)
		val[i] = i * 7;
	b = lookup_in_thread(test, cache, "long", 1);
	KUNIT_ASSERT_EQ(test, fake_take(test, fd, 1, &len), 1);
	KUNIT_ASSERT_EQ(test, cacheproxy_upcall_answer(up, &fd->d,
						       fake_req(fd, 0)->id, 0,
						       val, CACHEPROXY_VALUE_MAX),
			0);
	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_burst_join(b));
	KUNIT_ASSERT_EQ(test, b->workers[0].ret, 0);
	KUNIT_ASSERT_EQ(test, b->workers[0].val_len, CACHEPROXY_VALUE_MAX);
	KUNIT_EXPECT_EQ(test, memcmp(b->workers[0].val, val,
				     CACHEPROXY_VALUE_MAX), 0);

	v.buf = small;
	v.size = sizeof(small);
	/* No assertion while the reference is held: it must be dropped. */
	KUNIT_EXPECT_EQ(test, cacheproxy_lookup_value(cache, "long", 4, &v), 0);
	KUNIT_EXPECT_NOT_NULL(test, v.entry);
	KUNIT_EXPECT_EQ(test, v.len, CACHEPROXY_VALUE_MAX);
	if (v.len == CACHEPROXY_VALUE_MAX)
		KUNIT_EXPECT_EQ(test, memcmp(cacheproxy_value_data(&v), val,
					     CACHEPROXY_VALUE_MAX), 0);
	cacheproxy_value_release(&v);
	KUNIT_EXPECT_NULL(test, v.entry);

	len = 0;
	KUNIT_EXPECT_EQ(test, cacheproxy_lookup(cache, "long", 4, small,
						sizeof(small), &len), -ENOSPC);
	KUNIT_EXPECT_EQ(test, len, CACHEPROXY_VALUE_MAX);

	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_quiesce(cache, &st));
	KUNIT_EXPECT_EQ(test, st.loads_started, 1);
	KUNIT_EXPECT_EQ(test, st.hits, 2);
	KUNIT_EXPECT_EQ(test, st.entries, 1);
	KUNIT_EXPECT_GT(test, st.bytes, CACHEPROXY_VALUE_MAX);
	KUNIT_EXPECT_LE(test, st.bytes, 2 * CACHEPROXY_VALUE_MAX);
}

/* Answers with @status to a lookup of @key; returns the lookup's result. */
static int answer_status(struct kunit *test, struct cacheproxy_cache *cache,
			 struct fake_daemon *fd, const char *key, int status)
{
	struct cacheproxy_upcall *up = cacheproxy_cache_upcall(cache);
	struct cacheproxy_kunit_burst *b;
	size_t len;

	b = lookup_in_thread(test, cache, key, 1);
	KUNIT_ASSERT_EQ(test, fake_take(test, fd, 1, &len), 1);
	KUNIT_EXPECT_EQ(test, cacheproxy_upcall_answer(up, &fd->d,
						       fake_req(fd, 0)->id,
						       status, NULL, 0), 0);
	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_burst_join(b));
	return b->workers[0].ret;
}

/*
 * ENOENT is cached as a negative entry; other errnos are not cached and
 * reach the callers as EIO (an ENOSPC or EFAULT from a daemon must not
 * pass for the kernel's own).
 */
static void upcall_errors(struct kunit *test)
{
	/* A daemon's error is EIO for the callers, whatever it was. */
	static const int errs[] = { -EIO, -ENOSPC, -EFAULT, -EAGAIN, -4095 };
	struct cacheproxy_cache *cache = user_cache(test, 10000);
	struct fake_daemon *fd = fake_attach(test,
					     cacheproxy_cache_upcall(cache));
	struct cacheproxy_stats st;
	char val[8];
	size_t len;
	unsigned int i;

	KUNIT_EXPECT_EQ(test, answer_status(test, cache, fd, "gone", -ENOENT),
			-ENOENT);
	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_quiesce(cache, &st));
	KUNIT_EXPECT_EQ(test, st.entries, 1);
	/* A hit on the negative entry: no request (it would block here). */
	KUNIT_EXPECT_EQ(test, cacheproxy_lookup(cache, "gone", 4, val,
						sizeof(val), &len), -ENOENT);
	cacheproxy_kunit_stats(cache, &st);
	KUNIT_EXPECT_EQ(test, st.hits, 1);
	KUNIT_EXPECT_EQ(test, st.loads_started, 1);

	for (i = 0; i < ARRAY_SIZE(errs); i++) {
		KUNIT_EXPECT_EQ(test, answer_status(test, cache, fd, "flaky",
						    errs[i]), -EIO);
		KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_quiesce(cache, &st));
		KUNIT_EXPECT_EQ_MSG(test, st.entries, 1, "errno %d cached",
				    errs[i]);
	}
	/* Each lookup of "flaky" made a request of its own. */
	KUNIT_EXPECT_EQ(test, st.loads_started, 1 + ARRAY_SIZE(errs));
}

/*
 * Malformed answers are refused with -EINVAL and change nothing: the
 * request is still the daemon's, and a good answer then lands.
 */
static void upcall_malformed(struct kunit *test)
{
	struct cacheproxy_cache *cache = user_cache(test, 10000);
	struct cacheproxy_upcall *up = cacheproxy_cache_upcall(cache);
	struct fake_daemon *fd = fake_attach(test, up);
	struct fake_daemon *other = fake_attach(test, up);
	static char big[CACHEPROXY_VALUE_MAX + 1];
	struct cacheproxy_kunit_burst *b;
	size_t len;
	u64 id;

	b = lookup_in_thread(test, cache, "m", 1);
	KUNIT_ASSERT_EQ(test, fake_take(test, fd, 1, &len), 1);
	id = fake_req(fd, 0)->id;
	/* Never issued: EINVAL; issued but not this daemon's: ESTALE. */
	KUNIT_EXPECT_EQ(test, cacheproxy_upcall_answer(up, &fd->d, id + 1, 0,
						       "x", 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, cacheproxy_upcall_answer(up, &fd->d, 0, 0,
						       "x", 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, cacheproxy_upcall_answer(up, &other->d, id, 0,
						       "x", 1), -ESTALE);
	KUNIT_EXPECT_EQ(test, cacheproxy_upcall_answer(up, &fd->d, id, 1,
						       NULL, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, cacheproxy_upcall_answer(up, &fd->d, id, -4096,
						       NULL, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, cacheproxy_upcall_answer(up, &fd->d, id, -ENOENT,
						       "x", 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, cacheproxy_upcall_answer(up, &fd->d, id, 0, big,
						       sizeof(big)), -EINVAL);
	/* The longest value is fine; answering twice is not. */
	memset(big, 'b', sizeof(big));
	KUNIT_EXPECT_EQ(test, cacheproxy_upcall_answer(up, &fd->d, id, 0, big,
						       CACHEPROXY_VALUE_MAX), 0);
	KUNIT_EXPECT_EQ(test, cacheproxy_upcall_answer(up, &fd->d, id, 0,
						       "x", 1), -ESTALE);
	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_burst_join(b));
	KUNIT_EXPECT_EQ(test, b->workers[0].ret, 0);
	KUNIT_EXPECT_EQ(test, b->workers[0].val_len, CACHEPROXY_VALUE_MAX);
}

/* No daemon attached: ENOTCONN at once, not cached. */
static void upcall_no_daemon(struct kunit *test)
{
	struct cacheproxy_cache *cache = user_cache(test, 60000);
	struct cacheproxy_stats st;
	char val[8];
	size_t len;

	KUNIT_EXPECT_EQ(test, cacheproxy_lookup(cache, "k", 1, val,
						sizeof(val), &len), -ENOTCONN);
	KUNIT_EXPECT_EQ(test, cacheproxy_lookup(cache, "k", 1, val,
						sizeof(val), &len), -ENOTCONN);
	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_quiesce(cache, &st));
	KUNIT_EXPECT_EQ(test, st.loads_started, 2);
	KUNIT_EXPECT_EQ(test, st.loads_failed, 2);
	KUNIT_EXPECT_EQ(test, st.entries, 0);
}

/*
 * No answer in time: ETIMEDOUT, after the cache's timeout (1 s), not one
 * of the others the suite uses (10 s and more); the late answer is
 * refused as stale.
 */
static void upcall_timeout(struct kunit *test)
{
	struct cacheproxy_cache *cache = user_cache(test, UPCALL_SHORT_MS);
	struct cacheproxy_upcall *up = cacheproxy_cache_upcall(cache);
	struct fake_daemon *fd = fake_attach(test, up);
	struct cacheproxy_kunit_burst *b;
	struct cacheproxy_stats st;
	unsigned long t0 = jiffies;
	unsigned int ms;
	size_t len;

	b = lookup_in_thread(test, cache, "late", 2);
	KUNIT_ASSERT_GE(test, fake_take(test, fd, 1, &len), 1);
	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_burst_join(b));
	ms = jiffies_to_msecs(jiffies - t0);
	KUNIT_EXPECT_EQ(test, b->workers[0].ret, -ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, b->workers[1].ret, -ETIMEDOUT);
	KUNIT_EXPECT_GE(test, ms, UPCALL_SHORT_MS);
	KUNIT_EXPECT_LT(test, ms, UPCALL_SHORT_BOUND_MS);
	KUNIT_EXPECT_EQ(test, cacheproxy_upcall_answer(up, &fd->d,
						       fake_req(fd, 0)->id, 0,
						       "x", 1), -ESTALE);
	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_quiesce(cache, &st));
	KUNIT_EXPECT_EQ(test, st.entries, 0);
}

/*
 * A daemon that detaches gives its requests back: another daemon gets the
 * same id and its answer lands. When the last one detaches, what is left
 * fails with ENOTCONN.
 */
static void upcall_detach(struct kunit *test)
{
	struct cacheproxy_cache *cache = user_cache(test, 60000);
	struct cacheproxy_upcall *up = cacheproxy_cache_upcall(cache);
	struct fake_daemon *a = fake_attach(test, up);
	struct fake_daemon *b2 = fake_attach(test, up);
	struct cacheproxy_kunit_burst *b;
	size_t len;
	u64 id;

	b = lookup_in_thread(test, cache, "moved", 1);
	KUNIT_ASSERT_EQ(test, fake_take(test, a, 1, &len), 1);
	id = fake_req(a, 0)->id;
	KUNIT_EXPECT_EQ(test, cacheproxy_upcall_take(up, &b2->d, b2->buf,
						     sizeof(b2->buf)), 0);
	fake_detach(a);
	KUNIT_ASSERT_EQ(test, fake_take(test, b2, 1, &len), 1);
	KUNIT_EXPECT_EQ(test, fake_req(b2, 0)->id, id);
	KUNIT_EXPECT_EQ(test, cacheproxy_upcall_answer(up, &b2->d, id, 0,
						       "y", 1), 0);
	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_burst_join(b));
	KUNIT_EXPECT_EQ(test, b->workers[0].ret, 0);

	b = lookup_in_thread(test, cache, "orphan", 1);
	KUNIT_ASSERT_EQ(test, fake_take(test, b2, 1, &len), 1);
	fake_detach(b2);
	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_burst_join(b));
	KUNIT_EXPECT_EQ(test, b->workers[0].ret, -ENOTCONN);
}

/* Requests that never reached the daemon go back to the head. */
static void upcall_untake(struct kunit *test)
{
	struct cacheproxy_cache *cache = user_cache(test, 60000);
	struct cacheproxy_upcall *up = cacheproxy_cache_upcall(cache);
	struct fake_daemon *fd = fake_attach(test, up);
	struct cacheproxy_kunit_burst *b;
	size_t len;
	u64 id;

	b = lookup_in_thread(test, cache, "again", 1);
	KUNIT_ASSERT_EQ(test, fake_take(test, fd, 1, &len), 1);
	id = fake_req(fd, 0)->id;
	cacheproxy_upcall_untake(up, &fd->d, fd->buf, len);
	KUNIT_ASSERT_EQ(test, fake_take(test, fd, 1, &len), 1);
	KUNIT_EXPECT_EQ(test, fake_req(fd, 0)->id, id);
	KUNIT_EXPECT_EQ(test, cacheproxy_upcall_answer(up, &fd->d, id, 0,
						       "z", 1), 0);
	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_burst_join(b));
	KUNIT_EXPECT_EQ(test, b->workers[0].ret, 0);
}

/* Shutdown fails what the daemons hold and what waits; take says so. */
static void upcall_shutdown(struct kunit *test)
{
	struct cacheproxy_cache *cache = user_cache(test, 60000);
	struct cacheproxy_upcall *up = cacheproxy_cache_upcall(cache);
	struct fake_daemon *fd = fake_attach(test, up);
	struct cacheproxy_kunit_burst *b1, *b2;
	struct cacheproxy_stats st;
	size_t len;

	b1 = lookup_in_thread(test, cache, "held", 1);
	KUNIT_ASSERT_EQ(test, fake_take(test, fd, 1, &len), 1);
	b2 = lookup_in_thread(test, cache, "queued", 1);
	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_wait_misses(cache, 2, 2, &st));
	KUNIT_ASSERT_TRUE(test, cacheproxy_upcall_readable(up));
	cacheproxy_cache_shutdown(cache);
	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_burst_join(b1));
	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_burst_join(b2));
	KUNIT_EXPECT_EQ(test, b1->workers[0].ret, -ESHUTDOWN);
	KUNIT_EXPECT_EQ(test, b2->workers[0].ret, -ESHUTDOWN);
	KUNIT_EXPECT_EQ(test, cacheproxy_upcall_take(up, &fd->d, fd->buf,
						     sizeof(fd->buf)),
			-ESHUTDOWN);
	KUNIT_EXPECT_EQ(test, cacheproxy_upcall_answer(up, &fd->d,
						       fake_req(fd, 0)->id, 0,
						       "x", 1), -ESTALE);
}

/*
 * A daemon that answers every request with @val until all of @b's threads
 * are done (or CACHEPROXY_KUNIT_JOIN_MS passed). Returns the requests it
 * answered.
 */
static unsigned int fake_serve(struct kunit *test, struct fake_daemon *fd,
			       struct cacheproxy_kunit_burst *b,
			       const char *val)
{
	unsigned long deadline = jiffies +
				 msecs_to_jiffies(CACHEPROXY_KUNIT_JOIN_MS);
	unsigned int n = 0;
	size_t off;
	ssize_t len;

	while (atomic_read_acquire(&b->done) < b->nr &&
	       time_before(jiffies, deadline)) {
		len = cacheproxy_upcall_take(fd->up, &fd->d, fd->buf,
					     sizeof(fd->buf));
		KUNIT_ASSERT_GE(test, len, 0);
		for (off = 0; off < len;
		     off += ALIGN(fake_req(fd, off)->size +
				  fake_req(fd, off)->key_len, 8), n++)
			KUNIT_EXPECT_EQ(test,
					cacheproxy_upcall_answer(fd->up, &fd->d,
								 fake_req(fd, off)->id,
								 0, val,
								 strlen(val)),
					0);
		if (!len)
			usleep_range(500, 1000);
	}
	return n;
}

/*
 * A burst of callers of one key: one request where the strategy
 * deduplicates, one per caller where it does not (spinlock). Every caller
 * has missed before the daemon answers anything; then the daemon answers
 * whatever comes until every caller is done.
 */
static void upcall_burst(struct kunit *test)
{
	const enum cacheproxy_strategy *s = test->param_value;
	unsigned int want = cacheproxy_strategy_dedup(*s) ?
			    1 : CACHEPROXY_KUNIT_THREADS;
	struct cacheproxy_cache *cache = user_cache(test, 60000);
	struct fake_daemon *fd = fake_attach(test,
					     cacheproxy_cache_upcall(cache));
	struct cacheproxy_kunit_burst *b;
	struct cacheproxy_stats st;
	unsigned int i, answered;

	b = cacheproxy_kunit_burst_alloc(test, cache,
					 cacheproxy_kunit_lookup_one);
	b->key = "hot";
	cacheproxy_kunit_burst_start(test, b, CACHEPROXY_KUNIT_THREADS);
	cacheproxy_kunit_burst_go(b);
	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_wait_misses(cache,
							     CACHEPROXY_KUNIT_THREADS,
							     want, &st));
	answered = fake_serve(test, fd, b, "hotval");
	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_burst_join(b));
	KUNIT_EXPECT_EQ(test, answered, want);
	for (i = 0; i < CACHEPROXY_KUNIT_THREADS; i++) {
		KUNIT_EXPECT_EQ(test, b->workers[i].ret, 0);
		KUNIT_EXPECT_EQ(test, b->workers[i].val_len, 6);
	}
	cacheproxy_kunit_stats(cache, &st);
	KUNIT_EXPECT_EQ(test, st.loads_started, want);
}

static struct kunit_case cacheproxy_upcall_cases[] = {
	KUNIT_CASE_PARAM(upcall_value, cacheproxy_kunit_strategies),
	KUNIT_CASE_PARAM(upcall_long_value, cacheproxy_kunit_strategies),
	KUNIT_CASE_PARAM(upcall_errors, cacheproxy_kunit_strategies),
	KUNIT_CASE_PARAM(upcall_malformed, cacheproxy_kunit_strategies),
	KUNIT_CASE_PARAM(upcall_no_daemon, cacheproxy_kunit_strategies),
	KUNIT_CASE_PARAM(upcall_timeout, cacheproxy_kunit_strategies),
	KUNIT_CASE_PARAM(upcall_detach, cacheproxy_kunit_strategies),
	KUNIT_CASE_PARAM(upcall_untake, cacheproxy_kunit_strategies),
	KUNIT_CASE_PARAM(upcall_shutdown, cacheproxy_kunit_strategies),
	KUNIT_CASE_PARAM(upcall_burst, cacheproxy_kunit_strategies),
	{}
};

static struct kunit_suite cacheproxy_upcall_suite = {
	.name = "cacheproxy_upcall",
	.test_cases = cacheproxy_upcall_cases,
};

kunit_test_suites(&cacheproxy_upcall_suite);
