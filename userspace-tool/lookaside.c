// SPDX-License-Identifier: GPL-2.0
/*
 * The look-aside pattern over memcached and its database (see
 * lookaside.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include <linux/cacheproxy.h>

#include "lookaside.h"
#include "memcached.h"
#include "options.h"

/**
 * struct cp_la - the server's control connection and the database
 * @ctl:	the main thread's connection: flush, warm-up, stats
 * @fresh:	every value in the cache came from this run's database
 * @lock:	the database: held across each query's sleep; protects
 *		@queries, @values, @failures, @query_ns and the writes of
 *		@loads
 * @loads:	queries of each CP_KEY_NORMAL key; read without @lock
 */
struct cp_la {
	const struct cp_opts *o;
	struct cp_mc *ctl;
	bool fresh;
	pthread_mutex_t lock;
	uint64_t queries;
	uint64_t values;
	uint64_t failures;
	uint64_t query_ns;
	_Atomic uint32_t *loads;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

struct cp_la *cp_la_open(const struct cp_opts *o, char *err, size_t err_size)
{
	struct cp_mc_stats st;
	struct cp_la *la = calloc(1, sizeof(*la));
	int ret;

	if (!la) {
		snprintf(err, err_size, "%s", strerror(ENOMEM));
		return NULL;
	}
	la->o = o;
	pthread_mutex_init(&la->lock, NULL);
	la->loads = calloc(o->keys, sizeof(*la->loads));
	if (!la->loads) {
		snprintf(err, err_size, "%s", strerror(ENOMEM));
		goto fail;
	}
	if (cp_mc_connect(o->memcached, &la->ctl, err, err_size))
		goto fail;
	ret = cp_mc_stats(la->ctl, &st);
	if (ret) {
		snprintf(err, err_size, "does not answer \"stats\": %s",
			 cp_mc_last_error(la->ctl));
		goto fail;
	}
	return la;
fail:
	cp_la_close(la);
	return NULL;
}

void cp_la_close(struct cp_la *la)
{
	if (!la)
		return;
	cp_mc_close(la->ctl);
	pthread_mutex_destroy(&la->lock);
	free(la->loads);
	free(la);
}

/* Store "K:1" for every key, CP_MC_PIPE_MAX sets at a time. */
static int warm(struct cp_la *la)
{
	static char keys[CP_MC_PIPE_MAX][CACHEPROXY_KEY_MAX + 1];
	static char vals[CP_MC_PIPE_MAX][CACHEPROXY_KEY_MAX + 4];
	static struct cp_mc_item items[CP_MC_PIPE_MAX];
	const struct cp_opts *o = la->o;
	uint64_t k = 0;
	unsigned int i;
	int ret;

	while (k < o->keys) {
		for (i = 0; i < CP_MC_PIPE_MAX && k < o->keys; i++, k++) {
			size_t len = cp_key_format(keys[i], CP_KEY_NORMAL,
						   o->prefix, k);

			items[i] = (struct cp_mc_item) {
				.key = keys[i],
				.key_len = len,
				.val = vals[i],
				.val_len = (size_t)snprintf(vals[i],
							    sizeof(vals[i]),
							    "%s:1", keys[i]),
			};
			atomic_store(&la->loads[k], 1);
		}
		ret = cp_mc_set_many(la->ctl, items, i);
		if (ret)
			return ret;
		la->queries += i;
		la->values += i;
	}
	return 0;
}

int cp_la_prepare(struct cp_la *la, char *err, size_t err_size)
{
	const struct cp_opts *o = la->o;
	int ret;

	if (o->flush) {
		ret = cp_mc_flush_all(la->ctl);
		if (ret) {
			snprintf(err, err_size, "flush_all: %s",
				 cp_mc_last_error(la->ctl));
			return -1;
		}
	}
	if (o->scenario == CP_SCENARIO_HIT) {
		ret = warm(la);
		if (ret) {
			snprintf(err, err_size, "storing the keys (--scenario hit): %s",
				 cp_mc_last_error(la->ctl));
			return -1;
		}
	}
	la->fresh = o->flush || o->scenario == CP_SCENARIO_HIT;
	return 0;
}

static void sleep_us(unsigned int us)
{
	struct timespec ts = {
		.tv_sec = us / 1000000,
		.tv_nsec = (long)(us % 1000000) * 1000,
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
		;
}

/*
 * The database: one query at a time, each holding the lock across the
 * sleep. The thread's timer slack is set to 1 ns first, so that a 10 us
 * sleep is not stretched by the default slack of 50 us.
 */
static int query(struct cp_la *la, enum cp_key_kind kind, uint64_t num,
		 const char *key, size_t key_len, char *val, size_t val_size,
		 size_t *val_len)
{
	static __thread bool slack_set;
	uint64_t t0, n = 0;
	int ret = 0;

	if (!slack_set) {
		prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
		slack_set = true;
	}
	pthread_mutex_lock(&la->lock);
	t0 = now_ns();
	if (la->o->delay_us)
		sleep_us(la->o->delay_us);
	la->queries++;
	if (kind == CP_KEY_ENOENT) {
		ret = ENOENT;
	} else if (kind == CP_KEY_EIO) {
		ret = EIO;
	} else {
		n = atomic_load_explicit(&la->loads[num],
					 memory_order_relaxed) + 1;
		/* before the value is set: see cp_la_loads() */
		atomic_store_explicit(&la->loads[num], (uint32_t)n,
				      memory_order_release);
	}
	if (ret)
		la->failures++;
	else
		la->values++;
	la->query_ns += now_ns() - t0;
	pthread_mutex_unlock(&la->lock);

	if (ret)
		return ret;
	*val_len = (size_t)snprintf(val, val_size, "%.*s:%llu", (int)key_len,
				    key, (unsigned long long)n);
	return 0;
}

int cp_la_lookup(struct cp_la *la, struct cp_mc *mc, enum cp_key_kind kind,
		 uint64_t num, const char *key, size_t key_len, char *val,
		 size_t val_size, size_t *val_len)
{
	int ret = cp_mc_get(mc, key, key_len, val, val_size, val_len);

	if (ret)
		return ret > 0 ? 0 : ret;
	ret = query(la, kind, num, key, key_len, val, val_size, val_len);
	if (ret)
		return ret;
	return cp_mc_set(mc, key, key_len, val, *val_len);
}

/*
 * A value the caller got from memcached was set after query() counted it,
 * and reached the caller through system calls: the count read here, after
 * the get returned, includes it.
 */
uint64_t cp_la_loads(const struct cp_la *la, uint64_t num)
{
	if (!la->fresh)
		return UINT64_MAX;
	return atomic_load_explicit(&la->loads[num], memory_order_acquire);
}

int cp_la_stats(struct cp_la *la, struct cp_la_stats *st)
{
	int ret = cp_mc_stats(la->ctl, &st->server);

	pthread_mutex_lock(&la->lock);
	st->queries = la->queries;
	st->values = la->values;
	st->failures = la->failures;
	st->query_ns = la->query_ns;
	pthread_mutex_unlock(&la->lock);
	return ret;
}

const char *cp_la_last_error(const struct cp_la *la)
{
	return cp_mc_last_error(la->ctl);
}

void cp_la_stats_map(const struct cp_la_stats *st,
		     struct cacheproxy_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->size = sizeof(*out);
	out->lookups = st->server.cmd_get;
	out->hits = st->server.get_hits;
	out->misses = st->server.get_misses;
	out->loads_started = st->queries;
	out->loads_ok = st->values;
	out->loads_failed = st->failures;
	out->evictions = st->server.evictions;
	out->invalidations = st->server.delete_hits;
	out->entries = st->server.curr_items;
	out->bytes = st->server.bytes;
	snprintf(out->strategy, sizeof(out->strategy), "memcached");
}

/* What the summary and the JSON give of memcached's "stats". */
static const struct {
	const char *name;
	size_t off;
	bool gauge;		/* a level, not a counter: no delta */
} server_fields[] = {
#define F(x, g) { #x, offsetof(struct cp_mc_stats, x), g }
	F(cmd_get, false),
	F(get_hits, false),
	F(get_misses, false),
	F(cmd_set, false),
	F(delete_hits, false),
	F(delete_misses, false),
	F(cmd_flush, false),
	F(evictions, false),
	F(curr_items, true),
	F(bytes, true),
	F(limit_maxbytes, true),
	F(curr_connections, true),
	F(threads, true),
#undef F
};

#define NR_SERVER_FIELDS (sizeof(server_fields) / sizeof(server_fields[0]))

/* Field @i of @a, less the same of @b for a counter. */
static unsigned long long server_field(const struct cp_mc_stats *a,
				       const struct cp_mc_stats *b,
				       unsigned int i)
{
	uint64_t va, vb;

	memcpy(&va, (const char *)a + server_fields[i].off, sizeof(va));
	memcpy(&vb, (const char *)b + server_fields[i].off, sizeof(vb));
	return server_fields[i].gauge ? va : va - vb;
}

static double mean_query_ns(const struct cp_la_stats *b,
			    const struct cp_la_stats *a)
{
	uint64_t q = a->queries - b->queries;

	return q ? (double)(a->query_ns - b->query_ns) / (double)q : 0.0;
}

void cp_la_report_text(FILE *f, const struct cp_la_stats *b,
		       const struct cp_la_stats *a)
{
	unsigned int i;

	fprintf(f, "memcached     %s, counters after - before\n",
		a->server.version);
	for (i = 0; i < NR_SERVER_FIELDS; i++)
		fprintf(f, "  %-16s %llu%s\n", server_fields[i].name,
			server_field(&a->server, &b->server, i),
			server_fields[i].gauge ? " (now)" : "");
	fprintf(f, "database      %llu queries: %llu values, %llu failures; %.1f us each on average, one at a time\n",
		(unsigned long long)(a->queries - b->queries),
		(unsigned long long)(a->values - b->values),
		(unsigned long long)(a->failures - b->failures),
		mean_query_ns(b, a) / 1e3);
}

void cp_la_report_json(FILE *f, const struct cp_opts *o,
		       const struct cp_la_stats *b,
		       const struct cp_la_stats *a)
{
	unsigned int i;

	fprintf(f, ", \"version\": \"%s\", \"delay_us\": %u,\n",
		a->server.version, o->delay_us);
	fputs("    \"server\": {", f);
	for (i = 0; i < NR_SERVER_FIELDS; i++)
		fprintf(f, "%s\"%s\": %llu", i ? ", " : "",
			server_fields[i].name,
			server_field(&a->server, &b->server, i));
	fprintf(f, "},\n    \"database\": {\"queries\": %llu, \"values\": %llu, \"failures\": %llu, \"mean_query_ns\": %.1f}},\n",
		(unsigned long long)(a->queries - b->queries),
		(unsigned long long)(a->values - b->values),
		(unsigned long long)(a->failures - b->failures),
		mean_query_ns(b, a));
}
