// SPDX-License-Identifier: GPL-2.0
/*
 * cacheproxy-stress: drive the cacheproxy module (or, --via memcached, a
 * memcached server in the look-aside pattern) from many threads and verify
 * every answer. This file holds main(): check the module or the server is
 * there, start the workers, print the live line, stop, report. Options and
 * exit codes: see --help (options.c).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/cacheproxy.h>

#include "client.h"
#include "expect.h"
#include "keygen.h"
#include "lookaside.h"
#include "options.h"
#include "report.h"
#include "workers.h"

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

static uint64_t removals(const struct cacheproxy_stats *st)
{
	return st->evictions + st->expirations + st->invalidations;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(ns / 1000000000ULL),
		.tv_nsec = (long)(ns % 1000000000ULL),
	};

	nanosleep(&ts, NULL);	/* a signal cuts it short: fine */
}

/*
 * --scenario hit: look every key up once before the run, in GET_BATCH
 * calls of up to CACHEPROXY_BATCH_MAX keys. Returns 0 or a negative errno
 * of a call that failed as a whole; a key's own error is left for the run
 * to meet (it is not cached, or it is an expected "enoent-" answer).
 */
static int warm_keys(int fd, const struct cp_opts *o)
{
	static char keys[CACHEPROXY_BATCH_MAX][CACHEPROXY_KEY_MAX + 1];
	static char vals[CACHEPROXY_BATCH_MAX][CACHEPROXY_VALUE_MAX + 2];
	static struct cacheproxy_batch_item items[CACHEPROXY_BATCH_MAX];
	uint64_t k = 0;
	unsigned int i;
	int err;

	while (k < o->keys && !got_signal) {
		for (i = 0; i < CACHEPROXY_BATCH_MAX && k < o->keys; i++, k++) {
			items[i] = (struct cacheproxy_batch_item) {
				.key = (uintptr_t)keys[i],
				.value = (uintptr_t)vals[i],
				.key_len = (__u32)cp_key_format(keys[i],
								CP_KEY_NORMAL,
								o->prefix, k),
				.value_size = sizeof(vals[i]),
			};
		}
		err = cp_dev_get_batch(fd, items, i);
		if (err)
			return err;
	}
	return 0;
}

/*
 * The counters of the cache under test: the module's STATS, or with --via
 * memcached the server's and the database's as the module names them (and
 * whole in @la_st, if not NULL).
 */
static int read_stats(const struct cp_opts *o, int fd,
		      struct cacheproxy_stats *st, struct cp_la_stats *la_st)
{
	struct cp_la_stats tmp;
	int err;

	if (o->via != CP_VIA_MEMCACHED)
		return cp_dev_stats(fd, st);
	if (!la_st)
		la_st = &tmp;
	err = cp_la_stats(o->la, la_st);
	if (!err)
		cp_la_stats_map(la_st, st);
	return err;
}

/* Wait for the deadline, a signal or the end of --ops; live line. */
static void supervise(struct cp_run *run, const struct cp_opts *o,
		      const struct cacheproxy_stats *start, bool live)
{
	uint64_t deadline = o->duration ?
			    run->start_ns + (uint64_t)(o->duration * 1e9) : 0;
	uint64_t next_live = run->start_ns + 1000000000ULL;
	uint64_t last_ns = run->start_ns, last_ops = 0;
	struct cacheproxy_stats prev = *start, cur;

	for (;;) {
		uint64_t now = cp_now_ns(), wake = now + 50000000ULL;

		if (got_signal ||
		    atomic_load(&run->finished) == run->nworkers ||
		    (deadline && now >= deadline))
			break;
		if (live && now >= next_live) {
			uint64_t ops = cp_run_ops(run);

			if (!read_stats(o, run->stats_fd, &cur, NULL)) {
				cp_live_line(stdout, now - run->start_ns,
					     now - last_ns, ops - last_ops,
					     &prev, &cur, start);
				prev = cur;
			}
			last_ns = now;
			last_ops = ops;
			next_live += 1000000000ULL;
		}
		if (live && next_live < wake)
			wake = next_live;
		if (deadline && deadline < wake)
			wake = deadline;
		if (wake > now)
			sleep_ns(wake - now);
	}
	atomic_store(&run->stop, true);
	if (live) {
		fputs("\r\033[K", stdout);
		fflush(stdout);
	}
}

/*
 * The module: open the device, flush (--flush), warm the keys (--scenario
 * hit), read STATS, check the proc file (--via proc). Returns 0, or the
 * exit status after printing one line.
 */
static int open_module(const struct cp_opts *o, int *fdp,
		       struct cp_results *res)
{
	int fd, err;

