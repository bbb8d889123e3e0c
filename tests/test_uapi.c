// SPDX-License-Identifier: LGPL-2.1-or-later
/* The KVM-shaped front: every EINVAL check, progress reporting, binary layout. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <linux/kvm.h>

#include <memattr/kvm.h>

#ifdef KVM_SET_MEMORY_ATTRIBUTES
/* Newer kernel headers carry the real struct: the layouts must agree. */
_Static_assert(sizeof(struct kvm_memory_attributes) == sizeof(struct memattr_kvm_attributes), "");
_Static_assert(offsetof(struct kvm_memory_attributes, attributes) ==
		       offsetof(struct memattr_kvm_attributes, attributes),
	       "");
_Static_assert(KVM_MEMORY_ATTRIBUTE_PRIVATE == MEMATTR_PRIVATE, "");
#endif

#define R  MEMATTR_READ
#define W  MEMATTR_WRITE
#define X  MEMATTR_EXECUTE
#define NA MEMATTR_NO_ACCESS
#define PG 0x1000ULL

struct bad_case {
	const char *why;
	unsigned int gpa_bits;
	unsigned int layer;
	struct memattr_kvm_attributes a;
};

static const struct bad_case bad_cases[] = {
	{ "flags", 40, 0, { 0, PG, R, 1 } },
	{ "flags high bit", 40, 0, { 0, PG, R, 1ULL << 63 } },
	{ "unsupported USER_EXECUTE", 40, 0, { 0, PG, R | MEMATTR_USER_EXECUTE, 0 } },
	{ "unknown bit 6", 40, 0, { 0, PG, 1ULL << 6, 0 } },
	{ "unknown bit 63", 40, 0, { 0, PG, R | 1ULL << 63, 0 } },
	{ "W without R", 40, 0, { 0, PG, W, 0 } },
	{ "X without R", 40, 0, { 0, PG, X, 0 } },
	{ "W|X without R", 40, 0, { 0, PG, W | X, 0 } },
	{ "NO_ACCESS with R", 40, 0, { 0, PG, NA | R, 0 } },
	{ "NO_ACCESS with RWX", 40, 0, { 0, PG, NA | R | W | X, 0 } },
	{ "size 0", 40, 0, { PG, 0, R, 0 } },
	{ "size 0 at 0", 40, 0, { 0, 0, 0, 0 } },
	{ "overflow", 64, 0, { 0xfffffffffffff000ULL, 2 * PG, R, 0 } },
	{ "ends exactly at 2^64", 64, 0, { 0xfffffffffffff000ULL, PG, R, 0 } },
	{ "huge size wraps", 64, 0, { PG, 0xfffffffffffff000ULL, R, 0 } },
	{ "address unaligned", 40, 0, { 0x1001, PG, R, 0 } },
	{ "address low bit", 40, 0, { 1, PG, R, 0 } },
	{ "size unaligned", 40, 0, { 0, 0x1001, R, 0 } },
	{ "size below a page", 40, 0, { 0, 0x800, R, 0 } },
	{ "ends past the width", 40, 0, { (1ULL << 40) - PG, 2 * PG, R, 0 } },
	{ "starts at the width", 40, 0, { 1ULL << 40, PG, R, 0 } },
	{ "far past the width", 52, 0, { 1ULL << 60, PG, R, 0 } },
	{ "layer out of range", 40, 2, { 0, PG, R, 0 } },
	{ "layer huge", 40, 0xffffffffu, { 0, PG, R, 0 } },
};

static void test_einval_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct memattr_config cfg = { .layers = 2, .gpa_bits = c->gpa_bits };
		struct memattr_kvm_attributes a = c->a;
		struct memattr_store *s;
		struct memattr_stats st;

		assert_int_equal(memattr_store_create(&cfg, &s), 0);
		if (memattr_kvm_set_attributes(s, c->layer, &a, 0) != -EINVAL)
			fail_msg("accepted: %s", c->why);
		/* The request is untouched and nothing changed. */
		assert_memory_equal(&a, &c->a, sizeof(a));
		assert_int_equal(memattr_stats(s, -1, &st), 0);
		assert_int_equal(st.bytes, 0);
		assert_int_equal(memattr_get(s, 0, 0), 0);
		memattr_store_destroy(s);
	}
}

static void test_null_args(void **state)
{
	struct memattr_kvm_attributes a = { 0, PG, R, 0 };
	struct memattr_store *s;
	uint64_t mask;

	(void)state;
	assert_int_equal(memattr_store_create(NULL, &s), 0);
	assert_int_equal(memattr_kvm_set_attributes(NULL, 0, &a, 0), -EINVAL);
	assert_int_equal(memattr_kvm_set_attributes(s, 0, NULL, 0), -EINVAL);
	assert_int_equal(memattr_kvm_get_supported(NULL, 0, &mask), -EINVAL);
	assert_int_equal(memattr_kvm_get_supported(s, 0, NULL), -EINVAL);
	memattr_store_destroy(s);
}

