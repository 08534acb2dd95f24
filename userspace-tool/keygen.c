// SPDX-License-Identifier: GPL-2.0
/*
 * Zipf sampler and key names for cacheproxy-stress (see keygen.h).
 */
#include <math.h>
#include <stdio.h>

#include <linux/cacheproxy.h>

#include "keygen.h"

/* log1p(x) / x, continuous at 0 */
static double log1p_over_x(double x)
{
	return fabs(x) > 1e-8 ? log1p(x) / x : 1.0 - x / 2.0;
}

/* expm1(x) / x, continuous at 0 */
static double expm1_over_x(double x)
{
	return fabs(x) > 1e-8 ? expm1(x) / x : 1.0 + x / 2.0;
}

/* H(x) = integral of 1 / t^s, shifted so that it is defined for s = 1 */
static double zipf_h_integral(const struct cp_zipf *z, double x)
{
	double lx = log(x);

	return expm1_over_x((1.0 - z->s) * lx) * lx;
}

static double zipf_h(const struct cp_zipf *z, double x)
{
	return exp(-z->s * log(x));
}

static double zipf_h_integral_inv(const struct cp_zipf *z, double x)
{
	double t = x * (1.0 - z->s);

	if (t < -1.0)
		t = -1.0;
	return exp(log1p_over_x(t) * x);
}

void cp_zipf_init(struct cp_zipf *z, uint64_t n, double s)
{
	z->n = n;
	z->s = s;
	z->h_x1 = zipf_h_integral(z, 1.5) - 1.0;
	z->h_n = zipf_h_integral(z, (double)n + 0.5);
	z->cut = 2.0 - zipf_h_integral_inv(z, zipf_h_integral(z, 2.5) -
					   zipf_h(z, 2.0));
}

uint64_t cp_zipf_sample(const struct cp_zipf *z, struct cp_rng *r)
{
	for (;;) {
		double u = z->h_n + cp_rng_double(r) * (z->h_x1 - z->h_n);
		double x = zipf_h_integral_inv(z, u);
		double k = floor(x + 0.5);

		if (k < 1.0)
			k = 1.0;
		else if (k > (double)z->n)
			k = (double)z->n;
		if (k - x <= z->cut ||
		    u >= zipf_h_integral(z, k + 0.5) - zipf_h(z, k))
			return (uint64_t)k;
	}
}

size_t cp_key_format(char *buf, enum cp_key_kind kind, const char *prefix,
		     uint64_t num)
{
	static const char * const kind_prefix[CP_KEY_KINDS] = {
		[CP_KEY_NORMAL] = "",
		[CP_KEY_ENOENT] = "enoent-",
		[CP_KEY_EIO] = "eio-",
	};
	int n = snprintf(buf, CACHEPROXY_KEY_MAX + 1, "%s%s%llu",
			 kind_prefix[kind], prefix, (unsigned long long)num);

	/* options.c keeps prefix short enough that this never truncates */
	return n < 0 ? 0 : (size_t)n;
}
