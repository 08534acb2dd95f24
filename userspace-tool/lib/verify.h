/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libcacheproxy, the synthetic loader's contract, checked on every answer
 * by the tools and the kselftests:
 *   - a key that begins "enoent-" fails with ENOENT, "eio-" with EIO;
 *   - any other key succeeds with the value "KEY:N", KEY exactly the key
 *     asked and N a positive decimal u64 without leading zeros.
 */
#ifndef _CP_VERIFY_H
#define _CP_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include <linux/types.h>

enum cp_verdict {
	CP_ANSWER_OK,		/* the right value */
	CP_ANSWER_EXPECTED_ERR,	/* the right errno for an error key */
	CP_ANSWER_WRONG,	/* the contract is broken */
	CP_ANSWER_ERROR,	/* an errno the contract does not explain */
};

/* The errno a lookup of @key must fail with, or 0 if it must succeed. */
int cp_key_expected_errno(const char *key, size_t key_len);

/*
 * Parse @val (@val_len bytes, not NUL-terminated) as "KEY:N" for @key, N a
 * decimal u64 (the UAPI's __u64, as the kselftests hold it): returns 0 and
 * stores N in @n, or -EBADMSG (and 0 in @n) when the value is malformed
 * or names another key.
 */
int cp_parse_value(const char *key, size_t key_len, const char *val,
		   size_t val_len, __u64 *n);

/*
 * Judge one answer: @err is 0 (success, @val holds the value) or the
 * positive errno the lookup failed with. On CP_ANSWER_OK, @n gets N; it
 * is set to 0 otherwise.
 */
enum cp_verdict cp_verify_answer(const char *key, size_t key_len, int err,
				 const char *val, size_t val_len, uint64_t *n);

#endif /* _CP_VERIFY_H */
