/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Key choice: a Zipf sampler over the library's PRNG, key formatting.
 */
#ifndef _CP_KEYGEN_H
#define _CP_KEYGEN_H

#include <stddef.h>
#include <stdint.h>

#include "rng.h"

/*
 * Zipf over ranks 1..n with exponent s > 0: P(k) ~ 1 / k^s. Rejection
 * inversion (Hörmann & Derflinger 1996): O(1) memory and time per sample.
 */
struct cp_zipf {
	uint64_t n;
	double s;
	double h_x1;		/* H(1.5) - 1 */
	double h_n;		/* H(n + 0.5) */
	double cut;		/* the squeeze constant */
};

void cp_zipf_init(struct cp_zipf *z, uint64_t n, double s);
/* A rank in 1..n, rank 1 the most frequent. */
uint64_t cp_zipf_sample(const struct cp_zipf *z, struct cp_rng *r);

/* Key kinds the stress tool asks for. */
enum cp_key_kind {
	CP_KEY_NORMAL,		/* PREFIX NUM */
	CP_KEY_ENOENT,		/* "enoent-" PREFIX NUM (--mix enoent) */
	CP_KEY_EIO,		/* "eio-" PREFIX NUM (--mix eio) */
	CP_KEY_KINDS,
};

/* Writes the key into @buf (at least CACHEPROXY_KEY_MAX + 1 bytes, NUL
 * terminated) and returns its length. */
size_t cp_key_format(char *buf, enum cp_key_kind kind, const char *prefix,
		     uint64_t num);

#endif /* _CP_KEYGEN_H */
