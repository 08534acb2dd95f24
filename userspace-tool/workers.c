// SPDX-License-Identifier: GPL-2.0
/*
 * cacheproxy-stress worker threads (see workers.h for the two shapes of
 * run). Every answer goes through cp_verify_answer(), or with --expect
 * through cp_expect_verify(); the decider of a burst group also compares
 * the N that the members saw.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/cacheproxy.h>

#include "client.h"
#include "expect.h"
#include "lookaside.h"
#include "memcached.h"
#include "uring.h"
#include "verify.h"
#include "workers.h"

#define CP_LOG_MAX	10	/* wrong answers and errors printed in full */
#define VAL_SIZE	(CACHEPROXY_VALUE_MAX + 2)	/* room for '\n' */

/* Per-worker buffers for one call (up to --batch keys). */
struct cp_wbuf {
	char key[CACHEPROXY_BATCH_MAX][CACHEPROXY_KEY_MAX + 1];
	size_t key_len[CACHEPROXY_BATCH_MAX];
	char val[CACHEPROXY_BATCH_MAX][VAL_SIZE];
	struct cacheproxy_batch_item item[CACHEPROXY_BATCH_MAX];
	struct cacheproxy_get get[CACHEPROXY_BATCH_MAX];
	int res[CACHEPROXY_BATCH_MAX];
	uint64_t num[CACHEPROXY_BATCH_MAX];
	uint64_t n[CACHEPROXY_BATCH_MAX];
};

enum mix_op {
	MIX_LOOKUP,
	MIX_INVAL,
	MIX_FLUSH,
	MIX_ENOENT,
	MIX_EIO,
};

uint64_t cp_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Printable copy of @s for a diagnostic: non-printing bytes as \xNN. */
static void quote(char *out, size_t out_size, const char *s, size_t len)
{
	size_t o = 0, i;

	for (i = 0; i < len && o + 5 < out_size; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, out_size - o, "\\x%02x", c);
	}
	out[o] = '\0';
}

__attribute__((format(printf, 2, 3)))
static void report_problem(struct cp_run *run, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&run->log_lock);
	if (run->logged < CP_LOG_MAX) {
		fputs("cacheproxy-stress: ", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
		if (++run->logged == CP_LOG_MAX)
			fputs("cacheproxy-stress: (further problems are only counted)\n",
			      stderr);
	}
	pthread_mutex_unlock(&run->log_lock);
}

/* True when @err is an injected fault the run tolerates (counted). */
static bool tolerated(struct cp_worker *w, int err)
{
	if (err != ENOMEM || !w->run->opts->allow_enomem)
		return false;
	w->tolerated++;
	return true;
}

static void count_error(struct cp_worker *w, int err)
{
	w->errors++;
	w->errs[err < CP_ERRNO_SLOTS ? err : CP_ERRNO_SLOTS - 1]++;
}

static void mark_seen(struct cp_worker *w, enum cp_key_kind kind,
		      uint64_t num)
{
	_Atomic uint64_t *word = &w->run->seen[kind][num / 64];
	uint64_t bit = 1ULL << (num % 64);

	if (atomic_load_explicit(word, memory_order_relaxed) & bit)
		return;
	if (!(atomic_fetch_or_explicit(word, bit, memory_order_relaxed) & bit))
		w->distinct++;
}

/*
 * What @key should have answered, for the message of a wrong answer that
 * was an error (@err) or a value.
 */
static void describe_expected(const struct cp_opts *o, const char *key,
			      size_t key_len, int err, char *out,
			      size_t out_size)
{
	int expected = cp_key_expected_errno(key, key_len);
	const char *want;
	size_t want_len;

	if (!o->expect) {
		snprintf(out, out_size, "%s",
			 expected ? strerrorname_np(expected) :
			 err ? "a value" : "KEY:N");
	} else if (cp_expect_find(o->expect, key, key_len, &want, &want_len)) {
		out[0] = '"';
		quote(out + 1, out_size - 2, want, want_len);
		strcat(out, "\"");
	} else {
		snprintf(out, out_size, "ENOENT (not in --expect FILE)");
	}
}

