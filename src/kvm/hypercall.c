// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The hypercall doorbell: the only file of the KVM backend that speaks the
 * Hyper-V TLFS.  A guest rings it with OUT to MEMATTR_VM_DOORBELL_PORT using
 * the x64 hypercall registers (RCX control, RDX input GPA, R8 output GPA) and
 * finds the result value in RAX.
 *
 * This is a minimal internal front until the VSM front (include/memattr/vsm.h)
 * is wired here: ModifyVtlProtectionMask, VtlCall and VtlReturn, nothing else.
 * It validates what the guest controls, but it is not the TLFS-complete front:
 * on a store error part-way it does not guarantee that only a prefix of the
 * list changed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vm_int.h"

/* TLFS "Hypercall Status Codes". */
#define HV_STATUS_SUCCESS		  0x0000
#define HV_STATUS_INVALID_HYPERCALL_CODE  0x0002
#define HV_STATUS_INVALID_HYPERCALL_INPUT 0x0003
#define HV_STATUS_INVALID_ALIGNMENT	  0x0004
#define HV_STATUS_INVALID_PARAMETER	  0x0005
#define HV_STATUS_ACCESS_DENIED		  0x0006
#define HV_STATUS_INSUFFICIENT_MEMORY	  0x000b

#define HVCALL_SET_VP_REGISTERS		 0x0051
#define HV_REGISTER_VSM_PARTITION_CONFIG 0x000d0007

/* HV_MAP_GPA_* flags of ModifyVtlProtectionMask. */
#define HV_MAP_GPA_READABLE	     0x1
#define HV_MAP_GPA_WRITABLE	     0x2
#define HV_MAP_GPA_KERNEL_EXECUTABLE 0x4
#define HV_MAP_GPA_USER_EXECUTABLE   0x8

/* Hypercall input value (TLFS "Hypercall Inputs"). */
#define CTL_CODE(c)	     ((c)&0xffff)
#define CTL_FAST	     (1ULL << 16)
#define CTL_REP_COUNT(c)     (((c) >> 32) & 0xfff)
#define CTL_REP_START(c)     (((c) >> 48) & 0xfff)
#define RESULT(status, reps) ((uint64_t)(status) | ((uint64_t)(reps) << 32))

/* HvCallModifyVtlProtectionMask input header; the GPA page list follows. */
struct hv_modify_vtl_protection_mask {
	uint64_t partition_id;
	uint32_t map_flags;
	uint8_t target_vtl; /* HV_INPUT_VTL: bits 0-3 TargetVtl, bit 4 UseTargetVtl */
	uint8_t reserved[3];
} __attribute__((packed));

int hv_init(struct memattr_vm *vm)
{
	vm->hv = NULL;
	return 0;
}

/* Nothing to enable here: every VTL exists from the start. */
int hv_enter(struct memattr_vm *vm, unsigned int vtl)
{
	(void)vm;
	(void)vtl;
	return 0;
}

int hv_intercept_enter(struct memattr_vm *vm, unsigned int from)
{
	(void)vm;
	(void)from;
	return 0;
}

void hv_fini(struct memattr_vm *vm)
{
	vm->hv = NULL;
}

