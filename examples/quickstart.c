// SPDX-License-Identifier: LGPL-2.1-or-later
/* The README's example: two VTL layers, a protection change, a fault-time lookup. */
#include <stdio.h>

#include <memattr/kvm.h>

int main(void)
{
	struct memattr_config cfg = { .layers = 2, .gpa_bits = 52 };
	struct memattr_kvm_attributes req = { .address = 0x100000,
					      .size = 0x200000,
					      .attributes = MEMATTR_READ | MEMATTR_EXECUTE };
	struct memattr_store *s;
	struct memattr_extent e;

	if (memattr_store_create(&cfg, &s))
		return 1;
	/* KVM_SET_MEMORY_ATTRIBUTES on layer 0; retry while size says work is left. */
	while (req.size)
		if (memattr_kvm_set_attributes(s, 0, &req, 0))
			return 1;
	/* A fault handler asks: value, run, and the largest uniform aligned block. */
	memattr_extent(s, 0, 0x200, &e);
	printf("gfn 0x200: value 0x%llx, run [0x%llx, 0x%llx), order %u\n",
	       (unsigned long long)e.value, (unsigned long long)e.start, (unsigned long long)e.end,
	       e.order);
	memattr_store_destroy(s);
	return e.value == (MEMATTR_READ | MEMATTR_EXECUTE) ? 0 : 1;
}