/* Judge one answer and count it; *n gets N or 0. */
static void judge(struct cp_worker *w, const char *key, size_t key_len,
		  int err, const char *val, size_t val_len, uint64_t *n)
{
	char qkey[4 * CACHEPROXY_KEY_MAX + 8], qval[4 * VAL_SIZE + 8];
	char qwant[4 * VAL_SIZE + 8];
	const struct cp_opts *o = w->run->opts;
	enum cp_verdict v;

	*n = 0;
	if (o->expect)
		v = cp_expect_verify(o->expect, key, key_len, err, val,
				     val_len);
	else
		v = cp_verify_answer(key, key_len, err, val, val_len, n);
	switch (v) {
	case CP_ANSWER_OK:
		return;
	case CP_ANSWER_EXPECTED_ERR:
		w->expected[err < CP_ERRNO_SLOTS ? err : CP_ERRNO_SLOTS - 1]++;
		return;
	case CP_ANSWER_WRONG:
		w->wrong++;
		quote(qkey, sizeof(qkey), key, key_len);
		describe_expected(o, key, key_len, err, qwant, sizeof(qwant));
		if (err) {
			report_problem(w->run, "wrong answer: key \"%s\": error %s, expected %s",
				       qkey, strerrorname_np(err), qwant);
		} else {
			quote(qval, sizeof(qval), val, val_len);
			report_problem(w->run, "wrong answer: key \"%s\": value \"%s\", expected %s",
				       qkey, qval, qwant);
		}
		return;
	case CP_ANSWER_ERROR:
		if (tolerated(w, err))
			return;
		count_error(w, err);
		quote(qkey, sizeof(qkey), key, key_len);
		report_problem(w->run, "key \"%s\": %s", qkey, strerror(err));
		return;
	}
}

/*
 * --via memcached: @err is cp_la_lookup()'s. memcached's own errors are
 * counted and stop the run when the connection is dead; the database's
 * answers are judged as the loader's, and a value's N must be one the
 * database gave when every cached value came from this run.
 */
static void memcached_judge(struct cp_worker *w, struct cp_wbuf *b,
			    enum cp_key_kind kind, int err, size_t vlen,
			    uint64_t *n)
{
	char qkey[4 * CACHEPROXY_KEY_MAX + 8];
	uint64_t loads;

	*n = 0;
	if (err < 0) {
		count_error(w, -err);
		quote(qkey, sizeof(qkey), b->key[0], b->key_len[0]);
		report_problem(w->run, "memcached: key \"%s\": %s (%s)", qkey,
			       strerror(-err), cp_mc_last_error(w->mc));
		if (err != -EREMOTEIO)
			atomic_store(&w->run->stop, true);
		return;
	}
	judge(w, b->key[0], b->key_len[0], err, b->val[0], vlen, n);
	if (!*n || kind != CP_KEY_NORMAL)
		return;
	loads = cp_la_loads(w->run->opts->la, b->num[0]);
	if (*n <= loads)
		return;
	w->wrong++;
	quote(qkey, sizeof(qkey), b->key[0], b->key_len[0]);
	report_problem(w->run, "wrong answer: key \"%s\": value with N=%llu, but the database answered it only %llu times",
		       qkey, (unsigned long long)*n, (unsigned long long)loads);
	*n = 0;
}

/*
 * Look up b->num[0..count) of @kind in one call (count > 1 only with
 * --via batch), judge every answer and leave each N (0 for none) in @n.
 */
static void do_lookups(struct cp_worker *w, struct cp_wbuf *b,
		       enum cp_key_kind kind, unsigned int count, uint64_t *n)
{
	const struct cp_opts *o = w->run->opts;
	struct cp_proc proc;
	uint64_t t0, t1;
	unsigned int i;
	size_t vlen = 0;
	int err = 0;

	for (i = 0; i < count; i++) {
		b->key_len[i] = cp_key_format(b->key[i], kind, o->prefix,
					      b->num[i]);
		mark_seen(w, kind, b->num[i]);
	}

