// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer harness for the KVM-shaped set call, cross-checked against the
 * reference model.  Each 24-byte record is one request on a 2-layer store of
 * 4096 pages: raw or page-scaled address/size, attributes, flags, layer and
 * work limit.  The harness decides independently whether the request is
 * legal; the store must agree, report progress the model can replay, notify
 * exactly the model's changes, and hold the model's contents afterwards.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <memattr/kvm.h>

#include "model.h"

#define GPA_BITS 24
#define NR_PAGES (1ULL << (GPA_BITS - 12))
#define LAYERS	 2

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct heard {
	size_t n;
	struct memattr_change c[NR_PAGES];
};

static struct heard got, want;

static void store_heard(struct memattr_notifier *n, const struct memattr_change *c)
{
	(void)n;
	got.c[got.n++] = *c;
}

static void model_heard(void *opaque, const struct memattr_change *c)
{
	(void)opaque;
	want.c[want.n++] = *c;
}

static uint64_t u64_at(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* The contract, restated independently of src/uapi. */
static bool legal(unsigned int layer, const struct memattr_kvm_attributes *a)
{
	static const uint64_t prot[] = { 0, 0x10, 0x1, 0x5, 0x3, 0x7 };
	bool value_ok = false;

	for (size_t i = 0; i < sizeof(prot) / sizeof(prot[0]); i++)
		value_ok |= (a->attributes & ~MEMATTR_PRIVATE) == prot[i];
	return layer < LAYERS && !a->flags && value_ok && a->size &&
	       a->address + a->size > a->address && !(a->address % 4096) && !(a->size % 4096) &&
	       a->address + a->size <= (1ULL << GPA_BITS);
}

static int put_run(void *opaque, uint64_t start, uint64_t end, uint64_t value)
{
	uint8_t *pages = opaque;

	memset(pages + start, (int)value, end - start);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t a_pages[NR_PAGES], b_pages[NR_PAGES];
	static uint64_t points[NR_PAGES];
	struct memattr_config cfg = { .layers = LAYERS, .gpa_bits = GPA_BITS };
	struct memattr_notifier n = { .notify = store_heard, .layers = ~0U };
	struct memattr_store *s;
	struct model *m;

	for (uint64_t i = 0; i < NR_PAGES; i++)
		points[i] = i;
	if (memattr_store_create(&cfg, &s))
		abort();
	m = model_create(LAYERS, GPA_BITS - 12, points, NR_PAGES);
	if (!m)
		abort();
	memattr_notifier_register(s, &n);
	for (; size >= 24; data += 24, size -= 24) {
		struct memattr_kvm_attributes a, before;
		unsigned int layer = data[0] % (LAYERS + 1);
		uint64_t limit = data[1] % 4 ? 0 : data[1] >> 2;
		bool ok;
		int ret;

		if (data[2] & 1) { /* raw fields */
			a.address = u64_at(data + 4);
			a.size = u64_at(data + 12);
		} else { /* page-scaled, mostly legal */
			a.address = (u64_at(data + 4) % (NR_PAGES + 2)) << 12;
			a.size = (u64_at(data + 12) % (NR_PAGES + 2)) << 12;
		}
		a.attributes = data[20] & 0x80 ? data[20] : data[20] & 0x1f;
		a.flags = data[21] == 0xff ? data[22] : 0;
		before = a;
		ok = legal(layer, &a);
		got.n = want.n = 0;
		ret = memattr_kvm_set_attributes(s, layer, &a, limit);
		if (!ok) {
			if (ret != -EINVAL || memcmp(&a, &before, sizeof(a)) || got.n)
				abort();
			continue;
		}
		if (ret || a.address <= before.address ||
		    a.address + a.size != before.address + before.size || (a.size && !limit))
			abort();
		if (model_set(m, layer, before.address >> 12, a.address >> 12,
			      (uint8_t)before.attributes, model_heard, NULL))
			abort();
		if (got.n != want.n)
			abort();
		for (size_t i = 0; i < got.n; i++)
			if (got.c[i].start != want.c[i].start || got.c[i].end != want.c[i].end ||
			    got.c[i].old_value != want.c[i].old_value ||
			    got.c[i].new_value != want.c[i].new_value)
				abort();
		if (memattr_runs(s, layer, 0, NR_PAGES, put_run, a_pages) ||
		    model_runs(m, layer, 0, NR_PAGES, put_run, b_pages) ||
		    memcmp(a_pages, b_pages, NR_PAGES))
			abort();
	}
	memattr_store_destroy(s);
	model_destroy(m);
	return 0;
}
