// SPDX-License-Identifier: GPL-2.0
/*
 * xoshiro256** (Blackman & Vigna), seeded by splitmix64 (see rng.h).
 */
#include "rng.h"

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void cp_rng_seed(struct cp_rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed ^ (stream * 0xd1342543de82ef95ULL);
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t cp_rng_next(struct cp_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* The high 64 bits of a * b, without __int128 (which -m32 lacks). */
static uint64_t mul_high(uint64_t a, uint64_t b)
{
	uint64_t a_lo = (uint32_t)a, a_hi = a >> 32;
	uint64_t b_lo = (uint32_t)b, b_hi = b >> 32;
	uint64_t lo_lo = a_lo * b_lo, hi_lo = a_hi * b_lo;
	uint64_t lo_hi = a_lo * b_hi, hi_hi = a_hi * b_hi;
	uint64_t mid = (lo_lo >> 32) + (uint32_t)hi_lo + lo_hi;

	return hi_hi + (hi_lo >> 32) + (mid >> 32);
}

uint64_t cp_rng_below(struct cp_rng *r, uint64_t n)
{
	return mul_high(cp_rng_next(r), n);
}

double cp_rng_double(struct cp_rng *r)
{
	return (double)(cp_rng_next(r) >> 11) * 0x1.0p-53;
}