	t0 = cp_now_ns();
	switch (o->via) {
	case CP_VIA_IOCTL:
		err = -cp_dev_get(w->fd, b->key[0], b->key_len[0], b->val[0],
				  VAL_SIZE, &vlen);
		break;
	case CP_VIA_PROC:
		proc.fd = w->fd;
		proc.stream = w->proc_stream;
		err = -cp_proc_get(&proc, b->key[0], b->key_len[0], b->val[0],
				   VAL_SIZE, &vlen);
		w->proc_stream = proc.stream;
		break;
	case CP_VIA_BATCH:
		for (i = 0; i < count; i++) {
			b->item[i] = (struct cacheproxy_batch_item) {
				.key = (uintptr_t)b->key[i],
				.value = (uintptr_t)b->val[i],
				.key_len = (__u32)b->key_len[i],
				.value_size = VAL_SIZE,
				.status = 1,	/* must be overwritten */
			};
		}
		err = -cp_dev_get_batch(w->fd, b->item, count);
		break;
	case CP_VIA_URING:
		for (i = 0; i < count; i++) {
			b->get[i] = (struct cacheproxy_get) {
				.key = (uintptr_t)b->key[i],
				.value = (uintptr_t)b->val[i],
				.key_len = (__u32)b->key_len[i],
				.value_size = VAL_SIZE,
			};
			b->res[i] = INT_MIN;	/* must be overwritten */
		}
		err = -cp_uring_get_many(w->uring, w->fd, b->get, b->res,
					 count);
		break;
	case CP_VIA_NOOP:
		err = -cp_dev_noop(w->fd);
		break;
	case CP_VIA_MEMCACHED:
		err = cp_la_lookup(o->la, w->mc, kind, b->num[0], b->key[0],
				   b->key_len[0], b->val[0], VAL_SIZE, &vlen);
		break;
	}
	t1 = cp_now_ns();
	cp_hist_add(&w->hist, t1 - t0);
	w->calls++;
	atomic_store_explicit(&w->ops,
			      atomic_load_explicit(&w->ops,
						   memory_order_relaxed) + count,
			      memory_order_relaxed);

	if (o->via == CP_VIA_NOOP) {
		n[0] = 0;
		if (err == ENOTTY)
			return;
		w->wrong++;
		report_problem(w->run, "wrong answer: unknown ioctl: %s, expected ENOTTY",
			       err ? strerrorname_np(err) : "success");
		return;
	}
	if (o->via == CP_VIA_MEMCACHED) {
		memcached_judge(w, b, kind, err, vlen, &n[0]);
		return;
	}
	if (o->via != CP_VIA_BATCH && o->via != CP_VIA_URING) {
		judge(w, b->key[0], b->key_len[0], err, b->val[0], vlen, &n[0]);
		return;
	}
	if (err) {
		/* the call failed as a whole: every key counts the error */
		for (i = 0; i < count; i++)
			n[i] = 0;
		if (tolerated(w, err))
			return;
		for (i = 0; i < count; i++)
			count_error(w, err);
		report_problem(w->run, "%s of %u keys: %s",
			       o->via == CP_VIA_URING ? "io_uring" : "GET_BATCH",
			       count, strerror(err));
		return;
	}
	for (i = 0; i < count && o->via == CP_VIA_URING; i++) {
		int r = b->res[i];

		if (r == INT_MIN || r > VAL_SIZE) {
			/* no CQE, or a length beyond the buffer */
			w->wrong++;
			report_problem(w->run, "wrong answer: io_uring command %u: res %d",
				       i, r);
			n[i] = 0;
			continue;
		}
		judge(w, b->key[i], b->key_len[i], r < 0 ? -r : 0, b->val[i],
		      r < 0 ? 0 : (size_t)r, &n[i]);
	}
	for (i = 0; i < count && o->via == CP_VIA_BATCH; i++) {
		struct cacheproxy_batch_item *it = &b->item[i];
		int st = it->status;

		if (st > 0 || (!st && it->value_len > VAL_SIZE)) {
			/* status or length never written back */
			w->wrong++;
			report_problem(w->run, "wrong answer: GET_BATCH item %u: status %d, value_len %u",
				       i, st, it->value_len);
			n[i] = 0;
			continue;
		}
		judge(w, b->key[i], b->key_len[i], -st, b->val[i],
		      st ? 0 : it->value_len, &n[i]);
	}
}

static enum mix_op roll_mix(const struct cp_mix *m, struct cp_rng *r)
{
	double x;