static void test_supported(void **state)
{
	struct memattr_config cfg = { .layers = 3, .gpa_bits = 52, .flags = MEMATTR_F_MBEC };
	struct memattr_store *s;
	uint64_t mask = 0;

	(void)state;
	assert_int_equal(memattr_store_create(&cfg, &s), 0);
	for (unsigned int l = 0; l < 3; l++) {
		assert_int_equal(memattr_kvm_get_supported(s, l, &mask), 0);
		assert_int_equal(mask, 0x3f);
	}
	assert_int_equal(memattr_kvm_get_supported(s, 3, &mask), -EINVAL);
	memattr_store_destroy(s);
	assert_int_equal(memattr_store_create(NULL, &s), 0);
	assert_int_equal(memattr_kvm_get_supported(s, 15, &mask), 0);
	assert_int_equal(mask, 0x1f);
	memattr_store_destroy(s);
}

static void test_whole_range_done(void **state)
{
	struct memattr_config cfg = { .layers = 1, .gpa_bits = 40 };
	struct memattr_kvm_attributes a = { 0x5000, 0x3000, R | X | MEMATTR_PRIVATE, 0 };
	struct memattr_store *s;

	(void)state;
	assert_int_equal(memattr_store_create(&cfg, &s), 0);
	assert_int_equal(memattr_kvm_set_attributes(s, 0, &a, 0), 0);
	assert_int_equal(a.address, 0x8000);
	assert_int_equal(a.size, 0);
	assert_int_equal(a.attributes, R | X | MEMATTR_PRIVATE);
	assert_int_equal(memattr_get(s, 0, 4), 0);
	assert_int_equal(memattr_get(s, 0, 5), R | X | MEMATTR_PRIVATE);
	assert_int_equal(memattr_get(s, 0, 7), R | X | MEMATTR_PRIVATE);
	assert_int_equal(memattr_get(s, 0, 8), 0);
	/* The last page of the space, ending exactly at 2^gpa_bits. */
	a = (struct memattr_kvm_attributes){ (1ULL << 40) - PG, PG, NA, 0 };
	assert_int_equal(memattr_kvm_set_attributes(s, 0, &a, 0), 0);
	assert_int_equal(a.address, 1ULL << 40);
	assert_int_equal(a.size, 0);
	assert_int_equal(memattr_get(s, 0, (1ULL << 28) - 1), NA);
	/* The whole space; value 0 clears. */
	a = (struct memattr_kvm_attributes){ 0, 1ULL << 40, 0, 0 };
	assert_int_equal(memattr_kvm_set_attributes(s, 0, &a, 0), 0);
	assert_int_equal(a.size, 0);
	assert_int_equal(memattr_get(s, 0, 5), 0);
	memattr_store_destroy(s);
}

/* gpa_bits 64: the last page cannot be set (end == 2^64), the one before can. */
static void test_64bit_space(void **state)
{
	struct memattr_config cfg = { .layers = 1, .gpa_bits = 64 };
	struct memattr_kvm_attributes a = { 0xffffffffffffe000ULL, PG, R, 0 };
	struct memattr_store *s;

	(void)state;
	assert_int_equal(memattr_store_create(&cfg, &s), 0);
	assert_int_equal(memattr_kvm_set_attributes(s, 0, &a, 0), 0);
	assert_int_equal(a.address, 0xfffffffffffff000ULL);
	assert_int_equal(a.size, 0);
	assert_int_equal(memattr_get(s, 0, 0xffffffffffffeULL), R);
	assert_int_equal(memattr_get(s, 0, 0xfffffffffffffULL), 0);
	memattr_store_destroy(s);
}

/* Seed semantics: partial progress reported, the retry finishes the job. */
static void test_progress_and_retry(void **state)
{
	struct memattr_config cfg = { .layers = 1, .gpa_bits = 52 };
	struct memattr_kvm_attributes a;
	struct memattr_store *s;
	uint64_t end = 256ULL << 21, calls = 0;

	(void)state;
	assert_int_equal(memattr_store_create(&cfg, &s), 0);
	/* 256 fragmented 2M blocks, then one KVM-shaped set over all of them. */
	for (uint64_t i = 0; i < 256; i++) {
		a = (struct memattr_kvm_attributes){ (i << 21) + PG * 3, PG, R, 0 };
		assert_int_equal(memattr_kvm_set_attributes(s, 0, &a, 0), 0);
	}
	a = (struct memattr_kvm_attributes){ PG, end - PG, R | W, 0 };
	while (a.size) {
		uint64_t before = a.address;

		assert_int_equal(memattr_kvm_set_attributes(s, 0, &a, 16), 0);
		assert_true(a.address > before);
		assert_int_equal(a.address + a.size, end);
		assert_int_equal(a.address % PG, 0);
		/* Done below address, untouched above it. */
		assert_int_equal(memattr_get(s, 0, (a.address >> 12) - 1), R | W);
		if (a.size)
			assert_int_equal(
				memattr_get(s, 0, ((a.address + (1 << 21) - 1) >> 21 << 9) + 3), R);
		calls++;
	}
	assert_true(calls > 1);
	assert_int_equal(memattr_get(s, 0, 0), 0);
	assert_int_equal(memattr_get(s, 0, (end >> 12) - 1), R | W);
	memattr_store_destroy(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_einval_table), cmocka_unit_test(test_null_args),
		cmocka_unit_test(test_supported),    cmocka_unit_test(test_whole_range_done),
		cmocka_unit_test(test_64bit_space),  cmocka_unit_test(test_progress_and_retry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
