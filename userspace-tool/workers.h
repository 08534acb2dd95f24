/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The worker threads of cacheproxy-stress and the state of one run.
 *
 * Uniform and zipf: every thread picks its own keys. Singlekey and
 * multikey: threads belong to burst groups; the members of a group meet at
 * a barrier before each step, and the last to arrive (the "decider")
 * checks the answers of the step that just ended (same N for everyone),
 * decides whether to go on, and picks the next key. In singlekey, one
 * group holds every thread and its sub-groups of --burst take turns; in
 * multikey, every group is --burst threads and runs on its own.
 */
#ifndef _CP_WORKERS_H
#define _CP_WORKERS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "hist.h"
#include "keygen.h"
#include "options.h"

#define CP_ERRNO_SLOTS	256	/* errnos at or above this share one slot */

struct cp_run;
struct cp_group;
struct cp_mc;
struct cp_uring;

/**
 * struct cp_worker - one thread
 * @ops:	keys looked up (a batch counts each key); written by the worker
 *		only, read by the main thread for the live line
 * @calls:	lookup calls made (= @ops except with --via batch)
 * @hist:	latency of each call, in ns
 * @errs:	unexpected errors, by errno
 * @expected:	errors an error key must give (ENOENT, EIO), by errno
 * @end_ns:	CLOCK_MONOTONIC time the worker left its loop
 *
 * Everything but @ops is read only after the worker was joined.
 */
struct cp_worker {
	struct cp_run *run;
	struct cp_group *group;
	unsigned int index;
	unsigned int member;		/* index within @group */
	pthread_t thread;
	int fd;				/* own open of the device or proc file */
	struct cp_mc *mc;		/* or own connection (--via memcached) */
	struct cp_uring *uring;		/* own ring (--via uring) */
	bool proc_stream;
	struct cp_rng rng;
	_Atomic uint64_t ops;
	uint64_t calls;
	uint64_t wrong;
	uint64_t errors;
	uint64_t tolerated;	/* ENOMEM answers under --allow-enomem */
	uint64_t mix_inval;
	uint64_t mix_flush;
	uint64_t distinct;		/* keys this worker asked for first */
	uint64_t errs[CP_ERRNO_SLOTS];
	uint64_t expected[CP_ERRNO_SLOTS];
	uint64_t end_ns;
	struct cp_hist hist;
};

/**
 * struct cp_group - a burst group (singlekey and multikey)
 * @slot:	N seen by each member for each key of the current step, 0 for
 *		an error; written by the member before it meets the barrier
 * @arrived:	members at the barrier
 * @generation:	the barrier's futex word, bumped to release the members
 *
 * The fields after @generation are the decider's: written only by the
 * member that arrived last, while the others wait, and read by the
 * members after the release (see group_meet() in workers.c).
 */
struct cp_group {
	unsigned int index;
	unsigned int size;		/* members */
	unsigned int subgroups;		/* bursts taking turns (singlekey) */
	uint64_t *slot;			/* size * batch */
	_Atomic unsigned int arrived;
	_Atomic uint32_t generation;
	/* the step the decider published */
	bool stop;
	uint64_t step;
	enum cp_key_kind kind;
	uint64_t base;			/* first key number of the step */
	bool has_step;			/* a step has run: check its slots */
	struct cp_rng rng;		/* the decider's, for --mix */
	uint64_t bursts;
	uint64_t same_n_checked;	/* keys whose burst answers were compared */
	uint64_t same_n_wrong;
	uint64_t same_n_excused;
	uint64_t mix_inval;
	uint64_t mix_flush;
};

/**
 * struct cp_run - one stress run
 * @stop:	set by the main thread (deadline, signal) or by a worker that
 *		used up --ops
 * @reserved:	lookups handed out, against --ops
 * @seen:	one bitmap per key kind: keys asked for at least once
 */
struct cp_run {
	const struct cp_opts *opts;
	bool dedup;			/* the strategy deduplicates loads */
	bool same_n;			/* compare N within bursts */
	int stats_fd;			/* the device, shared, for STATS */
	uint64_t removals0;		/* evictions + expirations + invalidations
					 * at the start */
	struct cp_zipf zipf;
	atomic_bool stop;
	_Atomic uint64_t reserved;
	_Atomic uint64_t next_key;	/* --same-key: the next burst's key */
	atomic_uint finished;		/* workers out of their loop */
	_Atomic uint64_t *seen[CP_KEY_KINDS];
	pthread_mutex_t log_lock;	/* protects logged */
	unsigned int logged;		/* wrong answers printed so far */
	pthread_mutex_t gate_lock;	/* protects ready, gate, abort */
	pthread_cond_t gate_cond;
	unsigned int ready;		/* workers waiting at the gate */
	bool gate;			/* open: go */
	bool abort;			/* not every thread started: do nothing */
	uint64_t start_ns;
	unsigned int nworkers;
	struct cp_worker *workers;
	unsigned int ngroups;
	struct cp_group *groups;
};

/* Opens one file per worker, starts the threads and releases them at
 * once; on failure prints one line and returns -1 (nothing left running). */
int cp_run_start(struct cp_run *run, const struct cp_opts *opts,
		 int stats_fd, bool dedup, uint64_t removals0);
/* Waits for every worker (after cp_run->stop was set, or --ops was used
 * up) and returns the time the last one finished. */
uint64_t cp_run_join(struct cp_run *run);
void cp_run_free(struct cp_run *run);
uint64_t cp_run_ops(struct cp_run *run);

uint64_t cp_now_ns(void);

#endif /* _CP_WORKERS_H */