static uint64_t value_of_flags(const struct memattr_vm *vm, uint32_t flags)
{
	bool mbec = memattr_supported(vm->store) & MEMATTR_USER_EXECUTE;
	uint64_t v =
		flags & (HV_MAP_GPA_READABLE | HV_MAP_GPA_WRITABLE | HV_MAP_GPA_KERNEL_EXECUTABLE);

	if (!flags)
		return MEMATTR_NO_ACCESS;
	if (!mbec) {
		/* Without MBEC one execute right covers both modes. */
		if (flags & HV_MAP_GPA_USER_EXECUTABLE)
			v |= MEMATTR_EXECUTE;
		return v == MEMATTR_RWX ? 0 : v;
	}
	if (flags & HV_MAP_GPA_USER_EXECUTABLE)
		v |= MEMATTR_USER_EXECUTE;
	return v == (MEMATTR_RWX | MEMATTR_USER_EXECUTE) ? 0 : v;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Can @vtl read [gpa, gpa+len) of its own RAM?  The VMM reads on its behalf. */
static bool guest_readable(struct memattr_vm *vm, unsigned int vtl, uint64_t gpa, uint64_t len)
{
	if (gpa >= vm->ram_size || len > vm->ram_size - gpa)
		return false;
	for (uint64_t g = gpa >> MEMATTR_PAGE_SHIFT; g <= (gpa + len - 1) >> MEMATTR_PAGE_SHIFT;
	     g++)
		if (!access_allowed(vtl_value(vm, vtl, g), false))
			return false;
	return true;
}

static uint64_t modify_vtl_protection_mask(struct memattr_vm *vm, unsigned int vtl,
					   uint64_t control, uint64_t in)
{
	unsigned int count = CTL_REP_COUNT(control), start = CTL_REP_START(control), target, layer;
	struct hv_modify_vtl_protection_mask hdr;
	uint64_t value, *gfns, len = sizeof(hdr) + (uint64_t)count * 8, n = 0, status = 0;

	if (control & CTL_FAST || start > count)
		return RESULT(HV_STATUS_INVALID_HYPERCALL_INPUT, 0);
	/* Memory input is 8-byte aligned and must not cross a page (TLFS "Hypercall Inputs"). */
	if (in % 8 || (in & (MEMATTR_PAGE_SIZE - 1)) + len > MEMATTR_PAGE_SIZE)
		return RESULT(HV_STATUS_INVALID_ALIGNMENT, start);
	if (!guest_readable(vm, vtl, in, len))
		return RESULT(HV_STATUS_ACCESS_DENIED, start);
	memcpy(&hdr, vm->ram + in, sizeof(hdr));
	/* Without UseTargetVtl the call names the caller's own VTL, which it may not protect. */
	target = hdr.target_vtl & 0x10 ? hdr.target_vtl & 0xf : vtl;
	if (!vtl || target >= vtl || hdr.reserved[0] || hdr.reserved[1] || hdr.reserved[2] ||
	    hdr.target_vtl & 0xe0)
		return RESULT(vtl ? HV_STATUS_INVALID_PARAMETER : HV_STATUS_ACCESS_DENIED, start);
	/* The VSM front's layout: VTL s's protections on VTL t live in layer s(s-1)/2 + t. */
	layer = vtl * (vtl - 1) / 2 + target;
	if (layer >= memattr_layers(vm->store))
		return RESULT(HV_STATUS_INVALID_PARAMETER, start);
	value = value_of_flags(vm, hdr.map_flags);
	if (hdr.map_flags & ~0xfU || !memattr_value_valid(vm->store, value))
		return RESULT(HV_STATUS_INVALID_PARAMETER, start);

	gfns = malloc((count - start + 1) * sizeof(*gfns));
	if (!gfns)
		return RESULT(HV_STATUS_INSUFFICIENT_MEMORY, start);
	/* The first bad page number ends the reps completed. */
	for (unsigned int i = start; i < count; i++) {
		uint64_t g;

		memcpy(&g, vm->ram + in + sizeof(hdr) + i * 8ULL, 8);
		if (g >= vm->pages) {
			status = HV_STATUS_INVALID_PARAMETER;
			break;
		}
		gfns[n++] = g;
	}
	/* Sort and coalesce into runs: one store call, one notification, one mprotect each. */
	qsort(gfns, n, sizeof(*gfns), cmp_u64);
	for (uint64_t i = 0; i < n;) {
		uint64_t j = i + 1, next;

		while (j < n && gfns[j] <= gfns[j - 1] + 1)
			j++;
		if (memattr_set(vm->store, layer, gfns[i], gfns[j - 1] + 1, value, 0, &next) ||
		    next != gfns[j - 1] + 1) {
			free(gfns);
			return RESULT(HV_STATUS_INSUFFICIENT_MEMORY, start);
		}
		i = j;
	}
	free(gfns);
	return RESULT(status, start + n);
}

/*
 * HvCallSetVpRegisters (rep): this front knows one register,
 * HvRegisterVsmPartitionConfig, and applies no default protection with it
 * (every VTL here may protect from the start).  Input header PartitionId (8),
 * VpIndex (4), HV_INPUT_VTL (1), reserved (3); each rep an HV_REGISTER_ASSOC
 * of 32 bytes: Name (4), reserved (12), Value (16).
 */
static uint64_t set_vp_registers(struct memattr_vm *vm, unsigned int vtl, uint64_t control,
				 uint64_t in)
{
	unsigned int count = CTL_REP_COUNT(control), start = CTL_REP_START(control);
	uint64_t len = 16 + 32ULL * count;

	if (control & CTL_FAST || start >= count)
		return RESULT(HV_STATUS_INVALID_HYPERCALL_INPUT, 0);
	if (in % 8 || (in & (MEMATTR_PAGE_SIZE - 1)) + len > MEMATTR_PAGE_SIZE)
		return RESULT(HV_STATUS_INVALID_ALIGNMENT, start);
	if (!guest_readable(vm, vtl, in, len))
		return RESULT(HV_STATUS_ACCESS_DENIED, start);
	for (unsigned int i = start; i < count; i++) {
		uint32_t name;

		memcpy(&name, vm->ram + in + 16 + 32ULL * i, 4);
		if (name != HV_REGISTER_VSM_PARTITION_CONFIG || !vtl)
			return RESULT(HV_STATUS_INVALID_PARAMETER, i);
	}
	return RESULT(HV_STATUS_SUCCESS, count);
}

int hv_doorbell(struct memattr_vm *vm, unsigned int vtl, unsigned int *next_vtl)
{
	struct kvm_regs regs;
	uint64_t result;

	int ret = vcpu_regs_get(vm, vtl, &regs);

	if (ret)
		return ret;
	*next_vtl = vtl;
	switch (CTL_CODE(regs.rcx)) {
	case MEMATTR_HVCALL_MODIFY_VTL_PROTECTION_MASK:
		result = modify_vtl_protection_mask(vm, vtl, regs.rcx, regs.rdx);
		break;
	case HVCALL_SET_VP_REGISTERS:
		result = set_vp_registers(vm, vtl, regs.rcx, regs.rdx);
		break;
	case MEMATTR_HVCALL_VTL_CALL:
		if (vtl + 1 >= vm->vtls) {
			result = RESULT(HV_STATUS_ACCESS_DENIED, 0);
			break;
		}
		result = HV_STATUS_SUCCESS;
		*next_vtl = vtl + 1;
		break;
	case MEMATTR_HVCALL_VTL_RETURN:
		if (!vtl) {
			result = RESULT(HV_STATUS_ACCESS_DENIED, 0);
			break;
		}
		result = HV_STATUS_SUCCESS;
		*next_vtl = vtl - 1;
		break;
	default:
		result = RESULT(HV_STATUS_INVALID_HYPERCALL_CODE, 0);
		break;
	}
	regs.rax = result;
	return vcpu_regs_set(vm, vtl, &regs);
}
