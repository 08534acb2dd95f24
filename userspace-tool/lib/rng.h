/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libcacheproxy, the one PRNG of the tools: xoshiro256** seeded through
 * splitmix64. Fast, good enough, one state per thread; a seed and a
 * stream number give a reproducible sequence.
 */
#ifndef _CP_RNG_H
#define _CP_RNG_H

#include <stdint.h>

struct cp_rng {
	uint64_t s[4];
};

/* Streams of one @seed are independent (a thread, a group, a caller). */
void cp_rng_seed(struct cp_rng *r, uint64_t seed, uint64_t stream);
uint64_t cp_rng_next(struct cp_rng *r);
/* Uniform in [0, n); 0 when n is 0. */
uint64_t cp_rng_below(struct cp_rng *r, uint64_t n);
/* Uniform in [0, 1). */
double cp_rng_double(struct cp_rng *r);

#endif /* _CP_RNG_H */