	if (m->inval + m->flush + m->enoent + m->eio <= 0)
		return MIX_LOOKUP;
	x = cp_rng_double(r) * 100.0;
	if (x < m->inval)
		return MIX_INVAL;
	x -= m->inval;
	if (x < m->flush)
		return MIX_FLUSH;
	x -= m->flush;
	if (x < m->enoent)
		return MIX_ENOENT;
	x -= m->enoent;
	if (x < m->eio)
		return MIX_EIO;
	return MIX_LOOKUP;
}

static enum cp_key_kind mix_kind(enum mix_op op)
{
	return op == MIX_ENOENT ? CP_KEY_ENOENT :
	       op == MIX_EIO ? CP_KEY_EIO : CP_KEY_NORMAL;
}

/* --mix inval and flush, on the shared device fd. */
static void do_mix_op(struct cp_worker *w, enum mix_op op, struct cp_rng *r)
{
	const struct cp_opts *o = w->run->opts;
	char key[CACHEPROXY_KEY_MAX + 1];
	size_t len;
	int err;

	if (op == MIX_INVAL) {
		len = cp_key_format(key, CP_KEY_NORMAL, o->prefix,
				    cp_rng_below(r, o->keys));
		if (o->via == CP_VIA_MEMCACHED) {
			err = cp_mc_delete(w->mc, key, len);
			err = err < 0 ? -err : 0;
		} else {
			err = -cp_dev_invalidate(w->run->stats_fd, key, len);
		}
		w->mix_inval++;
		if (err) {
			count_error(w, err);
			report_problem(w->run, "invalidate \"%s\": %s", key,
				       strerror(err));
		}
	} else {
		err = o->via == CP_VIA_MEMCACHED ? -cp_mc_flush_all(w->mc) :
						   -cp_dev_flush(w->run->stats_fd);
		w->mix_flush++;
		if (err) {
			count_error(w, err);
			report_problem(w->run, "flush: %s", strerror(err));
		}
	}
}

static bool take_ops(struct cp_run *run, uint64_t n)
{
	if (!run->opts->ops)
		return true;
	return atomic_fetch_add(&run->reserved, n) < run->opts->ops;
}

/* uniform and zipf: every thread on its own */
static void random_loop(struct cp_worker *w, struct cp_wbuf *b)
{
	struct cp_run *run = w->run;
	const struct cp_opts *o = run->opts;
	unsigned int i;

	while (!atomic_load_explicit(&run->stop, memory_order_relaxed)) {
		enum mix_op op = roll_mix(&o->mix, &w->rng);

		if (!take_ops(run, op == MIX_INVAL || op == MIX_FLUSH ?
				   1 : o->batch))
			break;
		if (op == MIX_INVAL || op == MIX_FLUSH) {
			do_mix_op(w, op, &w->rng);
			continue;
		}
		for (i = 0; i < o->batch; i++) {
			b->num[i] = o->scenario == CP_SCENARIO_ZIPF ?
				    cp_zipf_sample(&run->zipf, &w->rng) - 1 :
				    cp_rng_below(&w->rng, o->keys);
		}
		do_lookups(w, b, mix_kind(op), o->batch, b->n);
	}
}

static unsigned int subgroup_size(const struct cp_group *g,
				  unsigned int burst, unsigned int sub)
{
	unsigned int first = sub * burst;

	return g->size - first < burst ? g->size - first : burst;
}

/*
 * The decider, part 1: the step that just ended. Every member has arrived
 * at the barrier, so every slot of the step is written and no one else
 * touches the group until the decider publishes the next step.
 */
