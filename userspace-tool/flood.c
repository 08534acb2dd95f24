// SPDX-License-Identifier: GPL-2.0
/*
 * cacheproxy-flood: capacity under a flood of unique keys.
 *
 * Threads look up N distinct keys (GET_BATCH, every answer checked to be
 * "KEY:N") while a sampler reads the entries gauge from
 * /proc/cacheproxy/stats and counts the lines of /proc/cacheproxy/entries:
 * neither may ever exceed the bound (the module's capacity parameter by
 * default). Then a flush, and the module's own slab caches must be empty:
 * exactly zero active objects in "cacheproxy_entry_*" and
 * "cacheproxy_flight" (/proc/slabinfo, after asking SLUB to shrink them through
 * /sys/kernel/slab/NAME/shrink, which empties the per-CPU slabs whose free
 * objects /proc/slabinfo counts as active), polled for a few seconds since
 * entries are freed one RCU grace period after their last put. No
 * tolerance: nothing else allocates from those caches. The check also
 * requires that the full cache was visible there (at least bound / 2
 * entry objects during the flood), so that it cannot pass by measuring a
 * cache that was merged into another (boot with slab_nomerge).
 *
 * Exit status: 0 ok; 1 a bound exceeded, a wrong answer, or objects left
 * in the module's slab caches; 2 usage error, or the module is not loaded.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/cacheproxy.h>

#include "client.h"
#include "procfs.h"
#include "verify.h"

#define PROC_ENTRIES	CP_PROC_DIR "entries"
#define PARAM_CAPACITY	"/sys/module/cacheproxy/parameters/capacity"
#define SLAB_SYSFS	"/sys/kernel/slab/"
#define BATCH		64
#define MAX_THREADS	64

struct flood {
	const char *device;
	unsigned long long keys;
	unsigned long long bound;
	unsigned int threads;
	bool no_flush;		/* negative control: skip the flush */
	atomic_ullong next;	/* next key to look up */
	atomic_bool stop;
	atomic_ullong errors;
	unsigned long long samples, max_gauge, max_lines, over;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int read_ull(const char *path, unsigned long long *v)
{
	char buf[64];
	FILE *f = fopen(path, "r");
	int ok;

	if (!f)
		return -errno;
	ok = fgets(buf, sizeof(buf), f) && sscanf(buf, "%llu", v) == 1;
	fclose(f);
	return ok ? 0 : -EINVAL;
}

/* The "entries" line of /proc/cacheproxy/stats. */
static int entries_gauge(unsigned long long *v)
{
	return cp_proc_stat(CP_DEFAULT_PROC_STATS, "entries", v);
}

/* Lines of /proc/cacheproxy/entries: the entries really in the table. */
static long long entries_lines(void)
{
	char buf[65536];
	long long lines = 0;
	ssize_t n, i;
	int fd = open(PROC_ENTRIES, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (i = 0; i < n; i++)
			lines += buf[i] == '\n';
	close(fd);
	return n < 0 ? -errno : lines;
}

/* The module's own slab caches (module/entry.c, module/flight.c). */
#define MODULE_CACHES	"cacheproxy_"

/* Empties the per-CPU slabs of cache @name (best effort). */
static void slab_shrink(const char *name)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), SLAB_SYSFS "%s/shrink", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	/* A cache that cannot shrink counts its per-CPU free objects. */
	if (write(fd, "1", 1) < 0)
		errno = 0;
	close(fd);
}

/*
 * Active objects of the module's slab caches (named MODULE_CACHES*) in
 * /proc/slabinfo, each shrunk first; -ENOENT when none is listed (merged
 * into other caches: boot with slab_nomerge).
 */
static long long module_active(void)
{
	char line[512], name[128];
	long long active, sum = 0;
	bool found = false;
	FILE *f;

	f = fopen("/proc/slabinfo", "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%127s", name) == 1 &&
		    !strncmp(name, MODULE_CACHES, strlen(MODULE_CACHES)))
			slab_shrink(name);
	rewind(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%127s %lld", name, &active) == 2 &&
		    !strncmp(name, MODULE_CACHES, strlen(MODULE_CACHES))) {
			sum += active;
			found = true;
		}
	fclose(f);
	return found ? sum : -ENOENT;
}

static int control_flush(void)
{
	return cp_write_file(CP_PROC_DIR "control", "flush\n", 6);
}

