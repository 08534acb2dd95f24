// SPDX-License-Identifier: GPL-2.0
/*
 * A user-space stand-in for the module, for testing cacheproxy-stress on a
 * host without it (make fake-stress; never installed). Implements the
 * library's client.h, in place of lib/client.c, over an in-process cache
 * with the loader's contract: one global lock, loads of 10 us outside it,
 * dedup of in-flight keys unless FAKE_DEDUP=0 (as the module, it says
 * which in its stats file's dedup line); FAKE_STRATEGY names it (default:
 * the module's default strategy). FAKE_BUG=key|n|errno|dedup breaks the
 * contract on purpose to prove the checks catch it ("dedup": it says
 * "dedup 1" but every miss loads).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/cacheproxy.h>

#include "client.h"
#include "strategies.h"

#define BUCKETS 65536

struct fentry {
	struct fentry *next;
	char key[CACHEPROXY_KEY_MAX + 1];
	size_t len;
	uint64_t n;		/* 0 while loading */
	int err;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done = PTHREAD_COND_INITIALIZER;
static struct fentry *table[BUCKETS];
static uint64_t seq;
static struct cacheproxy_stats stats;
static int dedup = -1, says_dedup, bug;
static uint64_t calls;

static void setup(void)
{
	const char *s = getenv("FAKE_STRATEGY"), *b = getenv("FAKE_BUG");
	const char *d = getenv("FAKE_DEDUP");

	if (dedup >= 0)
		return;
	snprintf(stats.strategy, sizeof(stats.strategy), "%s",
		 s ? s : cp_strategy_names[CP_STRATEGY_DEFAULT]);
	bug = !b ? 0 : !strcmp(b, "key") ? 1 : !strcmp(b, "n") ? 2 :
	      !strcmp(b, "dedup") ? 4 : 3;
	says_dedup = !(d && !strcmp(d, "0"));
	dedup = bug == 4 ? 0 : says_dedup;
}

static unsigned int hash(const char *k, size_t len)
{
	uint32_t h = 2166136261u;

	while (len--)
		h = (h ^ (unsigned char)*k++) * 16777619u;
	return h % BUCKETS;
}

static struct fentry **find(const char *k, size_t len)
{
	struct fentry **p = &table[hash(k, len)];

	for (; *p; p = &(*p)->next)
		if ((*p)->len == len && !memcmp((*p)->key, k, len))
			return p;
	return p;
}

static int fake_lookup(const char *k, size_t len, uint64_t *n)
{
	struct fentry **p, *e;
	struct timespec d = { 0, 10000 };
	int err = 0;

	pthread_mutex_lock(&lock);
	setup();
	stats.lookups++;
	p = find(k, len);
	if (*p && (*p)->n) {
		stats.hits++;
		*n = (*p)->n;
		pthread_mutex_unlock(&lock);
		return 0;
	}
	stats.misses++;
	if (*p && dedup) {
		e = *p;
		stats.coalesced++;
		while (!e->n && !e->err)
			pthread_cond_wait(&done, &lock);
		*n = e->n;
		err = e->err;
		pthread_mutex_unlock(&lock);
		return -err;
	}
	e = calloc(1, sizeof(*e));
	memcpy(e->key, k, len);
	e->len = len;
	if (!*p)
		*p = e;
	stats.loads_started++;
	pthread_mutex_unlock(&lock);
	nanosleep(&d, NULL);
	pthread_mutex_lock(&lock);
	if (len >= 7 && !memcmp(k, "enoent-", 7))
		err = ENOENT;
	else if (len >= 4 && !memcmp(k, "eio-", 4))
		err = EIO;
	e->err = err;
	e->n = err ? 0 : ++seq;
	*n = e->n;
	pthread_cond_broadcast(&done);
	if (err) {
		/* not cached */
		p = find(k, len);
		if (*p == e) {
			*p = e->next;
			/* waiters still read e: leak it, it is a test */
		}
	}
	pthread_mutex_unlock(&lock);
	return -err;
}

int cp_proc_dedup(const char *path)
{
	int ret;

	(void)path;
	pthread_mutex_lock(&lock);
	setup();
	ret = says_dedup;
	pthread_mutex_unlock(&lock);
	return ret;
}

int cp_open(const char *path)
{
	(void)path;
	return open("/dev/null", O_RDWR | O_CLOEXEC);
}

static int answer(const char *key, size_t key_len, char *val,
		  size_t val_size, size_t *val_len)
{
	uint64_t n = 0;
	int err = fake_lookup(key, key_len, &n), len;

	if (err)
		return err;
	pthread_mutex_lock(&lock);
	calls++;
	if (bug == 2 && calls % 1000 == 0)
		n += 1000;	/* a reload nobody asked for */
	len = snprintf(val, val_size, "%.*s:%llu", (int)key_len, key,
		       (unsigned long long)n);
	if (bug == 1 && calls % 1000 == 0)
		val[0] ^= 1;
	if (bug == 3 && calls % 1000 == 0) {
		pthread_mutex_unlock(&lock);
		return -ENOENT;
	}
	pthread_mutex_unlock(&lock);
	*val_len = (size_t)len;
	return 0;
}

int cp_dev_get(int fd, const char *key, size_t key_len, char *val,
	       size_t val_size, size_t *val_len)
{
	(void)fd;
	*val_len = 0;
	return answer(key, key_len, val, val_size, val_len);
}

int cp_dev_get_batch(int fd, struct cacheproxy_batch_item *items,
		     unsigned int count)
{
	unsigned int i;
	size_t len;

	(void)fd;
	for (i = 0; i < count; i++) {
		items[i].status = answer((const char *)(uintptr_t)items[i].key,
					 items[i].key_len,
					 (char *)(uintptr_t)items[i].value,
					 items[i].value_size, &len);
		items[i].value_len = (__u32)len;
	}
	return 0;
}

int cp_dev_noop(int fd)
{
	(void)fd;
	return -ENOTTY;
}

int cp_dev_invalidate(int fd, const char *key, size_t key_len)
{
	struct fentry **p;

	(void)fd;
	pthread_mutex_lock(&lock);
	p = find(key, key_len);
	if (*p && (*p)->n) {
		*p = (*p)->next;	/* leaked: waiters may hold it */
		stats.invalidations++;
	}
	pthread_mutex_unlock(&lock);
	return 0;
}

int cp_dev_flush(int fd)
{
	unsigned int i;

	(void)fd;
	pthread_mutex_lock(&lock);
	for (i = 0; i < BUCKETS; i++) {
		struct fentry **p = &table[i];

		while (*p) {
			if ((*p)->n) {
				*p = (*p)->next;
				stats.invalidations++;
			} else {
				p = &(*p)->next;
			}
		}
	}
	pthread_mutex_unlock(&lock);
	return 0;
}

int cp_dev_stats(int fd, struct cacheproxy_stats *st)
{
	(void)fd;
	pthread_mutex_lock(&lock);
	setup();
	*st = stats;
	st->size = sizeof(*st);
	st->version = CACHEPROXY_STATS_VERSION;
	st->lat_sample = 1;
	pthread_mutex_unlock(&lock);
	return 0;
}

int cp_proc_get(struct cp_proc *p, const char *key, size_t key_len,
		char *val, size_t val_size, size_t *val_len)
{
	(void)p;
	return cp_dev_get(0, key, key_len, val, val_size, val_len);
}