static void check_step(struct cp_worker *w, struct cp_group *g)
{
	struct cp_run *run = w->run;
	const struct cp_opts *o = run->opts;
	unsigned int burst = o->burst, sub, first, size, m, i, j;
	/* --same-key: every slot of a member is the same key */
	unsigned int keys = o->same_key ? 1 : o->batch;
	unsigned int per = o->same_key ? o->batch : 1;
	char key[CACHEPROXY_KEY_MAX + 1];
	struct cacheproxy_stats st;

	if (!run->same_n || g->kind != CP_KEY_NORMAL)
		return;
	sub = (unsigned int)(g->step % g->subgroups);
	first = sub * burst;
	size = subgroup_size(g, burst, sub);
	if (size * per < 2)
		return;
	for (i = 0; i < keys; i++) {
		uint64_t ref = 0, other = 0;

		for (m = first; m < first + size; m++) {
			for (j = 0; j < per; j++) {
				uint64_t n = g->slot[m * o->batch +
						     (o->same_key ? j : i)];

				if (!n)
					continue;	/* an error, counted */
				if (!ref)
					ref = n;
				else if (n != ref && !other)
					other = n;
			}
		}
		if (!ref)
			continue;
		g->same_n_checked++;
		if (!other)
			continue;
		/* Removed during the run? Then a reload may be legitimate. */
		if (!cp_dev_stats(run->stats_fd, &st) &&
		    st.evictions + st.expirations + st.invalidations !=
		    run->removals0) {
			g->same_n_excused++;
			continue;
		}
		g->same_n_wrong++;
		cp_key_format(key, CP_KEY_NORMAL, o->prefix,
			      (g->base + i) % o->keys);
		report_problem(run, "wrong answer: key \"%s\": one burst of a deduplicating strategy saw N=%llu and N=%llu",
			       key, (unsigned long long)ref,
			       (unsigned long long)other);
	}
}

/* The decider, part 2: go on or stop, and what the next step asks for. */
static void decide(struct cp_worker *w, struct cp_group *g)
{
	struct cp_run *run = w->run;
	const struct cp_opts *o = run->opts;
	uint64_t s = g->bursts;
	unsigned int sub = (unsigned int)(s % g->subgroups);
	enum mix_op op;

	if (g->has_step)
		check_step(w, g);
	if (atomic_load(&run->stop) ||
	    !take_ops(run, (uint64_t)subgroup_size(g, o->burst, sub) *
			   o->batch)) {
		g->stop = true;
		return;
	}
	op = roll_mix(&o->mix, &g->rng);
	if (op == MIX_INVAL || op == MIX_FLUSH)
		do_mix_op(w, op, &g->rng);
	g->kind = mix_kind(op);
	g->step = s;
	/*
	 * --same-key: bursts take the keys in turn across all groups (the
	 * groups run unevenly: a per-group stride would wrap onto a group's
	 * own cached keys while others' keys were never asked).
	 */
	if (o->same_key)
		g->base = atomic_fetch_add(&run->next_key, 1) % o->keys;
	else
		g->base = (s * run->ngroups + g->index) * o->batch % o->keys;
	g->has_step = true;
	g->bursts++;
}

/*
 * The group barrier: a sense-reversing barrier on a futex. The last member
 * to arrive is the decider: the others sleep on @generation, so it has the
 * group to itself until it publishes the next step by bumping @generation
 * (release) and waking them. No mutex: woken members do not queue on one.
 */
static void group_meet(struct cp_worker *w, struct cp_group *g)
{
	uint32_t gen = atomic_load_explicit(&g->generation,
					    memory_order_acquire);

	if (atomic_fetch_add_explicit(&g->arrived, 1,
				      memory_order_acq_rel) + 1 == g->size) {
		decide(w, g);
		atomic_store_explicit(&g->arrived, 0, memory_order_relaxed);
		atomic_store_explicit(&g->generation, gen + 1,
				      memory_order_release);
		syscall(SYS_futex, &g->generation, FUTEX_WAKE_PRIVATE,
			INT_MAX, NULL, NULL, 0);
		return;
	}
	while (atomic_load_explicit(&g->generation,
				    memory_order_acquire) == gen)
		syscall(SYS_futex, &g->generation, FUTEX_WAIT_PRIVATE, gen,
			NULL, NULL, 0);
}

/* singlekey and multikey: meet, let the last one decide, run the step */
static void burst_loop(struct cp_worker *w, struct cp_wbuf *b)
{
	const struct cp_opts *o = w->run->opts;
	struct cp_group *g = w->group;
	unsigned int sub = w->member / o->burst, i;

	for (;;) {
		group_meet(w, g);
		/* g->stop .. g->base stay put until every member met again */
		if (g->stop)
			break;
		if (g->step % g->subgroups != sub)
			continue;
		for (i = 0; i < o->batch; i++)
			b->num[i] = (g->base + (o->same_key ? 0 : i)) % o->keys;
		do_lookups(w, b, g->kind, o->batch,
			   &g->slot[w->member * o->batch]);
	}
}

