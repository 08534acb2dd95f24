/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Command line of cacheproxy-stress.
 */
#ifndef _CP_OPTIONS_H
#define _CP_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cp_expect;
struct cp_la;

enum cp_scenario {
	CP_SCENARIO_SINGLEKEY,
	CP_SCENARIO_MULTIKEY,
	CP_SCENARIO_UNIFORM,
	CP_SCENARIO_ZIPF,
	CP_SCENARIO_HIT,
};

enum cp_via {
	CP_VIA_IOCTL,
	CP_VIA_PROC,
	CP_VIA_BATCH,
	CP_VIA_NOOP,
	CP_VIA_MEMCACHED,
	CP_VIA_URING,
};

/* --mix: percentages of operations (or of bursts) */
struct cp_mix {
	double inval;
	double flush;
	double enoent;
	double eio;
};

struct cp_opts {
	unsigned int threads;
	unsigned int burst;
	unsigned int batch;	/* keys per call: --batch with batch, --depth
				 * with uring, else 1 */
	uint64_t keys;
	uint64_t ops;		/* 0: no limit */
	double duration;	/* seconds; 0: no limit */
	enum cp_scenario scenario;
	double zipf_s;
	enum cp_via via;
	const char *prefix;
	struct cp_mix mix;
	uint64_t seed;
	const char *json;
	bool quiet;
	bool flush;		/* flush the cache before the run */
	bool same_key;		/* --same-key: one key per call, batch times */
	bool allow_enomem;	/* ENOMEM answers are injected faults */
	const char *expect_path;	/* --expect FILE, or NULL */
	/* FILE's table (expect.h): loaded by main(), not by the parser */
	const struct cp_expect *expect;
	const char *device;
	const char *proc_lookup;
	const char *memcached;	/* --via memcached: the server's address */
	unsigned int delay_us;	/* --via memcached: the database's sleep */
	/* the server and the database (lookaside.h): made by main() */
	struct cp_la *la;
};

/* Exit codes of cacheproxy-stress, documented in --help. */
#define CP_EXIT_OK	0
#define CP_EXIT_FAIL	1
#define CP_EXIT_USAGE	2

#define CP_LIMIT_THREADS	1024
#define CP_LIMIT_KEYS		100000000ULL

/*
 * Returns 0 when the run should go ahead, 1 when --help was printed (exit
 * 0), -1 after printing one line "cacheproxy-stress: <problem>" on stderr.
 */
int cp_opts_parse(struct cp_opts *o, int argc, char **argv);

const char *cp_scenario_name(enum cp_scenario s);
const char *cp_via_name(enum cp_via v);
bool cp_scenario_bursts(enum cp_scenario s);

#endif /* _CP_OPTIONS_H */
