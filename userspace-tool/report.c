// SPDX-License-Identifier: GPL-2.0
/*
 * cacheproxy-stress output: the summary on stdout, the JSON object, the
 * live line.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "counters.h"
#include "expect.h"
#include "options.h"
#include "report.h"

#define DELTA(r, field) ((r)->after.field - (r)->before.field)

void cp_results_collect(struct cp_results *r, struct cp_run *run,
			uint64_t end_ns)
{
	unsigned int i, e;

	r->elapsed_ns = end_ns - run->start_ns;
	r->same_n = run->same_n;
	cp_hist_init(&r->hist);
	for (i = 0; i < run->nworkers; i++) {
		const struct cp_worker *w = &run->workers[i];

		r->ops += atomic_load(&w->ops);
		r->calls += w->calls;
		r->wrong += w->wrong;
		r->errors += w->errors;
		r->tolerated += w->tolerated;
		r->distinct += w->distinct;
		r->mix_inval += w->mix_inval;
		r->mix_flush += w->mix_flush;
		for (e = 0; e < CP_ERRNO_SLOTS; e++) {
			r->errs[e] += w->errs[e];
			r->expected[e] += w->expected[e];
		}
		cp_hist_merge(&r->hist, &w->hist);
	}
	for (i = 0; i < run->ngroups; i++) {
		const struct cp_group *g = &run->groups[i];

		r->bursts += g->bursts;
		r->wrong += g->same_n_wrong;
		r->same_n_checked += g->same_n_checked;
		r->same_n_excused += g->same_n_excused;
	}
}

static const char *errno_name(unsigned int e, char *buf, size_t size)
{
	const char *name = e < CP_ERRNO_SLOTS - 1 ? strerrorname_np((int)e) :
						    NULL;

	if (name)
		return name;
	snprintf(buf, size, e < CP_ERRNO_SLOTS - 1 ? "errno%u" : "errno>=%u",
		 e);
	return buf;
}

static const char *fmt_ns(char *buf, size_t size, double ns)
{
	if (ns < 1e3)
		snprintf(buf, size, "%.0fns", ns);
	else if (ns < 1e6)
		snprintf(buf, size, "%.1fus", ns / 1e3);
	else if (ns < 1e9)
		snprintf(buf, size, "%.2fms", ns / 1e6);
	else
		snprintf(buf, size, "%.2fs", ns / 1e9);
	return buf;
}

static double ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 0.0;
}

static void print_errnos(FILE *f, const char *label, const uint64_t *counts)
{
	char buf[32];
	bool any = false;
	unsigned int e;

	for (e = 0; e < CP_ERRNO_SLOTS; e++) {
		if (!counts[e])
			continue;
		if (!any)
			fprintf(f, "%-14s", label);
		fprintf(f, " %s %llu", errno_name(e, buf, sizeof(buf)),
			(unsigned long long)counts[e]);
		any = true;
	}
	if (any)
		fputc('\n', f);
}

static const double pcts[] = { 50, 90, 99, 99.9 };
static const char * const pct_names[] = { "p50", "p90", "p99", "p99.9" };
static const char * const pct_keys[] = { "p50", "p90", "p99", "p999" };

static void kernel_stats_text(FILE *f, const struct cp_results *r)
{
	unsigned int i;

	fprintf(f, "kernel stats  (after - before)\n");
	for (i = 0; i < cp_nr_counters; i++) {
		uint64_t after = cp_counter_value(&r->after, i);

		if (cp_counters[i].gauge)
			fprintf(f, "  %-14s %llu (now)\n", cp_counters[i].name,
				(unsigned long long)after);
		else
			fprintf(f, "  %-14s %llu\n", cp_counters[i].name,
				(unsigned long long)(after -
					cp_counter_value(&r->before, i)));
	}
}

void cp_report_text(FILE *f, const struct cp_results *r,
		    const struct cp_opts *o)
{
	double secs = (double)r->elapsed_ns / 1e9;
	char a[32];
	unsigned int i;

	if (o->via == CP_VIA_MEMCACHED)
		fprintf(f, "cacheproxy-stress: memcached at %s, look-aside with a database of %u us a query, scenario %s, via %s",
			o->memcached, o->delay_us,
			cp_scenario_name(o->scenario), cp_via_name(o->via));
	else
		fprintf(f, "cacheproxy-stress: strategy %s, scenario %s, via %s",
			r->before.strategy, cp_scenario_name(o->scenario),
			cp_via_name(o->via));
	if (o->via == CP_VIA_BATCH)
		fprintf(f, " (batch %u)", o->batch);
	if (o->via == CP_VIA_URING)
		fprintf(f, " (depth %u)", o->batch);
	fprintf(f, ", %u threads", o->threads);
	if (cp_scenario_bursts(o->scenario))
		fprintf(f, ", burst %u", o->burst);
	if (o->scenario == CP_SCENARIO_ZIPF)
		fprintf(f, ", zipf-s %g", o->zipf_s);
	fprintf(f, ", %llu keys \"%s\"N, seed %llu%s\n",
		(unsigned long long)o->keys, o->prefix,
		(unsigned long long)o->seed,
		r->interrupted ? " (INTERRUPTED: partial)" : "");
	if (o->expect)
		fprintf(f, "expected      the values of %s (%zu keys; any other key: ENOENT)\n",
			o->expect_path, cp_expect_count(o->expect));

	fprintf(f, "ops           %llu in %.2f s: %.0f ops/s, %.0f ns/op\n",
		(unsigned long long)r->ops, secs, secs > 0 ? r->ops / secs : 0,
		ratio(r->elapsed_ns, r->ops));
	if (cp_scenario_bursts(o->scenario))
		fprintf(f, "bursts        %llu: %.0f ns/burst\n",
			(unsigned long long)r->bursts,
			ratio(r->elapsed_ns, r->bursts));
	fprintf(f, "latency       ");
	for (i = 0; i < 4; i++)
		fprintf(f, "%s %s  ", pct_names[i],
			fmt_ns(a, sizeof(a),
			       (double)cp_hist_percentile(&r->hist, pcts[i])));
	fprintf(f, "max %s  (%llu calls%s)\n",
		fmt_ns(a, sizeof(a), (double)r->hist.max),
		(unsigned long long)r->calls,
		o->via == CP_VIA_BATCH ? " of a batch each" :
		o->via == CP_VIA_URING ? " of a submission each" : "");
	if (r->mix_inval || r->mix_flush)
		fprintf(f, "mix           %llu invalidations, %llu flushes\n",
			(unsigned long long)r->mix_inval,
			(unsigned long long)r->mix_flush);
	print_errnos(f, "expected errs", r->expected);
	fprintf(f, "wrong answers %llu", (unsigned long long)r->wrong);
	if (r->same_n)
		fprintf(f, " (same-N checked on %llu burst keys, %llu mismatches excused by removals)",
			(unsigned long long)r->same_n_checked,
			(unsigned long long)r->same_n_excused);
	else if (cp_scenario_bursts(o->scenario))
		fprintf(f, " (same-N not checked: %s)",
			o->expect ? "--expect compares each value whole" :
			o->via == CP_VIA_MEMCACHED ?
			"the look-aside pattern does not deduplicate" :
			!r->dedup ? "dedup 0, the strategy does not deduplicate" :
			o->burst < 2 ? "burst 1" : "--mix inval/flush");
	fputc('\n', f);
	fprintf(f, "errors        %llu\n", (unsigned long long)r->errors);
	if (o->allow_enomem)
		fprintf(f, "tolerated     %llu ENOMEM answers (--allow-enomem)\n",
			(unsigned long long)r->tolerated);
	print_errnos(f, "  by errno", r->errs);

	if (!r->have_after) {
		fprintf(f, "%s  unavailable at the end\n",
			o->via == CP_VIA_MEMCACHED ? "memcached   " :
			"kernel stats");
	} else {
		if (o->via == CP_VIA_MEMCACHED)
			cp_la_report_text(f, &r->la_before, &r->la_after);
		else
			kernel_stats_text(f, r);
		fprintf(f, "hit ratio     %.4f\n",
			ratio(DELTA(r, hits), DELTA(r, lookups)));
		fprintf(f, "loads/key     %.2f (%llu %s / %llu distinct keys asked)\n",
			ratio(DELTA(r, loads_started), r->distinct),
			(unsigned long long)DELTA(r, loads_started),
			o->via == CP_VIA_MEMCACHED ? "database queries" :
			"loads started",
			(unsigned long long)r->distinct);
	}
	fprintf(f, "verdict       %s\n",
		r->wrong ? "FAIL: wrong answers" :
		r->errors ? "FAIL: errors" : "PASS");
}

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void json_errnos(FILE *f, const uint64_t *counts)
{
	const char *sep = "";
	char buf[32];
	unsigned int e;

	fputc('{', f);
	for (e = 0; e < CP_ERRNO_SLOTS; e++) {
		if (!counts[e])
			continue;
		fprintf(f, "%s\"%s\": %llu", sep, errno_name(e, buf, sizeof(buf)),
			(unsigned long long)counts[e]);
		sep = ", ";
	}
	fputc('}', f);
}

static void json_stats(FILE *f, const char *name,
		       const struct cacheproxy_stats *a,
		       const struct cacheproxy_stats *b)
{
	unsigned int i;

	fprintf(f, "  \"%s\": {", name);
	for (i = 0; i < cp_nr_counters; i++) {
		uint64_t v = cp_counter_value(a, i);

		if (b && !cp_counters[i].gauge)
			v -= cp_counter_value(b, i);
		fprintf(f, "%s\"%s\": %llu", i ? ", " : "",
			cp_counters[i].name, (unsigned long long)v);
	}
	fprintf(f, "},\n");
}

int cp_report_json(const char *path, const struct cp_results *r,
		   const struct cp_opts *o)
{
	double secs = (double)r->elapsed_ns / 1e9;
	bool to_stdout = !strcmp(path, "-");
	FILE *f = to_stdout ? stdout : fopen(path, "w");
	unsigned int i;

	if (!f) {
		fprintf(stderr, "cacheproxy-stress: --json %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	fprintf(f, "{\n  \"strategy\": ");
	json_string(f, r->before.strategy);
	fprintf(f, ",\n  \"scenario\": \"%s\",\n  \"via\": \"%s\",\n",
		cp_scenario_name(o->scenario), cp_via_name(o->via));
	fprintf(f, "  \"threads\": %u,\n  \"keys\": %llu,\n  \"burst\": %u,\n  \"batch\": %u,\n",
		o->threads, (unsigned long long)o->keys, o->burst, o->batch);
	fprintf(f, "  \"same_key\": %s,\n", o->same_key ? "true" : "false");
	fprintf(f, "  \"key_prefix\": ");
	json_string(f, o->prefix);
	fprintf(f, ",\n  \"zipf_s\": %g,\n  \"seed\": %llu,\n", o->zipf_s,
		(unsigned long long)o->seed);
	fprintf(f, "  \"mix\": {\"inval\": %g, \"flush\": %g, \"enoent\": %g, \"eio\": %g},\n",
		o->mix.inval, o->mix.flush, o->mix.enoent, o->mix.eio);
	fprintf(f, "  \"expect\": ");
	if (o->expect_path)
		json_string(f, o->expect_path);
	else
		fputs("null", f);
	fprintf(f, ",\n");
	fprintf(f, "  \"interrupted\": %s,\n  \"elapsed_s\": %.6f,\n",
		r->interrupted ? "true" : "false", secs);
	fprintf(f, "  \"ops\": %llu,\n  \"calls\": %llu,\n",
		(unsigned long long)r->ops, (unsigned long long)r->calls);
	fprintf(f, "  \"ops_per_sec\": %.1f,\n  \"ns_per_op\": %.1f,\n",
		secs > 0 ? r->ops / secs : 0.0, ratio(r->elapsed_ns, r->ops));
	if (cp_scenario_bursts(o->scenario))
		fprintf(f, "  \"bursts\": %llu,\n  \"ns_per_burst\": %.1f,\n",
			(unsigned long long)r->bursts,
			ratio(r->elapsed_ns, r->bursts));
	else
		fprintf(f, "  \"bursts\": null,\n  \"ns_per_burst\": null,\n");
	fprintf(f, "  \"latency_ns\": {");
	for (i = 0; i < 4; i++)
		fprintf(f, "\"%s\": %llu, ", pct_keys[i],
			(unsigned long long)cp_hist_percentile(&r->hist, pcts[i]));
	fprintf(f, "\"max\": %llu, \"min\": %llu, \"mean\": %.1f},\n",
		(unsigned long long)r->hist.max,
		(unsigned long long)(r->hist.count ? r->hist.min : 0),
		ratio(r->hist.sum, r->hist.count));
	fprintf(f, "  \"wrong\": %llu,\n  \"errors\": %llu,\n  \"errors_by_errno\": ",
		(unsigned long long)r->wrong, (unsigned long long)r->errors);
	json_errnos(f, r->errs);
	fprintf(f, ",\n  \"tolerated_enomem\": %llu", (unsigned long long)r->tolerated);
	fprintf(f, ",\n  \"expected_errors\": ");
	json_errnos(f, r->expected);
	fprintf(f, ",\n  \"same_n\": {\"checked\": %s, \"keys\": %llu, \"excused\": %llu},\n",
		r->same_n ? "true" : "false",
		(unsigned long long)r->same_n_checked,
		(unsigned long long)r->same_n_excused);
	fprintf(f, "  \"mix_ops\": {\"inval\": %llu, \"flush\": %llu},\n",
		(unsigned long long)r->mix_inval,
		(unsigned long long)r->mix_flush);
	json_stats(f, "stats_before", &r->before, NULL);
	if (r->have_after) {
		json_stats(f, "stats_after", &r->after, NULL);
		json_stats(f, "stats_delta", &r->after, &r->before);
		fprintf(f, "  \"hit_ratio\": %.6f,\n",
			ratio(DELTA(r, hits), DELTA(r, lookups)));
		fprintf(f, "  \"loads_per_distinct_key\": %.6f,\n",
			ratio(DELTA(r, loads_started), r->distinct));
		if (o->via == CP_VIA_MEMCACHED) {
			fprintf(f, "  \"memcached\": {\"address\": ");
			json_string(f, o->memcached);
			cp_la_report_json(f, o, &r->la_before, &r->la_after);
		}
	} else {
		fprintf(f, "  \"stats_after\": null,\n  \"stats_delta\": null,\n");
		fprintf(f, "  \"hit_ratio\": null,\n  \"loads_per_distinct_key\": null,\n");
	}
	fprintf(f, "  \"distinct_keys\": %llu,\n", (unsigned long long)r->distinct);
	fprintf(f, "  \"pass\": %s\n}\n",
		r->wrong || r->errors ? "false" : "true");
	if (to_stdout)
		return fflush(f) ? -1 : 0;
	if (ferror(f) | fclose(f)) {
		fprintf(stderr, "cacheproxy-stress: --json %s: write failed\n",
			path);
		return -1;
	}
	return 0;
}

void cp_live_line(FILE *f, uint64_t elapsed_ns, uint64_t d_ns, uint64_t d_ops,
		  const struct cacheproxy_stats *prev,
		  const struct cacheproxy_stats *now,
		  const struct cacheproxy_stats *start)
{
	uint64_t lookups = now->lookups - prev->lookups;

	fprintf(f, "\r[%6.1fs] %10.0f ops/s  hit %5.1f%%  loads %llu\033[K",
		(double)elapsed_ns / 1e9,
		d_ns ? (double)d_ops * 1e9 / (double)d_ns : 0.0,
		lookups ? 100.0 * (double)(now->hits - prev->hits) /
			  (double)lookups : 0.0,
		(unsigned long long)(now->loads_started - start->loads_started));
	fflush(f);
}