static void *flood_worker(void *arg)
{
	static __thread char keys[BATCH][32], vals[BATCH][CACHEPROXY_VALUE_MAX];
	struct cacheproxy_batch_item items[BATCH];
	struct flood *fl = arg;
	unsigned long long first, i, n;
	__u64 seq;
	int dev, err;

	dev = open(fl->device, O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		atomic_fetch_add(&fl->errors, 1);
		return NULL;
	}
	for (;;) {
		first = atomic_fetch_add(&fl->next, BATCH);
		if (first >= fl->keys)
			break;
		n = fl->keys - first < BATCH ? fl->keys - first : BATCH;
		for (i = 0; i < n; i++) {
			items[i].key_len = snprintf(keys[i], sizeof(keys[i]),
						    "flood-%llu", first + i);
			items[i].key = (uintptr_t)keys[i];
			items[i].value = (uintptr_t)vals[i];
			items[i].value_size = sizeof(vals[i]);
		}
		err = cp_dev_get_batch(dev, items, n);
		if (err) {
			if (atomic_fetch_add(&fl->errors, 1) < 5)
				fprintf(stderr,
					"cacheproxy-flood: GET_BATCH: %s\n",
					strerror(-err));
			continue;
		}
		for (i = 0; i < n; i++)
			if (items[i].status ||
			    cp_parse_value(keys[i], items[i].key_len, vals[i],
					   items[i].value_len, &seq))
				if (atomic_fetch_add(&fl->errors, 1) < 5)
					fprintf(stderr, "cacheproxy-flood: %s: status %d, wrong or no value\n",
						keys[i], items[i].status);
	}
	close(dev);
	return NULL;
}

/* One sample of both views of the entry count against the bound. */
static void sample(struct flood *fl)
{
	unsigned long long gauge = 0;
	long long lines = entries_lines();

	if (entries_gauge(&gauge) || lines < 0) {
		atomic_fetch_add(&fl->errors, 1);
		return;
	}
	fl->samples++;
	if (gauge > fl->max_gauge)
		fl->max_gauge = gauge;
	if ((unsigned long long)lines > fl->max_lines)
		fl->max_lines = lines;
	if (gauge > fl->bound || (unsigned long long)lines > fl->bound) {
		if (fl->over++ < 5)
			fprintf(stderr, "cacheproxy-flood: %llu entries (gauge), %lld (lines) > bound %llu\n",
				gauge, lines, fl->bound);
	}
}

static void usage(FILE *out)
{
	fprintf(out,
"usage: cacheproxy-flood [OPTIONS]\n"
"\n"
"Looks up N distinct keys through GET_BATCH while sampling the number of\n"
"entries (the stats gauge and the lines of /proc/cacheproxy/entries), which\n"
"must never exceed the bound; then flushes and checks that the active\n"
"objects of the module's own slab caches\n"
"must be empty: zero active objects in cacheproxy_entry_* and\n"
"cacheproxy_flight (/proc/slabinfo, per-CPU slabs shrunk first).\n"
"\n"
"Options:\n"
"  -k, --keys N        distinct keys (default 1000000)\n"
"  -t, --threads N     looking-up threads, 1..%d (default 8)\n"
"  -b, --bound N       most entries allowed (default: the module's capacity)\n"
"      --no-flush      negative control: skip the final flush (must fail)\n"
"  -d, --device PATH   the device (default /dev/cacheproxy)\n"
"  -h, --help          this text\n"
"\n"
"Exit status: 0 ok; 1 a bound exceeded, a wrong answer or objects left in\n"
"the module's slab caches; 2 usage error, or the module is not loaded.\n",
		MAX_THREADS);
}

