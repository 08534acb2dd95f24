// SPDX-License-Identifier: GPL-2.0
/*
 * cacheproxy-stress: option parsing and --help. Every problem is reported
 * as one line "cacheproxy-stress: <problem>"; the caller exits 2.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/cacheproxy.h>

#include "client.h"
#include "memcached.h"
#include "options.h"

static const char usage_text[] =
"usage: cacheproxy-stress [OPTIONS]\n"
"\n"
"Drive the cacheproxy module from many threads and check every answer\n"
"against the loader's contract: the value of key K is \"K:N\" (N a positive\n"
"decimal), keys beginning \"enoent-\" fail with ENOENT and \"eio-\" with EIO,\n"
"and within a one-key burst every caller of a deduplicating strategy\n"
"(\"dedup 1\" in /proc/cacheproxy/stats) sees the same N; or, with --expect,\n"
"against the contents of the database a loader daemon serves. Any wrong\n"
"answer fails the run.\n"
"\n"
"Load:\n"
"  -t, --threads N      worker threads (default 8; 1..1024)\n"
"  -d, --duration S     run for S seconds (fractions allowed; default 10\n"
"                       unless --ops is given)\n"
"  -n, --ops N          stop after N lookups (with --duration: whichever\n"
"                       comes first; the call or burst in progress\n"
"                       completes, so a few more may run; in uniform and\n"
"                       zipf a --mix invalidation or flush counts as one)\n"
"  -k, --keys N         data size: distinct keys cycled through (default\n"
"                       2000; 1..100000000)\n"
"  -s, --scenario NAME  how keys are chosen (default uniform):\n"
"                       singlekey  one burst at a time: --burst threads ask\n"
"                                  for the same key at the same moment, then\n"
"                                  all move on to the next key (a barrier per\n"
"                                  key); with more threads than --burst, the\n"
"                                  groups of --burst threads take turns\n"
"                       multikey   threads split into groups of --burst; each\n"
"                                  group runs its own sequence of one-key\n"
"                                  bursts, concurrently with the other groups\n"
"                                  (group g of G takes keys g, g+G, g+2G...)\n"
"                       uniform    each thread picks keys uniformly at random\n"
"                       zipf       each thread picks keys with P(rank k) ~\n"
"                                  1/k^s (key 0 the most popular)\n"
"                       hit        as uniform, after every key was looked\n"
"                                  up once before the run (GET_BATCH, not\n"
"                                  timed, not in the STATS deltas): with a\n"
"                                  capacity above --keys, every lookup of\n"
"                                  the run hits (the cost of a hit)\n"
"      --zipf-s S       Zipf exponent, > 0 (default 1.0; zipf only)\n"
"  -b, --burst N        threads asking for one key at once (default 8 as in\n"
"                       the Go demo, or --threads if fewer; 1..--threads;\n"
"                       the last group may be smaller)\n"
"  -v, --via WAY        ioctl  CACHEPROXY_IOC_GET, one key per call (default)\n"
"                       proc   /proc/cacheproxy/lookup: one open file per\n"
"                              thread; pwrite(key) at offset 0 (fails with\n"
"                              the lookup's errno), then pread at offset 0\n"
"                              returns \"value\\n\"; positioned I/O keeps the\n"
"                              offset at 0, so no lseek is needed (plain\n"
"                              write/read if the file refuses it)\n"
"                       batch  CACHEPROXY_IOC_GET_BATCH of --batch keys; in\n"
"                              singlekey/multikey a burst asks for --batch\n"
"                              consecutive keys\n"
"                       noop   the floor of an ioctl: an unknown command on\n"
"                              /dev/cacheproxy, which must fail with ENOTTY\n"
"                              (anything else is a wrong answer); keys are\n"
"                              made and the call timed exactly as a GET\n"
"                       uring  CACHEPROXY_URING_GET through io_uring: --depth\n"
"                              commands submitted at once by one thread,\n"
"                              which waits for every answer (hits answer\n"
"                              at once, misses when their load ends); in\n"
"                              singlekey/multikey as batch\n"
"                       memcached  no module: the same lookups against a\n"
"                              memcached server (--memcached) in the\n"
"                              look-aside pattern: get; on a miss ask a\n"
"                              \"database\", then set (see \"memcached\"\n"
"                              below); one connection per thread\n"
"  -B, --batch N        keys per GET_BATCH (default 64; 1..256; batch only)\n"
"  -D, --depth N        commands in flight per thread (default 64; 1..256;\n"
"                       uring only)\n"
"      --same-key       singlekey/multikey with --via batch or uring: the\n"
"                       --batch or --depth lookups of one call are one key\n"
"                       asked that many times, so that one thread submits\n"
"                       a whole burst (with --burst 1: one thread per\n"
"                       burst); each step of a group takes the next key\n"
"  -p, --key-prefix P   keys are P followed by a number (default \"key-\");\n"
"                       \"enoent-\" and \"eio-\" prefixes expect that errno,\n"
"                       \"slow-\" keys just load slower\n"
"  -m, --mix LIST       a fraction of operations, in percent, that are not\n"
"                       plain lookups, e.g. inval=1,flush=0.1,enoent=5,eio=5:\n"
"                       inval   invalidate a random key of the data set\n"
"                       flush   flush the whole cache\n"
"                       enoent  look up \"enoent-\" P N instead (ENOENT)\n"
"                       eio     look up \"eio-\" P N instead (EIO)\n"
"                       In singlekey/multikey the roll is made once per\n"
"                       burst: inval/flush run between bursts, enoent/eio\n"
"                       change the key of the whole burst. inval or flush\n"
"                       turn the same-N check off.\n"
"  -S, --seed N         PRNG seed (default 1)\n"
"  -F, --flush          flush the cache before the run, so that every key\n"
"                       of the run misses once (see loads per distinct key)\n"
"      --allow-enomem   count an ENOMEM answer as a tolerated fault, not an\n"
"                       error: for runs with allocation failures injected\n"
"                       (/sys/kernel/debug/fail_cacheproxy, failslab)\n"
"  -e, --expect FILE    judge every answer against FILE, the contents of\n"
"                       the database a loader daemon serves (the module\n"
"                       loaded with loader=user), instead of the contract\n"
"                       above: a key FILE holds must answer exactly its\n"
"                       value, any other key must fail with ENOENT (the\n"
"                       same-N check is not made: every value is compared\n"
"                       whole). FILE has one key a line: KEY, a tab, VALUE;\n"
"                       in both \\\\, \\t, \\n and \\xHH stand for a backslash,\n"
"                       a tab, a newline and any byte. The keys asked are\n"
"                       made as usual (--key-prefix, --keys, --mix enoent):\n"
"                       FILE may hold all of them or some. The database\n"
"                       must not change during the run. Not with --via\n"
"                       noop or --mix eio\n"
"\n"
"memcached (--via memcached):\n"
"      --memcached ADDR\n"
"                       the server: unix:PATH (or a PATH beginning with\n"
"                       '/'), IPV4[:PORT], [IPV6][:PORT] or\n"
"                       localhost[:PORT], the port 11211 if none is given\n"
"                       (default " CP_MC_DEFAULT_ADDR "); the text protocol\n"
"      --delay-us N     the database's time per query, in microseconds\n"
"                       (default 10, as the Go demo's; 0..1000000)\n"
"  Each lookup is a get; on a miss the thread asks the database, which\n"
"  holds one process-wide mutex across a --delay-us sleep (queries one at a\n"
"  time, as the Go demo's database), then sets the key to its answer. The\n"
"  database's value of key K is \"K:N\", N its queries of K so far;\n"
"  \"enoent-\" and \"eio-\" keys fail with ENOENT and EIO after the same\n"
"  sleep and are not stored. Nothing deduplicates: threads that miss one\n"
"  key at once each query the database, and loads per distinct key counts\n"
"  those queries. Every answer is checked: a value must be K:N for the key\n"
"  asked, with any N (memcached may answer what another thread's miss\n"
"  stored); when every value cached came from this run (--flush, or\n"
"  --scenario hit, which first stores K:1 for every key, pipelined and\n"
"  without the sleep), N must also be one the database gave. The figures\n"
"  the module would give are memcached's \"stats\" (lookups = cmd_get,\n"
"  hits = get_hits, misses = get_misses, entries = curr_items) and the\n"
"  database's (loads = queries); they assume no one else uses the server.\n"
"  The summary and the JSON (its \"memcached\" object) also give the\n"
"  server's counters and the database's queries with their mean time.\n"
"  --mix inval and flush send delete and flush_all. Keys must be at most\n"
"  250 bytes, without spaces or control characters. Not with --expect or\n"
"  --allow-enomem.\n"
"\n"
"Output:\n"
"  -j, --json FILE      write all figures as one JSON object (\"-\": stdout)\n"
"  -q, --quiet          no live line and no summary (errors still reported)\n"
"      --device PATH    the misc device (default " CP_DEFAULT_DEVICE ")\n"
"      --proc PATH      the lookup file (default " CP_DEFAULT_PROC_LOOKUP ")\n"
"  -h, --help           this text\n"
"\n"
"On a terminal a live line is printed once a second: elapsed time, ops/s\n"
"and hit ratio over the last second, loads started since the start. The\n"
"summary gives ops, ops/s, ns per op (and per burst), call latency\n"
"percentiles (a log-linear histogram, within 6.25%; a batch counts as one\n"
"call), wrong answers, errors by errno, and the STATS deltas (before/after)\n"
"of the module. \"Loads per distinct key\" is loads_started divided by the\n"
"number of distinct keys this run asked for (the tool marks each key the\n"
"first time it asks for it). It equals the loads per distinct key missed\n"
"when the run starts with none of its keys cached (--flush), nothing is\n"
"evicted, expired or invalidated during the run, and no one else uses the\n"
"module; then 1.00 means one load per key (no thundering herd).\n"
"\n"
"Same-N check: made where the module's strategy deduplicates (\"dedup 1\" in\n"
"/proc/cacheproxy/stats) in singlekey and multikey with --burst >= 2, unless\n"
"--mix has inval or flush. A mismatch is a wrong answer unless the module\n"
"counted an eviction, expiration or invalidation during the run (then it\n"
"is reported as excused).\n"
"\n"
"SIGINT and SIGTERM stop the run once the calls in progress return; the\n"
"partial report is printed as usual. A second signal kills at once.\n"
"\n"
"Exit status:\n"
"  0  every answer was right and no error was seen\n"
"  1  wrong answers or errors were seen (or the run could not be completed)\n"
"  2  usage error (a --expect FILE that cannot be read or parsed too), or\n"
"     the module is not loaded (" CP_DEFAULT_DEVICE " or the proc file missing\n"
"     or unusable), or (--via memcached) the server cannot be reached or\n"
"     does not answer \"stats\" as memcached does\n";

enum {
	OPT_ZIPF_S = 256,
	OPT_DEVICE,
	OPT_PROC,
	OPT_ALLOW_ENOMEM,
	OPT_MEMCACHED,
	OPT_DELAY_US,
	OPT_SAME_KEY,
};

static const struct option long_options[] = {
	{ "threads",	required_argument, NULL, 't' },
	{ "duration",	required_argument, NULL, 'd' },
	{ "ops",	required_argument, NULL, 'n' },
	{ "keys",	required_argument, NULL, 'k' },
	{ "scenario",	required_argument, NULL, 's' },
	{ "zipf-s",	required_argument, NULL, OPT_ZIPF_S },
	{ "burst",	required_argument, NULL, 'b' },
	{ "via",	required_argument, NULL, 'v' },
	{ "batch",	required_argument, NULL, 'B' },
	{ "depth",	required_argument, NULL, 'D' },
	{ "key-prefix",	required_argument, NULL, 'p' },
	{ "mix",	required_argument, NULL, 'm' },
	{ "seed",	required_argument, NULL, 'S' },
	{ "json",	required_argument, NULL, 'j' },
	{ "quiet",	no_argument,	   NULL, 'q' },
	{ "flush",	no_argument,	   NULL, 'F' },
	{ "allow-enomem", no_argument,	   NULL, OPT_ALLOW_ENOMEM },
	{ "expect",	required_argument, NULL, 'e' },
	{ "device",	required_argument, NULL, OPT_DEVICE },
	{ "proc",	required_argument, NULL, OPT_PROC },
	{ "memcached",	required_argument, NULL, OPT_MEMCACHED },
	{ "delay-us",	required_argument, NULL, OPT_DELAY_US },
	{ "same-key",	no_argument,	   NULL, OPT_SAME_KEY },
	{ "help",	no_argument,	   NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const char * const scenario_names[] = {
	[CP_SCENARIO_SINGLEKEY] = "singlekey",
	[CP_SCENARIO_MULTIKEY] = "multikey",
	[CP_SCENARIO_UNIFORM] = "uniform",
	[CP_SCENARIO_ZIPF] = "zipf",
	[CP_SCENARIO_HIT] = "hit",
};

static const char * const via_names[] = {
	[CP_VIA_IOCTL] = "ioctl",
	[CP_VIA_PROC] = "proc",
	[CP_VIA_BATCH] = "batch",
	[CP_VIA_NOOP] = "noop",
	[CP_VIA_MEMCACHED] = "memcached",
	[CP_VIA_URING] = "uring",
};

const char *cp_scenario_name(enum cp_scenario s)
{
	return scenario_names[s];
}

const char *cp_via_name(enum cp_via v)
{
	return via_names[v];
}

bool cp_scenario_bursts(enum cp_scenario s)
{
	return s == CP_SCENARIO_SINGLEKEY || s == CP_SCENARIO_MULTIKEY;
}

__attribute__((format(printf, 1, 2)))
static int bad(const char *fmt, ...)
{
	va_list ap;

	fputs("cacheproxy-stress: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

/* A decimal integer in [min, max], nothing else (no sign, no spaces). */
static int parse_u64(const char *name, const char *s, uint64_t min,
		     uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return bad("%s: '%s' is not a number", name, s);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end)
		return bad("%s: '%s' is not a number", name, s);
	if (errno == ERANGE || v < min || v > max)
		return bad("%s: '%s' is out of range (%llu..%llu)", name, s,
			   (unsigned long long)min, (unsigned long long)max);
	*out = v;
	return 0;
}