static void *worker_main(void *arg)
{
	struct cp_worker *w = arg;
	struct cp_run *run = w->run;
	struct cp_wbuf *b = malloc(sizeof(*b));

	/* wait for the gate; a run that could not start every thread
	 * aborts here, as a burst group would wait for a missing member */
	pthread_mutex_lock(&run->gate_lock);
	run->ready++;
	pthread_cond_broadcast(&run->gate_cond);
	while (!run->gate)
		pthread_cond_wait(&run->gate_cond, &run->gate_lock);
	pthread_mutex_unlock(&run->gate_lock);

	if (run->abort) {
		/* nothing */
	} else if (!b) {
		count_error(w, ENOMEM);
		report_problem(run, "worker %u: %s", w->index,
			       strerror(ENOMEM));
	} else if (w->group) {
		burst_loop(w, b);
	} else {
		random_loop(w, b);
	}
	w->end_ns = cp_now_ns();
	atomic_fetch_add(&run->finished, 1);
	free(b);
	return NULL;
}

static int setup_groups(struct cp_run *run)
{
	const struct cp_opts *o = run->opts;
	unsigned int i, t;

	if (o->scenario == CP_SCENARIO_SINGLEKEY)
		run->ngroups = 1;
	else if (o->scenario == CP_SCENARIO_MULTIKEY)
		run->ngroups = (o->threads + o->burst - 1) / o->burst;
	else
		return 0;
	run->groups = calloc(run->ngroups, sizeof(*run->groups));
	if (!run->groups)
		return -1;
	for (i = 0; i < run->ngroups; i++) {
		struct cp_group *g = &run->groups[i];

		g->index = i;
		if (o->scenario == CP_SCENARIO_SINGLEKEY) {
			g->size = o->threads;
			g->subgroups = (o->threads + o->burst - 1) / o->burst;
		} else {
			g->size = o->threads - i * o->burst < o->burst ?
				  o->threads - i * o->burst : o->burst;
			g->subgroups = 1;
		}
		g->slot = calloc((size_t)g->size * o->batch, sizeof(*g->slot));
		if (!g->slot)
			return -1;
		cp_rng_seed(&g->rng, o->seed, 1000000 + i);
	}
	for (t = 0; t < o->threads; t++) {
		struct cp_worker *w = &run->workers[t];

		if (o->scenario == CP_SCENARIO_SINGLEKEY) {
			w->group = &run->groups[0];
			w->member = t;
		} else {
			w->group = &run->groups[t / o->burst];
			w->member = t % o->burst;
		}
	}
	return 0;
}