static bool parse_ull(const char *s, unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return !errno && *s && *s != '-' && !*end;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "keys", required_argument, NULL, 'k' },
		{ "threads", required_argument, NULL, 't' },
		{ "bound", required_argument, NULL, 'b' },
		{ "device", required_argument, NULL, 'd' },
		{ "no-flush", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static struct flood fl = {
		.device = CP_DEFAULT_DEVICE, .keys = 1000000, .threads = 8,
	};
	pthread_t tid[MAX_THREADS];
	long long base, full, after = -1, start, secs, lines;
	unsigned long long v, gauge = 0;
	unsigned int i;
	int c, fd, err, ret = 0;

	while ((c = getopt_long(argc, argv, "k:t:b:d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			if (!parse_ull(optarg, &fl.keys) || !fl.keys)
				goto bad_usage;
			break;
		case 't':
			if (!parse_ull(optarg, &v) || !v || v > MAX_THREADS)
				goto bad_usage;
			fl.threads = v;
			break;
		case 'b':
			if (!parse_ull(optarg, &fl.bound))
				goto bad_usage;
			break;
		case 'd':
			fl.device = optarg;
			break;
		case 'N':
			fl.no_flush = true;
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

	fd = open(fl.device, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "cacheproxy-flood: %s: %s (is the module loaded?)\n",
			fl.device, strerror(errno));
		return 2;
	}
	close(fd);
	if (!fl.bound && read_ull(PARAM_CAPACITY, &fl.bound)) {
		fprintf(stderr, "cacheproxy-flood: %s: cannot read the capacity\n",
			PARAM_CAPACITY);
		return 2;
	}

	/* Baseline: an empty cache. */
	err = control_flush();
	if (err) {
		fprintf(stderr, "cacheproxy-flood: flush: %s\n",
			strerror(-err));
		return 2;
	}
	usleep(200000);
	base = module_active();
	if (base < 0) {
		fprintf(stderr, "cacheproxy-flood: /proc/slabinfo: the module's slab caches: %s (boot with slab_nomerge)\n",
			strerror(-base));
		return 2;
	}
	printf("cacheproxy-flood: %llu keys, %u threads, bound %llu entries; the module's slab objects at the start: %lld\n",
	       fl.keys, fl.threads, fl.bound, base);
	fflush(stdout);

	start = now_ms();
	for (i = 0; i < fl.threads; i++)
		if (pthread_create(&tid[i], NULL, flood_worker, &fl)) {
			fprintf(stderr, "cacheproxy-flood: pthread_create failed\n");
			return 2;
		}
	/* Sample until every key was handed out, then once more at the end. */
	while (atomic_load(&fl.next) < fl.keys) {
		sample(&fl);
		usleep(20000);
	}
	for (i = 0; i < fl.threads; i++)
		pthread_join(tid[i], NULL);
	sample(&fl);
	secs = now_ms() - start;

	full = module_active();
	entries_gauge(&gauge);
	printf("flood: %lld ms, %llu samples, most entries %llu (gauge) / %llu (lines), bound %llu, %llu samples over; %llu entries at the end; the module's slab objects: %lld\n",
	       secs, fl.samples, fl.max_gauge, fl.max_lines, fl.bound, fl.over,
	       gauge, full);

	err = fl.no_flush ? 0 : control_flush();
	if (err) {
		fprintf(stderr, "cacheproxy-flood: flush: %s\n",
			strerror(-err));
		return 1;
	}
	/*
	 * Entries are freed one RCU grace period after their last put: poll
	 * for up to 10 s.
	 */
	for (i = 0; i < (fl.no_flush ? 5 : 100); i++) {
		after = module_active();
		if (!after)
			break;
		usleep(100000);
	}
	entries_gauge(&gauge);
	lines = entries_lines();
	printf("after flush: %llu entries (gauge) / %lld (lines); the module's slab objects: %lld\n",
	       gauge, lines, after);

	if (fl.errors) {
		fprintf(stderr, "cacheproxy-flood: %llu wrong answers or errors\n",
			(unsigned long long)fl.errors);
		ret = 1;
	}
	if (fl.over || !fl.samples) {
		fprintf(stderr, "cacheproxy-flood: FAIL: entries exceeded %llu in %llu of %llu samples\n",
			fl.bound, fl.over, fl.samples);
		ret = 1;
	}
	if (gauge || lines) {
		fprintf(stderr, "cacheproxy-flood: FAIL: entries left after flush\n");
		ret = 1;
	}
	if (full < (long long)(fl.bound < fl.keys ? fl.bound : fl.keys) / 2) {
		fprintf(stderr, "cacheproxy-flood: FAIL: a full cache showed only %lld objects in the module's slab caches: not measuring the entries\n",
			full);
		ret = 1;
	}
	if (after) {
		fprintf(stderr, "cacheproxy-flood: FAIL: %lld objects left in the module's slab caches after the flush\n",
			after);
		ret = 1;
	}
	printf("%s\n", ret ? "FAIL" : "ok");
	return ret;

bad_usage:
	usage(stderr);
	return 2;
}