static int parse_uint(const char *name, const char *s, unsigned int min,
		      unsigned int max, unsigned int *out)
{
	uint64_t v;

	if (parse_u64(name, s, min, max, &v))
		return -1;
	*out = (unsigned int)v;
	return 0;
}

/* A finite decimal number (fractions allowed, no sign) in (0, max]. */
static int parse_positive(const char *name, const char *s, double max,
			  bool zero_ok, double *out)
{
	char *end;
	double v;

	if ((*s < '0' || *s > '9') && *s != '.')
		return bad("%s: '%s' is not a number", name, s);
	errno = 0;
	v = strtod(s, &end);
	if (*end || end == s || !isfinite(v))
		return bad("%s: '%s' is not a number", name, s);
	if ((v == 0 && !zero_ok) || v > max)
		return bad("%s: '%s' is out of range (%s%g)", name, s,
			   zero_ok ? "0.." : "> 0, up to ", max);
	*out = v;
	return 0;
}

static int parse_name(const char *name, const char *s,
		      const char * const *names, unsigned int n,
		      unsigned int *out)
{
	char list[128] = "";
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (!strcmp(s, names[i])) {
			*out = i;
			return 0;
		}
	}
	for (i = 0; i < n; i++) {
		if (i)
			strncat(list, ", ", sizeof(list) - strlen(list) - 1);
		strncat(list, names[i], sizeof(list) - strlen(list) - 1);
	}
	return bad("%s: unknown value '%s' (one of %s)", name, s, list);
}