int cp_run_start(struct cp_run *run, const struct cp_opts *opts,
		 int stats_fd, bool dedup, uint64_t removals0)
{
	const char *path = opts->via == CP_VIA_PROC ? opts->proc_lookup :
						      opts->device;
	size_t words = (opts->keys + 63) / 64;
	sigset_t block, old;
	unsigned int i;
	int ret;

	memset(run, 0, sizeof(*run));
	run->opts = opts;
	run->stats_fd = stats_fd;
	run->dedup = dedup;
	run->removals0 = removals0;
	/* --mix inval/flush make differing N legitimate: no check then */
	run->same_n = dedup && cp_scenario_bursts(opts->scenario) &&
		      (opts->burst >= 2 ||
		       (opts->same_key && opts->batch >= 2)) &&
		      opts->mix.inval <= 0 &&
		      opts->mix.flush <= 0 && !opts->expect;
	pthread_mutex_init(&run->log_lock, NULL);
	pthread_mutex_init(&run->gate_lock, NULL);
	pthread_cond_init(&run->gate_cond, NULL);
	if (opts->scenario == CP_SCENARIO_ZIPF)
		cp_zipf_init(&run->zipf, opts->keys, opts->zipf_s);

	run->seen[CP_KEY_NORMAL] = calloc(words, sizeof(uint64_t));
	if (opts->mix.enoent > 0)
		run->seen[CP_KEY_ENOENT] = calloc(words, sizeof(uint64_t));
	if (opts->mix.eio > 0)
		run->seen[CP_KEY_EIO] = calloc(words, sizeof(uint64_t));
	run->workers = calloc(opts->threads, sizeof(*run->workers));
	if (!run->workers) {
		fprintf(stderr, "cacheproxy-stress: %s\n", strerror(ENOMEM));
		return -1;
	}
	for (i = 0; i < opts->threads; i++)
		run->workers[i].fd = -1;
	if (!run->seen[CP_KEY_NORMAL] ||
	    (opts->mix.enoent > 0 && !run->seen[CP_KEY_ENOENT]) ||
	    (opts->mix.eio > 0 && !run->seen[CP_KEY_EIO]) ||
	    setup_groups(run)) {
		fprintf(stderr, "cacheproxy-stress: %s\n", strerror(ENOMEM));
		return -1;
	}

	for (i = 0; i < opts->threads; i++) {
		struct cp_worker *w = &run->workers[i];

		w->run = run;
		w->index = i;
		cp_hist_init(&w->hist);
		cp_rng_seed(&w->rng, opts->seed, i);
		if (opts->via == CP_VIA_MEMCACHED) {
			char msg[160];

			if (!cp_mc_connect(opts->memcached, &w->mc, msg,
					   sizeof(msg)))
				continue;
			fprintf(stderr, "cacheproxy-stress: memcached %s: %s\n",
				opts->memcached, msg);
			return -1;
		}
		w->fd = cp_open(path);
		if (w->fd < 0) {
			fprintf(stderr, "cacheproxy-stress: %s: %s\n", path,
				strerror(-w->fd));
			return -1;
		}
		if (opts->via == CP_VIA_URING) {
			ret = cp_uring_open(&w->uring, opts->batch);
			if (ret) {
				fprintf(stderr, "cacheproxy-stress: io_uring: %s\n",
					strerror(-ret));
				return -1;
			}
		}
	}

	/* SIGINT/SIGTERM go to the main thread only */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	for (i = 0; i < opts->threads; i++) {
		ret = pthread_create(&run->workers[i].thread, NULL,
				     worker_main, &run->workers[i]);
		if (ret) {
			fprintf(stderr, "cacheproxy-stress: cannot start thread %u: %s\n",
				i, strerror(ret));
			break;
		}
		run->nworkers = i + 1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	/* Open the gate once every worker waits at it: all start together. */
	pthread_mutex_lock(&run->gate_lock);
	while (run->ready < run->nworkers)
		pthread_cond_wait(&run->gate_cond, &run->gate_lock);
	run->abort = run->nworkers < opts->threads;
	run->gate = true;
	pthread_cond_broadcast(&run->gate_cond);
	run->start_ns = cp_now_ns();
	pthread_mutex_unlock(&run->gate_lock);
	return run->abort ? -1 : 0;
}

uint64_t cp_run_join(struct cp_run *run)
{
	uint64_t end = run->start_ns;
	unsigned int i;

	for (i = 0; i < run->nworkers; i++) {
		pthread_join(run->workers[i].thread, NULL);
		if (run->workers[i].end_ns > end)
			end = run->workers[i].end_ns;
	}
	return end;
}

void cp_run_free(struct cp_run *run)
{
	unsigned int i;

	if (run->workers) {
		for (i = 0; i < run->opts->threads; i++) {
			if (run->workers[i].fd >= 0)
				close(run->workers[i].fd);
			cp_uring_close(run->workers[i].uring);
			cp_mc_close(run->workers[i].mc);
		}
	}
	for (i = 0; i < run->ngroups && run->groups; i++)
		free(run->groups[i].slot);
	for (i = 0; i < CP_KEY_KINDS; i++)
		free(run->seen[i]);
	free(run->groups);
	free(run->workers);
}

uint64_t cp_run_ops(struct cp_run *run)
{
	uint64_t sum = 0;
	unsigned int i;

	for (i = 0; i < run->nworkers; i++)
		sum += atomic_load_explicit(&run->workers[i].ops,
					    memory_order_relaxed);
	return sum;
}
