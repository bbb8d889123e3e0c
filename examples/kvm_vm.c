// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * docs/kvm.md's example: a page VTL 0 may only read, a guest that writes it,
 * and the intercept VTL 1 receives.  Exits 77 where /dev/kvm is missing.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <memattr/vm.h>

/*
 * VTL 1: VtlReturn, and again after each intercept (RAX = 0, not a fast
 * return; RCX = 0x12; out %al, $0x50).
 */
static const unsigned char vtl1[] = { 0x31, 0xc0, 0xb9, 0x12, 0, 0, 0, 0xe6, 0x50, 0xeb, 0xf5 };
/* VTL 0: movq $1, 0x400000; hlt. */
static const unsigned char vtl0[] = { 0x48, 0xc7, 0x04, 0x25, 0, 0, 0x40, 0, 1, 0, 0, 0, 0xf4 };

int main(void)
{
	struct memattr_config scfg = { .layers = 1, .gpa_bits = 32 };
	struct memattr_vm_config cfg = { .vtls = 2,
					 .ram_size = 8 << 20,
					 .msg_gpa = { 0, 0x600000 } };
	const struct memattr_vm_intercept *icpt;
	struct memattr_store *s;
	struct memattr_vm *vm;
	unsigned int n, halted;
	uint64_t next;
	int ret;

	if (memattr_store_create(&scfg, &s))
		return 1;
	cfg.store = s;
	ret = memattr_vm_create(&cfg, &vm);
	if (ret == -ENODEV || ret == -EACCES || ret == -ENOENT) {
		printf("no usable /dev/kvm: %s\n", strerror(-ret));
		memattr_store_destroy(s);
		return 77;
	}
	if (ret)
		return 1;
	memcpy((char *)memattr_vm_ram(vm) + 0x100000, vtl1, sizeof(vtl1));
	memcpy((char *)memattr_vm_ram(vm) + 0x200000, vtl0, sizeof(vtl0));
	memattr_vm_vcpu_init(vm, 1, 0x100000, 0x110000);
	memattr_vm_vcpu_init(vm, 0, 0x200000, 0x210000);
	/*
	 * Layer 0 is VTL 1's protection mask, which limits VTL 0: VTL 0 may only
	 * read gfn 0x400, and the view makes the page read-only at once.
	 */
	memattr_set(s, 0, 0x400, 0x401, MEMATTR_READ, 0, &next);

	ret = memattr_vm_run(vm, 1, &halted);
	icpt = memattr_vm_intercepts(vm, &n);
	printf("run %d, VTL %u halted, %u intercept(s)", ret, halted, n);
	if (n)
		printf(": VTL %u %s gpa 0x%llx", icpt[0].from_vtl,
		       icpt[0].access == MEMATTR_VM_ACCESS_WRITE ? "write" : "read",
		       (unsigned long long)icpt[0].gpa);
	printf("\n");
	ret = !ret && halted == 0 && n == 1 && icpt[0].gpa == 0x400000 &&
			      icpt[0].access == MEMATTR_VM_ACCESS_WRITE
		      ? 0
		      : 1;
	memattr_vm_destroy(vm);
	memattr_store_destroy(s);
	return ret;
}