	fd = cp_open(o->device);
	if (fd < 0) {
		fprintf(stderr, "cacheproxy-stress: %s: %s%s\n", o->device,
			strerror(-fd),
			fd == -ENOENT ? " (is the cacheproxy module loaded?)" : "");
		return CP_EXIT_USAGE;
	}
	*fdp = fd;
	err = o->flush ? cp_dev_flush(fd) : 0;
	if (err) {
		fprintf(stderr, "cacheproxy-stress: %s: CACHEPROXY_IOC_FLUSH: %s\n",
			o->device, strerror(-err));
		return CP_EXIT_USAGE;
	}
	if (o->scenario == CP_SCENARIO_HIT) {
		err = warm_keys(fd, o);
		if (err) {
			fprintf(stderr, "cacheproxy-stress: %s: CACHEPROXY_IOC_GET_BATCH (warming the keys): %s\n",
				o->device, strerror(-err));
			return CP_EXIT_FAIL;
		}
	}
	err = cp_dev_stats(fd, &res->before);
	if (err) {
		fprintf(stderr, "cacheproxy-stress: %s: CACHEPROXY_IOC_STATS: %s\n",
			o->device, strerror(-err));
		return CP_EXIT_USAGE;
	}
	err = cp_proc_dedup(CP_DEFAULT_PROC_STATS);
	if (err < 0) {
		fprintf(stderr, "cacheproxy-stress: %s: the dedup line: %s\n",
			CP_DEFAULT_PROC_STATS,
			err == -ENODATA ? "missing (a module older than the tool?)" :
			strerror(-err));
		return CP_EXIT_USAGE;
	}
	res->dedup = err;
	if (o->via == CP_VIA_PROC) {
		int pfd = cp_open(o->proc_lookup);

		if (pfd < 0) {
			fprintf(stderr, "cacheproxy-stress: %s: %s%s\n",
				o->proc_lookup, strerror(-pfd),
				pfd == -ENOENT ? " (is the cacheproxy module loaded?)" : "");
			return CP_EXIT_USAGE;
		}
		close(pfd);
	}

	return 0;
}

/*
 * --via memcached: connect the control connection and make the database,
 * flush (--flush), store the keys (--scenario hit), read the counters.
 * Returns 0, or the exit status after printing one line.
 */
static int open_memcached(struct cp_opts *o, struct cp_results *res)
{
	char msg[256];

	o->la = cp_la_open(o, msg, sizeof(msg));
	if (!o->la) {
		fprintf(stderr, "cacheproxy-stress: memcached %s: %s\n",
			o->memcached, msg);
		return CP_EXIT_USAGE;
	}
	if (cp_la_prepare(o->la, msg, sizeof(msg))) {
		fprintf(stderr, "cacheproxy-stress: memcached %s: %s\n",
			o->memcached, msg);
		return CP_EXIT_FAIL;
	}
	if (read_stats(o, -1, &res->before, &res->la_before)) {
		fprintf(stderr, "cacheproxy-stress: memcached %s: stats: %s\n",
			o->memcached, cp_la_last_error(o->la));
		return CP_EXIT_FAIL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	static struct cp_results res;
	struct cp_expect *expect = NULL;
	char msg[512];
	struct cp_opts o;
	struct cp_run run;
	uint64_t end;
	int fd = -1, ret;

	ret = cp_opts_parse(&o, argc, argv);
	if (ret)
		return ret > 0 ? CP_EXIT_OK : CP_EXIT_USAGE;
	if (o.expect_path) {
		expect = cp_expect_load(o.expect_path, msg, sizeof(msg));
		if (!expect) {
			fprintf(stderr, "cacheproxy-stress: --expect %s\n", msg);
			return CP_EXIT_USAGE;
		}
		o.expect = expect;
	}

	if (o.via == CP_VIA_MEMCACHED)
		ret = open_memcached(&o, &res);
	else
		ret = open_module(&o, &fd, &res);
	if (ret)
		return ret;

	/* One signal stops the run; a second one kills (SA_RESETHAND). */
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	ret = cp_run_start(&run, &o, fd, res.dedup, removals(&res.before));
	if (ret) {
		atomic_store(&run.stop, true);
		cp_run_join(&run);
		cp_run_free(&run);
		return CP_EXIT_FAIL;
	}
	supervise(&run, &o, &res.before, !o.quiet && isatty(STDOUT_FILENO));
	end = cp_run_join(&run);

	res.interrupted = got_signal != 0;
	res.have_after = !read_stats(&o, fd, &res.after, &res.la_after);
	cp_results_collect(&res, &run, end);
	cp_run_free(&run);
	if (fd >= 0)
		close(fd);

	if (!o.quiet)
		cp_report_text(stdout, &res, &o);
	ret = res.wrong || res.errors || !res.have_after ? CP_EXIT_FAIL :
							   CP_EXIT_OK;
	if (o.json && cp_report_json(o.json, &res, &o))
		ret = CP_EXIT_FAIL;
	cp_expect_free(expect);
	cp_la_close(o.la);
	fflush(stdout);
	return ret;
}