/* "inval=1,flush=0.1,enoent=5,eio=5" */
static int parse_mix(const char *s, struct cp_mix *mix)
{
	char buf[256], *tok, *save = NULL;

	if (strlen(s) >= sizeof(buf))
		return bad("--mix: '%s' is too long", s);
	strcpy(buf, s);
	memset(mix, 0, sizeof(*mix));
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		double *slot;

		if (!eq)
			return bad("--mix: '%s' is not NAME=PERCENT", tok);
		*eq = '\0';
		if (!strcmp(tok, "inval"))
			slot = &mix->inval;
		else if (!strcmp(tok, "flush"))
			slot = &mix->flush;
		else if (!strcmp(tok, "enoent"))
			slot = &mix->enoent;
		else if (!strcmp(tok, "eio"))
			slot = &mix->eio;
		else
			return bad("--mix: unknown name '%s' (one of inval, flush, enoent, eio)",
				   tok);
		if (parse_positive("--mix", eq + 1, 100, true, slot))
			return -1;
	}
	if (mix->inval + mix->flush + mix->enoent + mix->eio > 100.0)
		return bad("--mix: '%s' adds up to more than 100 percent", s);
	return 0;
}

int cp_opts_parse(struct cp_opts *o, int argc, char **argv)
{
	bool burst_set = false, batch_set = false, zipf_set = false;
	bool depth_set = false;
	bool mc_set = false, delay_set = false;
	struct sockaddr_storage ss;
	char msg[160];
	socklen_t len;
	size_t i;
	uint64_t v64;
	unsigned int u = 0;
	double d;
	int c;

	memset(o, 0, sizeof(*o));
	o->threads = 8;
	o->burst = 8;
	o->batch = 64;
	o->keys = 2000;
	o->scenario = CP_SCENARIO_UNIFORM;
	o->zipf_s = 1.0;
	o->via = CP_VIA_IOCTL;
	o->prefix = "key-";
	o->seed = 1;
	o->device = CP_DEFAULT_DEVICE;
	o->proc_lookup = CP_DEFAULT_PROC_LOOKUP;
	o->memcached = CP_MC_DEFAULT_ADDR;
	o->delay_us = 10;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":t:d:n:k:s:b:v:B:D:p:m:S:j:qFe:h",
				long_options, NULL)) != -1) {
		switch (c) {
		case 't':
			if (parse_uint("--threads", optarg, 1,
				       CP_LIMIT_THREADS, &o->threads))
				return -1;
			break;
		case 'd':
			if (parse_positive("--duration", optarg, 1e7, false,
					   &o->duration))
				return -1;
			break;
		case 'n':
			if (parse_u64("--ops", optarg, 1, UINT64_MAX / 2,
				      &o->ops))
				return -1;
			break;
		case 'k':
			if (parse_u64("--keys", optarg, 1, CP_LIMIT_KEYS,
				      &o->keys))
				return -1;
			break;
		case 's':
			if (parse_name("--scenario", optarg, scenario_names,
				       5, &u))
				return -1;
			o->scenario = u;
			break;
		case OPT_ZIPF_S:
			if (parse_positive("--zipf-s", optarg, 100, false,
					   &d))
				return -1;
			o->zipf_s = d;
			zipf_set = true;
			break;
		case 'b':
			if (parse_uint("--burst", optarg, 1, CP_LIMIT_THREADS,
				       &o->burst))
				return -1;
			burst_set = true;
			break;
		case 'v':
			if (parse_name("--via", optarg, via_names, 6, &u))
				return -1;
			o->via = u;
			break;
		case 'B':
			if (parse_uint("--batch", optarg, 1,
				       CACHEPROXY_BATCH_MAX, &o->batch))
				return -1;
			batch_set = true;
			break;
		case 'D':
			if (parse_uint("--depth", optarg, 1,
				       CACHEPROXY_BATCH_MAX, &o->batch))
				return -1;
			depth_set = true;
			break;
		case 'p':
			o->prefix = optarg;
			break;
		case 'm':
			if (parse_mix(optarg, &o->mix))
				return -1;
			break;
		case 'S':
			if (parse_u64("--seed", optarg, 0, UINT64_MAX, &v64))
				return -1;
			o->seed = v64;
			break;
		case 'j':
			o->json = optarg;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'F':
			o->flush = true;
			break;
		case OPT_DEVICE:
			o->device = optarg;
			break;
		case OPT_PROC:
			o->proc_lookup = optarg;
			break;
		case OPT_ALLOW_ENOMEM:
			o->allow_enomem = true;
			break;
		case OPT_MEMCACHED:
			if (cp_mc_parse_addr(optarg, &ss, &len, msg,
					     sizeof(msg)))
				return bad("--memcached: %s", msg);
			o->memcached = optarg;
			mc_set = true;
			break;
		case OPT_DELAY_US:
			if (parse_uint("--delay-us", optarg, 0, 1000000,
				       &o->delay_us))
				return -1;
			delay_set = true;
			break;
		case OPT_SAME_KEY:
			o->same_key = true;
			break;
		case 'e':
			o->expect_path = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 1;
		case ':':
			return bad("option '%s' needs a value", argv[optind - 1]);
		default:
			if (optopt)
				return bad("unknown option '-%c'", optopt);
			return bad("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return bad("unexpected argument '%s'", argv[optind]);

	if (!burst_set && o->burst > o->threads)
		o->burst = o->threads;
	if (o->burst > o->threads)
		return bad("--burst %u is more than --threads %u", o->burst,
			   o->threads);
	if (batch_set && o->via != CP_VIA_BATCH)
		return bad("--batch needs --via batch");
	if (depth_set && o->via != CP_VIA_URING)
		return bad("--depth needs --via uring");
	if (o->same_key && ((o->via != CP_VIA_BATCH && o->via != CP_VIA_URING) ||
			    !cp_scenario_bursts(o->scenario)))
		return bad("--same-key needs --via batch or uring and --scenario singlekey or multikey");
	/* --depth is kept in o->batch: the keys of one call */
	if (o->via != CP_VIA_BATCH && o->via != CP_VIA_URING)
		o->batch = 1;
	if (zipf_set && o->scenario != CP_SCENARIO_ZIPF)
		return bad("--zipf-s needs --scenario zipf");
	/* "eio-" PREFIX NUM must fit in a key */
	if (strlen(o->prefix) > CACHEPROXY_KEY_MAX - 20 - strlen("enoent-"))
		return bad("--key-prefix: '%s' is too long (at most %zu bytes)",
			   o->prefix,
			   CACHEPROXY_KEY_MAX - 20 - strlen("enoent-"));
	if (strchr(o->prefix, '\n'))
		return bad("--key-prefix: a key cannot hold a newline");
	if (o->expect_path && o->via == CP_VIA_NOOP)
		return bad("--expect: --via noop looks nothing up");
	if (o->expect_path && o->mix.eio > 0)
		return bad("--mix eio needs the synthetic loader, not --expect");
	if ((mc_set || delay_set) && o->via != CP_VIA_MEMCACHED)
		return bad("%s needs --via memcached",
			   mc_set ? "--memcached" : "--delay-us");
	if (o->via == CP_VIA_MEMCACHED) {
		if (o->expect_path)
			return bad("--expect: --via memcached asks its own database, not a loader daemon's");
		if (o->allow_enomem)
			return bad("--allow-enomem: --via memcached injects no faults");
		/* "enoent-" PREFIX NUM must be a memcached key */
		if (strlen(o->prefix) > CP_MC_KEY_MAX - 20 - strlen("enoent-"))
			return bad("--key-prefix: '%s' is too long for memcached (at most %zu bytes)",
				   o->prefix,
				   CP_MC_KEY_MAX - 20 - strlen("enoent-"));
		for (i = 0; o->prefix[i]; i++) {
			if (!cp_mc_key_ok(o->prefix + i, 1))
				return bad("--key-prefix: a memcached key cannot hold spaces or control characters");
		}
	}
	if (!o->ops && !o->duration)
		o->duration = 10;
	return 0;
}
