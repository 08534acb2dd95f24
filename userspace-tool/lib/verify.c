// SPDX-License-Identifier: GPL-2.0
/*
 * Verification of answers against the loader's contract (see verify.h), for
 * the tools and the kselftests.
 */
#include <errno.h>
#include <string.h>

#include "verify.h"

static int has_prefix(const char *s, size_t len, const char *prefix)
{
	size_t plen = strlen(prefix);

	return len >= plen && !memcmp(s, prefix, plen);
}

int cp_key_expected_errno(const char *key, size_t key_len)
{
	if (has_prefix(key, key_len, "enoent-"))
		return ENOENT;
	if (has_prefix(key, key_len, "eio-"))
		return EIO;
	return 0;
}

int cp_parse_value(const char *key, size_t key_len, const char *val,
		   size_t val_len, __u64 *n)
{
	const char *p = val + key_len + 1, *end = val + val_len;
	__u64 v = 0;

	*n = 0;
	if (val_len < key_len + 2 || memcmp(val, key, key_len) ||
	    val[key_len] != ':')
		return -EBADMSG;
	if (end - p > 20 || *p == '0')
		return -EBADMSG;
	for (; p < end; p++) {
		unsigned int d = (unsigned char)*p - '0';

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return -EBADMSG;
		v = v * 10 + d;
	}
	*n = v;
	return 0;
}

enum cp_verdict cp_verify_answer(const char *key, size_t key_len, int err,
				 const char *val, size_t val_len, uint64_t *n)
{
	int expected = cp_key_expected_errno(key, key_len);
	__u64 v;

	*n = 0;
	if (!err) {
		if (expected)
			return CP_ANSWER_WRONG;
		if (cp_parse_value(key, key_len, val, val_len, &v))
			return CP_ANSWER_WRONG;
		*n = v;
		return CP_ANSWER_OK;
	}
	if (err == expected)
		return CP_ANSWER_EXPECTED_ERR;
	/* The loader fails only error keys, and only with their errno. */
	if (err == ENOENT || err == EIO)
		return CP_ANSWER_WRONG;
	return CP_ANSWER_ERROR;
}
