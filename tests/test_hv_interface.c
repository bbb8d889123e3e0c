// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The Hyper-V guest interface's rules (src/kvm/hv_interface.c) without KVM:
 * the CPUID leaves 0x40000000-0x40000005, the synthetic MSRs' register
 * semantics and the hypercall page's bytes.  The numbers a guest uses (leaf
 * and MSR indices, register bits, call codes) are written here as the
 * references give them, not taken from hv_interface.h, so a wrong constant
 * there fails here.  Each group says which peer behaviour it encodes: the
 * TLFS, OpenVMM's hv1 emulator (vm/hv1/hv1_emulator/src/hv.rs, synic.rs and
 * vm/hv1/hvdef/src/lib.rs), Linux's hyperv-tlfs.h or KVM's
 * arch/x86/kvm/hyperv.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <Zydis/Zydis.h>

#include <memattr/vm.h>

#include "kvm/hv_interface.h"

/* hvdef: HV_X64_MSR_* (TLFS appendix "Hypervisor MSRs"). */
#define MSR_GUEST_OS_ID	   0x40000000u
#define MSR_HYPERCALL	   0x40000001u
#define MSR_VP_INDEX	   0x40000002u
#define MSR_VP_ASSIST_PAGE 0x40000073u
#define MSR_SCONTROL	   0x40000080u
#define MSR_SVERSION	   0x40000081u
#define MSR_SIEFP	   0x40000082u
#define MSR_SIMP	   0x40000083u
#define MSR_EOM		   0x40000084u
#define MSR_SINT0	   0x40000090u
#define NSINT		   16

/* hvdef: MsrHypercallContents, HvSynicSimpSiefp, HvRegisterVpAssistPage, HvSynicSint. */
#define ENABLE	(1ULL << 0)
#define LOCKED	(1ULL << 1)
#define MASKED	(1ULL << 16)
#define VECTOR	0xffULL
#define GPA_A	0x5000ULL
#define GPA_B	0x7000ULL
#define GPA_C	0x9000ULL
#define GPA_TOP 0xfffffffffffff000ULL /* every GPA bit of a page register */

/* hvdef: HvCallCode. */
#define HV_CALL_VTL_CALL   0x11
#define HV_CALL_VTL_RETURN 0x12

#define VP 3 /* the vp_index hv_msr_read() is given */

/* Fail naming the case when @got differs from @want (a loop's line alone does not say which). */
#define check_eq(got, want, ...) check_eq_at(__LINE__, (got), (want), __VA_ARGS__)

static void check_eq_at(int line, uint64_t got, uint64_t want, const char *fmt, ...)
{
	char what[160];
	va_list ap;

	if (got == want)
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	fail_msg("line %d: %s: got %#llx, want %#llx", line, what, (unsigned long long)got,
		 (unsigned long long)want);
}

/* A page_ok() that counts its calls: the VMM's "RAM this VTL may write" check. */
struct pager {
	bool answer;
	unsigned int calls;
	uint64_t gpa; /* the last GPA asked about */
};

static bool pager_ok(void *opaque, uint64_t gpa)
{
	struct pager *p = opaque;

	p->calls++;
	p->gpa = gpa;
	return p->answer;
}

struct vp {
	struct memattr_vm_hv_msrs m;
	struct pager pager;
};

static void vp_reset(struct vp *v)
{
	memset(v, 0xa5, sizeof(*v)); /* reset must set every field */
	hv_msrs_reset(&v->m);
	v->pager = (struct pager){ .answer = true };
}

static enum hv_write wr(struct vp *v, uint32_t msr, uint64_t value)
{
	return hv_msr_write(&v->m, msr, value, pager_ok, &v->pager);
}

static uint64_t rd(const struct vp *v, uint32_t msr)
{
	uint64_t value = 0xdeadbeef;

	if (!hv_msr_read(&v->m, msr, VP, &value))
		fail_msg("read of MSR %#x: #GP", msr);
	return value;
}

/* A write refused with #GP that leaves every register as it was. */
static void check_gp(struct vp *v, uint32_t msr, uint64_t value)
{
	struct memattr_vm_hv_msrs before = v->m;

	check_eq(wr(v, msr, value), HV_WRITE_GP, "MSR %#x := %#llx", msr,
		 (unsigned long long)value);
	if (memcmp(&before, &v->m, sizeof(before)) != 0)
		fail_msg("MSR %#x := %#llx: #GP but the registers changed", msr,
			 (unsigned long long)value);
}

/* A write taken as it is: it reads back, and no other register changes. */
static void check_taken(struct vp *v, uint32_t msr, uint64_t value)
{
	uint64_t other[NSINT + 6];
	const uint32_t msrs[] = { MSR_GUEST_OS_ID, MSR_HYPERCALL, MSR_VP_ASSIST_PAGE,
				  MSR_SCONTROL,	   MSR_SIEFP,	  MSR_SIMP };
	unsigned int n = 0;

	for (unsigned int i = 0; i < 6; i++)
		other[n++] = rd(v, msrs[i]);
	for (unsigned int i = 0; i < NSINT; i++)
		other[n++] = rd(v, MSR_SINT0 + i);
	check_eq(wr(v, msr, value), HV_WRITE_DONE, "MSR %#x := %#llx", msr,
		 (unsigned long long)value);
	check_eq(rd(v, msr), value, "MSR %#x read back", msr);
	n = 0;
	for (unsigned int i = 0; i < 6; i++, n++)
		if (msrs[i] != msr)
			check_eq(rd(v, msrs[i]), other[n], "MSR %#x after a write of %#x", msrs[i],
				 msr);
	for (unsigned int i = 0; i < NSINT; i++, n++)
		if (MSR_SINT0 + i != msr)
			check_eq(rd(v, MSR_SINT0 + i), other[n], "SINT%u after a write of %#x", i,
				 msr);
}

/* --- CPUID (TLFS "Feature and Interface Discovery") --- */

static void leaves(struct kvm_cpuid_entry2 e[HV_CPUID_LEAVES], unsigned int nvps)
{
	memset(e, 0x5a, HV_CPUID_LEAVES * sizeof(*e)); /* every field must be written */
	hv_cpuid_leaves(e, nvps);
}

/* Six leaves, 0x40000000 to 0x40000005 in order, none indexed (KVM_SET_CPUID2: index, flags 0). */
static void test_cpuid_functions(void **state)
{
	struct kvm_cpuid_entry2 e[HV_CPUID_LEAVES];

	(void)state;
	assert_int_equal(HV_CPUID_LEAVES, 6);
	leaves(e, 1);
	for (unsigned int i = 0; i < 6; i++) {
		check_eq(e[i].function, 0x40000000u + i, "entry %u function", i);
		check_eq(e[i].index, 0, "leaf %#x index", e[i].function);
		check_eq(e[i].flags, 0, "leaf %#x flags", e[i].function);
		for (unsigned int j = 0; j < 3; j++)
			check_eq(e[i].padding[j], 0, "leaf %#x padding[%u]", e[i].function, j);
	}
}

/* 0x40000000: EAX the highest leaf, 0x40000005 (IMPLEMENTATION_LIMITS), EBX:ECX:EDX "Microsoft Hv"
 * (OpenVMM vmm_core/virt_kvm/src/arch/x86_64/mod.rs without a nested leaf). */
static void test_cpuid_vendor(void **state)
{
	struct kvm_cpuid_entry2 e[HV_CPUID_LEAVES];
	char vendor[12];

	(void)state;
	leaves(e, 1);
	assert_int_equal(e[0].eax, 0x40000005);
	memcpy(vendor, &e[0].ebx, 4);
	memcpy(vendor + 4, &e[0].ecx, 4);
	memcpy(vendor + 8, &e[0].edx, 4);
	assert_memory_equal(vendor, "Microsoft Hv", 12);
}

/* 0x40000001: EAX "Hv#1", the Microsoft interface; EBX-EDX reserved, 0 (TLFS). */
static void test_cpuid_interface(void **state)
{
	struct kvm_cpuid_entry2 e[HV_CPUID_LEAVES];

	(void)state;
	leaves(e, 1);
	assert_memory_equal(&e[1].eax, "Hv#1", 4);
	assert_int_equal(e[1].ebx, 0);
	assert_int_equal(e[1].ecx, 0);
	assert_int_equal(e[1].edx, 0);
}

/* 0x40000002: the hypervisor version, all zero (OpenVMM on KVM: MS_HV_VERSION [0, 0, 0, 0]). */
static void test_cpuid_version(void **state)
{
	struct kvm_cpuid_entry2 e[HV_CPUID_LEAVES];

	(void)state;
	leaves(e, 1);
	assert_int_equal(e[2].eax, 0);
	assert_int_equal(e[2].ebx, 0);
	assert_int_equal(e[2].ecx, 0);
	assert_int_equal(e[2].edx, 0);
}

/*
 * 0x40000003: EAX:EBX the HV_PARTITION_PRIVILEGE_MASK (hvdef HvPartitionPrivilege):
 * AccessSynicMsrs 2, AccessHypercallMsrs 5, AccessVpIndex 6, AccessVsm 48,
 * AccessVpRegisters 49, nothing else.  ECX, EDX: no features, in particular
 * not EDX bit 4, XMM fast hypercall input (hyperv-tlfs.h
 * HV_X64_HYPERCALL_XMM_INPUT_AVAILABLE): the doorbell reads no XMM register.
 */
static void test_cpuid_privileges(void **state)
{
	struct kvm_cpuid_entry2 e[HV_CPUID_LEAVES];

	(void)state;
	leaves(e, 1);
	assert_int_equal(e[3].eax, 1u << 2 | 1u << 5 | 1u << 6);
	assert_int_equal(e[3].ebx, 1u << (48 - 32) | 1u << (49 - 32));
	assert_int_equal(e[3].ecx, 0);
	assert_int_equal(e[3].edx & (1u << 4), 0);
	assert_int_equal(e[3].edx, 0);
}

/*
 * 0x40000004: EAX only DeprecateAutoEoi (bit 9, hyperv-tlfs.h
 * HV_DEPRECATING_AEOI_RECOMMENDED); EBX the spinlock retry count, all ones:
 * never notify (TLFS "Implementation Recommendations"; OpenVMM on KVM:
 * with_deprecate_auto_eoi(true), with_long_spin_wait_count(0xffffffff)).
 */
static void test_cpuid_recommendations(void **state)
{
	struct kvm_cpuid_entry2 e[HV_CPUID_LEAVES];

	(void)state;
	leaves(e, 1);
	assert_int_equal(e[4].eax, 1u << 9);
	assert_int_equal(e[4].ebx, 0xffffffffu);
	assert_int_equal(e[4].ecx, 0);
	assert_int_equal(e[4].edx, 0);
}

/* 0x40000005: EAX max virtual processors, EBX max logical processors, both the VP count
 * (OpenVMM make_hv_cpuid_leaves: eax = ebx = max_cpus). */
static void test_cpuid_limits(void **state)
{
	static const unsigned int nvps[] = { 1, 2, 64, 240, 1024 };
	struct kvm_cpuid_entry2 e[HV_CPUID_LEAVES];

	(void)state;
	for (unsigned int i = 0; i < sizeof(nvps) / sizeof(nvps[0]); i++) {
		leaves(e, nvps[i]);
		check_eq(e[5].eax, nvps[i], "nvps %u: EAX", nvps[i]);
		check_eq(e[5].ebx, nvps[i], "nvps %u: EBX", nvps[i]);
		check_eq(e[5].ecx, 0, "nvps %u: ECX", nvps[i]);
		check_eq(e[5].edx, 0, "nvps %u: EDX", nvps[i]);
		check_eq(e[0].eax, 0x40000005, "nvps %u: max leaf", nvps[i]);
	}
}

/* --- MSRs: values at VP creation --- */

/* SCONTROL 0, each SINT masked (0x10000), no page enabled (OpenVMM synic.rs:
 * sint: [HvSynicSint::new().with_masked(true); NUM_SINTS]; the rest default 0). */
static void test_msr_reset(void **state)
{
	struct vp v;

	(void)state;
	vp_reset(&v);
	assert_int_equal(rd(&v, MSR_GUEST_OS_ID), 0);
	assert_int_equal(rd(&v, MSR_HYPERCALL), 0);
	assert_int_equal(rd(&v, MSR_VP_ASSIST_PAGE), 0);
	assert_int_equal(rd(&v, MSR_SCONTROL), 0);
	assert_int_equal(rd(&v, MSR_SIEFP), 0);
	assert_int_equal(rd(&v, MSR_SIMP), 0);
	for (unsigned int i = 0; i < NSINT; i++)
		check_eq(rd(&v, MSR_SINT0 + i), MASKED, "SINT%u", i);
	/* The struct itself, as hv_guest.c reads it. */
	assert_int_equal(v.m.guest_os_id, 0);
	assert_int_equal(v.m.hypercall, 0);
	assert_int_equal(v.m.vp_assist_page, 0);
	assert_int_equal(v.m.scontrol, 0);
	assert_int_equal(v.m.siefp, 0);
	assert_int_equal(v.m.simp, 0);
	for (unsigned int i = 0; i < NSINT; i++)
		check_eq(v.m.sint[i], MASKED, "sint[%u]", i);
}

/* --- MSRs: read-only and write-only registers --- */

/* VP_INDEX reads the VP's index and is read-only (OpenVMM hv.rs: a write is InvalidAccess). */
static void test_msr_vp_index(void **state)
{
	static const uint32_t idx[] = { 0, 1, 63, 0xfffffffe };
	struct vp v;
	uint64_t value;

	(void)state;
	vp_reset(&v);
	for (unsigned int i = 0; i < sizeof(idx) / sizeof(idx[0]); i++) {
		value = 0xdeadbeef;
		assert_true(hv_msr_read(&v.m, MSR_VP_INDEX, idx[i], &value));
		check_eq(value, idx[i], "VP_INDEX of VP %u", idx[i]);
	}
	check_gp(&v, MSR_VP_INDEX, 0);
	check_gp(&v, MSR_VP_INDEX, VP);
	assert_int_equal(rd(&v, MSR_VP_INDEX), VP);
}

/* SVERSION reads 1 and is read-only (OpenVMM synic.rs sversion(), write InvalidAccess;
 * hyperv-tlfs.h HV_SYNIC_VERSION_1; KVM #GPs a guest's write). */
static void test_msr_sversion(void **state)
{
	struct vp v;

	(void)state;
	vp_reset(&v);
	assert_int_equal(rd(&v, MSR_SVERSION), 1);
	check_gp(&v, MSR_SVERSION, 1);
	check_gp(&v, MSR_SVERSION, 2);
	check_gp(&v, MSR_SVERSION, 0);
	assert_int_equal(rd(&v, MSR_SVERSION), 1);
}

/* EOM is write-only: any write ends a message (HV_WRITE_EOM) and changes no register, a read
 * gives 0 (OpenVMM synic.rs eom(), set_eom(); KVM synic_get_msr). */
static void test_msr_eom(void **state)
{
	static const uint64_t values[] = { 0, 1, ~0ULL };
	struct vp v;

	(void)state;
	vp_reset(&v);
	for (unsigned int i = 0; i < 3; i++) {
		struct memattr_vm_hv_msrs before = v.m;

		check_eq(wr(&v, MSR_EOM, values[i]), HV_WRITE_EOM, "EOM := %#llx",
			 (unsigned long long)values[i]);
		assert_memory_equal(&before, &v.m, sizeof(before));
		assert_int_equal(rd(&v, MSR_EOM), 0);
	}
}

/*
 * Every other MSR of the hypervisor range #GPs on read and on write: OpenVMM
 * hv.rs msr_read/msr_write answer MsrError::Unknown.  Among them the ones the
 * privileges do not offer (RESET 0x40000003, TIME_REF_COUNT 0x40000020, the
 * APIC MSRs 0x40000070-72, SIRBP 0x40000085, the synthetic timers
 * 0x400000b0-b7, GUEST_IDLE 0x400000f0: hvgdk_mini.h) and the gaps next to
 * the served ones.
 */
static void test_msr_unknown(void **state)
{
	static const uint32_t unknown[] = {
		0x40000003, 0x40000004, 0x40000020, 0x40000021, 0x40000070,
		0x40000072, 0x40000074, 0x4000007f, 0x40000085, 0x4000008f,
		0x400000a0, 0x400000b0, 0x400000b7, 0x400000f0, 0x400000ff,
	};
	struct vp v;
	uint64_t value;

	(void)state;
	vp_reset(&v);
	for (unsigned int i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		check_eq(hv_msr_read(&v.m, unknown[i], VP, &value), false, "read of %#x",
			 unknown[i]);
		check_gp(&v, unknown[i], 0);
		check_gp(&v, unknown[i], 1);
	}
}

/* --- MSRs: GUEST_OS_ID --- */

/* GUEST_OS_ID takes any value (OpenVMM hv.rs msr_write_guest_os_id; KVM stores it as it is). */
static void test_msr_guest_os_id(void **state)
{
	/* Linux 6.12's (mshyperv.h hv_generate_guest_id: HV_LINUX_VENDOR_ID << 48 | version << 16),
	 * a closed-source one (bit 63 clear), all ones, 1, 0. */
	static const uint64_t ids[] = { 0x810000060c000000ULL, 0x0001040a00003839ULL, ~0ULL, 1, 0 };
	struct vp v;

	(void)state;
	vp_reset(&v);
	for (unsigned int i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		check_taken(&v, MSR_GUEST_OS_ID, ids[i]);
	assert_int_equal(v.pager.calls, 0);
}

/* --- MSRs: HYPERCALL (bit 0 enable, bit 1 locked, 11:2 reserved, 63:12 GPA) --- */

static void set_guest_os_id(struct vp *v)
{
	assert_int_equal(wr(v, MSR_GUEST_OS_ID, 0x810000060c000000ULL), HV_WRITE_DONE);
}

/* Without a guest OS ID a write is ignored and the page stays off (KVM hyperv.c: "if guest os
 * id is not set hypercall should remain disabled"; TLFS asks for the ID first). */
static void test_hypercall_needs_guest_os_id(void **state)
{
	struct vp v;

	(void)state;
	vp_reset(&v);
	assert_int_equal(wr(&v, MSR_HYPERCALL, GPA_A | ENABLE), HV_WRITE_DONE);
	assert_int_equal(rd(&v, MSR_HYPERCALL), 0);
	assert_int_equal(wr(&v, MSR_HYPERCALL, GPA_A | LOCKED), HV_WRITE_DONE);
	assert_int_equal(rd(&v, MSR_HYPERCALL), 0);
	assert_int_equal(v.pager.calls, 0);
	/* The lock was ignored too: with an ID the page can be enabled. */
	set_guest_os_id(&v);
	assert_int_equal(wr(&v, MSR_HYPERCALL, GPA_A | ENABLE), HV_WRITE_MAP_HYPERCALL);
	assert_int_equal(rd(&v, MSR_HYPERCALL), GPA_A | ENABLE);
}

/* A reserved bit (11:2) #GPs, enabled or not, without asking about the page (OpenVMM hv.rs:
 * reserved_p() != 0 is InvalidAccess). */
static void test_hypercall_reserved(void **state)
{
	struct vp v;

	(void)state;
	vp_reset(&v);
	set_guest_os_id(&v);
	for (unsigned int bit = 2; bit <= 11; bit++) {
		check_gp(&v, MSR_HYPERCALL, GPA_A | ENABLE | 1ULL << bit);
		check_gp(&v, MSR_HYPERCALL, GPA_A | 1ULL << bit);
	}
	assert_int_equal(v.pager.calls, 0);
	assert_int_equal(rd(&v, MSR_HYPERCALL), 0);
}

/* Enabling at a page the VMM cannot map #GPs and changes nothing (OpenVMM hv.rs: remap()
 * failing is InvalidAccess, before hypercall_reg is set). */
static void test_hypercall_refused(void **state)
{
	struct vp v;

	(void)state;
	vp_reset(&v);
	set_guest_os_id(&v);
	v.pager.answer = false;
	check_gp(&v, MSR_HYPERCALL, GPA_A | ENABLE);
	assert_int_equal(v.pager.calls, 1);
	assert_int_equal(v.pager.gpa, GPA_A);
	assert_int_equal(rd(&v, MSR_HYPERCALL), 0);
	/* A move to a refused page keeps the old one. */
	v.pager.answer = true;
	assert_int_equal(wr(&v, MSR_HYPERCALL, GPA_A | ENABLE), HV_WRITE_MAP_HYPERCALL);
	v.pager.answer = false;
	check_gp(&v, MSR_HYPERCALL, GPA_B | ENABLE);
	assert_int_equal(v.pager.gpa, GPA_B);
	assert_int_equal(rd(&v, MSR_HYPERCALL), GPA_A | ENABLE);
}

/*
 * The page is written when it is enabled or moved, not when the same page is
 * written again (OpenVMM hv.rs msr_write_hypercall_page: write_hypercall_page
 * only if !enable() before or the GPN changes).  A disabled value keeps its
 * GPA and asks nothing (KVM: hv_hypercall = data).
 */
static void test_hypercall_map(void **state)
{
	struct vp v;

	(void)state;
	vp_reset(&v);
	set_guest_os_id(&v);
	assert_int_equal(wr(&v, MSR_HYPERCALL, GPA_A | ENABLE), HV_WRITE_MAP_HYPERCALL);
	assert_int_equal(v.pager.calls, 1);
	assert_int_equal(v.pager.gpa, GPA_A);
	assert_int_equal(rd(&v, MSR_HYPERCALL), GPA_A | ENABLE);
	assert_int_equal(wr(&v, MSR_HYPERCALL, GPA_A | ENABLE), HV_WRITE_DONE);
	assert_int_equal(rd(&v, MSR_HYPERCALL), GPA_A | ENABLE);
	assert_int_equal(wr(&v, MSR_HYPERCALL, GPA_B | ENABLE), HV_WRITE_MAP_HYPERCALL);
	assert_int_equal(v.pager.gpa, GPA_B);
	assert_int_equal(rd(&v, MSR_HYPERCALL), GPA_B | ENABLE);

	v.pager.calls = 0;
	assert_int_equal(wr(&v, MSR_HYPERCALL, GPA_C), HV_WRITE_DONE);
	assert_int_equal(rd(&v, MSR_HYPERCALL), GPA_C);
	assert_int_equal(v.pager.calls, 0);
	/* Enabled again at the GPA it already names: written again (it was off). */
	assert_int_equal(wr(&v, MSR_HYPERCALL, GPA_C | ENABLE), HV_WRITE_MAP_HYPERCALL);
	assert_int_equal(v.pager.calls, 1);
	assert_int_equal(v.pager.gpa, GPA_C);
	assert_int_equal(wr(&v, MSR_HYPERCALL, GPA_TOP | ENABLE), HV_WRITE_MAP_HYPERCALL);
	assert_int_equal(v.pager.gpa, GPA_TOP);
	assert_int_equal(rd(&v, MSR_HYPERCALL), GPA_TOP | ENABLE);
}

/* Once locked, every write #GPs (OpenVMM hv.rs: hypercall_reg.locked() is InvalidAccess). */
static void test_hypercall_lock(void **state)
{
	static const uint64_t after[] = { GPA_A | ENABLE | LOCKED, GPA_A | ENABLE,	   GPA_A, 0,
					  GPA_B | ENABLE,	   GPA_B | ENABLE | LOCKED };
	struct vp v;

	(void)state;
	vp_reset(&v);
	set_guest_os_id(&v);
	assert_int_equal(wr(&v, MSR_HYPERCALL, GPA_A | ENABLE | LOCKED), HV_WRITE_MAP_HYPERCALL);
	v.pager.calls = 0;
	for (unsigned int i = 0; i < sizeof(after) / sizeof(after[0]); i++)
		check_gp(&v, MSR_HYPERCALL, after[i]);
	assert_int_equal(v.pager.calls, 0);
	assert_int_equal(rd(&v, MSR_HYPERCALL), GPA_A | ENABLE | LOCKED);

	/* Locked while disabled: it can never be enabled. */
	vp_reset(&v);
	set_guest_os_id(&v);
	assert_int_equal(wr(&v, MSR_HYPERCALL, GPA_A | LOCKED), HV_WRITE_DONE);
	check_gp(&v, MSR_HYPERCALL, GPA_A | ENABLE);
	check_gp(&v, MSR_HYPERCALL, GPA_A | ENABLE | LOCKED);
	assert_int_equal(rd(&v, MSR_HYPERCALL), GPA_A | LOCKED);
}

/* A guest OS ID of 0 turns the page off and keeps the rest, the lock included (KVM hyperv.c:
 * "setting guest os id to zero disables hypercall page", hv_hypercall &= ~ENABLE). */
static void test_hypercall_guest_os_id_zero(void **state)
{
	struct vp v;

	(void)state;
	vp_reset(&v);
	set_guest_os_id(&v);
	assert_int_equal(wr(&v, MSR_HYPERCALL, GPA_A | ENABLE), HV_WRITE_MAP_HYPERCALL);
	assert_int_equal(wr(&v, MSR_GUEST_OS_ID, 0), HV_WRITE_DONE);
	assert_int_equal(rd(&v, MSR_HYPERCALL), GPA_A);
	assert_int_equal(rd(&v, MSR_GUEST_OS_ID), 0);
	/* Off, so enabling it again at the same GPA writes the page again. */
	set_guest_os_id(&v);
	assert_int_equal(wr(&v, MSR_HYPERCALL, GPA_A | ENABLE), HV_WRITE_MAP_HYPERCALL);

	vp_reset(&v);
	set_guest_os_id(&v);
	assert_int_equal(wr(&v, MSR_HYPERCALL, GPA_B | ENABLE | LOCKED), HV_WRITE_MAP_HYPERCALL);
	assert_int_equal(wr(&v, MSR_GUEST_OS_ID, 0), HV_WRITE_DONE);
	assert_int_equal(rd(&v, MSR_HYPERCALL), GPA_B | LOCKED);
	set_guest_os_id(&v);
	check_gp(&v, MSR_HYPERCALL, GPA_B | ENABLE);
	/* A nonzero ID changes nothing in the register. */
	assert_int_equal(rd(&v, MSR_HYPERCALL), GPA_B | LOCKED);
}

/* --- MSRs: VP_ASSIST_PAGE, SIMP, SIEFP (bit 0 enable, 11:1 reserved, 63:12 GPA) --- */

static const uint32_t page_msrs[] = { MSR_VP_ASSIST_PAGE, MSR_SIMP, MSR_SIEFP };

/* A reserved bit #GPs before the page is asked about (OpenVMM hv.rs msr_write_vp_assist_page:
 * any bit outside enabled | gpa_page_number is InvalidAccess; hvdef HvSynicSimpSiefp). */
static void test_page_reserved(void **state)
{
	struct vp v;

	(void)state;
	for (unsigned int r = 0; r < 3; r++) {
		vp_reset(&v);
		for (unsigned int bit = 1; bit <= 11; bit++) {
			check_gp(&v, page_msrs[r], GPA_A | ENABLE | 1ULL << bit);
			check_gp(&v, page_msrs[r], GPA_A | 1ULL << bit);
		}
		check_eq(v.pager.calls, 0, "MSR %#x: page_ok calls", page_msrs[r]);
	}
}

/*
 * Enabling asks about the page once and takes the value; a disabled value,
 * GPA or not, is taken without asking; a refused page #GPs and changes
 * nothing (OpenVMM pages.rs OverlayPage::sync: remap only when enabled,
 * unmap otherwise; its error is InvalidAccess before the register is set).
 */
static void test_page_enable(void **state)
{
	struct vp v;

	(void)state;
	for (unsigned int r = 0; r < 3; r++) {
		uint32_t msr = page_msrs[r];

		vp_reset(&v);
		check_taken(&v, msr, GPA_A | ENABLE);
		check_eq(v.pager.calls, 1, "MSR %#x enable: page_ok calls", msr);
		check_eq(v.pager.gpa, GPA_A, "MSR %#x enable: GPA asked", msr);

		v.pager.calls = 0;
		v.pager.answer = false; /* not consulted: must not matter */
		check_taken(&v, msr, GPA_B);
		check_taken(&v, msr, 0);
		check_taken(&v, msr, GPA_TOP);
		check_eq(v.pager.calls, 0, "MSR %#x disabled: page_ok calls", msr);

		check_gp(&v, msr, GPA_C | ENABLE);
		check_eq(v.pager.calls, 1, "MSR %#x refused: page_ok calls", msr);
		check_eq(v.pager.gpa, GPA_C, "MSR %#x refused: GPA asked", msr);
		check_eq(rd(&v, msr), GPA_TOP, "MSR %#x after a refused enable", msr);

		v.pager.answer = true;
		check_taken(&v, msr, GPA_TOP | ENABLE);
		check_eq(v.pager.gpa, GPA_TOP, "MSR %#x top GPA: GPA asked", msr);
	}
}

/* --- MSRs: SCONTROL (bit 0 enable, 63:1 reserved: hvdef HvSynicScontrol) --- */

static void test_scontrol(void **state)
{
	struct vp v;

	(void)state;
	vp_reset(&v);
	check_taken(&v, MSR_SCONTROL, 1);
	for (unsigned int bit = 1; bit < 64; bit++)
		check_gp(&v, MSR_SCONTROL, 1 | 1ULL << bit);
	check_taken(&v, MSR_SCONTROL, 0);
	for (unsigned int bit = 1; bit < 64; bit++)
		check_gp(&v, MSR_SCONTROL, 1ULL << bit);
	assert_int_equal(v.pager.calls, 0);
}

/* --- MSRs: SINT0-15 (hvdef HvSynicSint: vector 7:0, masked 16, auto-EOI 17, polling 18,
 * bit 19, proxy 20; 15:8 and 63:21 reserved) --- */

/* A reserved bit #GPs, masked or not. */
static void test_sint_reserved(void **state)
{
	struct vp v;

	(void)state;
	vp_reset(&v);
	for (unsigned int i = 0; i < NSINT; i++) {
		for (unsigned int bit = 8; bit <= 15; bit++) {
			check_gp(&v, MSR_SINT0 + i, 0x30 | 1ULL << bit);
			check_gp(&v, MSR_SINT0 + i, MASKED | 0x30 | 1ULL << bit);
		}
		for (unsigned int bit = 21; bit < 64; bit++) {
			check_gp(&v, MSR_SINT0 + i, 0x30 | 1ULL << bit);
			check_gp(&v, MSR_SINT0 + i, MASKED | 0x30 | 1ULL << bit);
		}
	}
}

/* An unmasked SINT with an exception vector (0-15) #GPs, a masked one is taken (KVM
 * synic_set_sint: "Valid vectors are 16-255, however, nested Hyper-V attempts to write
 * default '0x10000' value on boot and this should not #GP"; HV_SYNIC_FIRST_VALID_VECTOR). */
static void test_sint_vector(void **state)
{
	struct vp v;

	(void)state;
	vp_reset(&v);
	for (unsigned int i = 0; i < NSINT; i++) {
		uint32_t msr = MSR_SINT0 + i;

		for (uint64_t vec = 0; vec < 16; vec++) {
			check_gp(&v, msr, vec);
			check_taken(&v, msr, MASKED | vec);
		}
		check_taken(&v, msr, 16);
		check_taken(&v, msr, 0x30);
		check_taken(&v, msr, VECTOR);
		check_taken(&v, msr, MASKED);
	}
}

/* Bits 17-20 (auto-EOI, polling, bit 19: Linux hvgdk_mini.h as_intercept, proxy) are taken
 * as written, alone and together. */
static void test_sint_flags(void **state)
{
	struct vp v;

	(void)state;
	vp_reset(&v);
	for (unsigned int i = 0; i < NSINT; i++) {
		for (unsigned int bit = 17; bit <= 20; bit++) {
			check_taken(&v, MSR_SINT0 + i, 0x30 | 1ULL << bit);
			check_taken(&v, MSR_SINT0 + i, MASKED | 0x30 | 1ULL << bit);
		}
		check_taken(&v, MSR_SINT0 + i, 0x1f0000 | VECTOR);
	}
	assert_int_equal(v.pager.calls, 0);
}

/* hv_page_gpa(): bits 63:12 the GPA, bit 0 whether it is enabled (the page registers' layout). */
static void test_page_gpa(void **state)
{
	uint64_t gpa = 0;

	(void)state;
	assert_true(hv_page_gpa(GPA_A | ENABLE, &gpa));
	assert_int_equal(gpa, GPA_A);
	assert_false(hv_page_gpa(GPA_B | LOCKED, &gpa));
	assert_int_equal(gpa, GPA_B);
	assert_true(hv_page_gpa(GPA_TOP | 0xfff, &gpa));
	assert_int_equal(gpa, GPA_TOP);
}

/* --- The hypercall page --- */

struct insn {
	ZydisDecodedInstruction i;
	ZydisDecodedOperand op[ZYDIS_MAX_OPERAND_COUNT];
};

/* Decode the 64-bit instruction at @off; return the offset after it. */
static unsigned int decode(const uint8_t *page, unsigned int off, struct insn *d)
{
	ZydisDecoder dec;

	assert_true(off < 4096);
	assert_true(ZYAN_SUCCESS(
		ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64)));
	if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, page + off, 4096 - off, &d->i, d->op)))
		fail_msg("offset %#x: no instruction", off);
	return off + d->i.length;
}

static void check_reg(const struct insn *d, unsigned int n, ZydisRegister reg, unsigned int off)
{
	check_eq(d->op[n].type, ZYDIS_OPERAND_TYPE_REGISTER, "offset %#x operand %u type", off, n);
	check_eq(d->op[n].reg.value, reg, "offset %#x operand %u register", off, n);
}

static void check_imm(const struct insn *d, unsigned int n, uint64_t imm, unsigned int off)
{
	check_eq(d->op[n].type, ZYDIS_OPERAND_TYPE_IMMEDIATE, "offset %#x operand %u type", off, n);
	check_eq(d->op[n].imm.value.u, imm, "offset %#x operand %u immediate", off, n);
}

/* OUT imm8 port, AL; RET: the doorbell (memattr/vm.h MEMATTR_VM_DOORBELL_PORT) and back to
 * the caller with RAX as the VMM set it (TLFS "Hypercall Interface": the result in RAX). */
static unsigned int check_doorbell(const uint8_t *page, unsigned int off)
{
	struct insn d;
	unsigned int next = decode(page, off, &d);

	check_eq(d.i.mnemonic, ZYDIS_MNEMONIC_OUT, "offset %#x mnemonic", off);
	check_eq(d.i.operand_count_visible, 2, "offset %#x operands", off);
	check_imm(&d, 0, MEMATTR_VM_DOORBELL_PORT, off);
	check_reg(&d, 1, ZYDIS_REGISTER_AL, off);
	off = next;
	next = decode(page, off, &d);
	check_eq(d.i.mnemonic, ZYDIS_MNEMONIC_RET, "offset %#x mnemonic", off);
	check_eq(d.i.operand_count_visible, 0, "offset %#x: RET pops no more", off);
	return next;
}

/*
 * The 64-bit VTL call and return entries (OpenVMM hv.rs hypercall_page():
 * "mov rax,rcx; mov ecx,0x11|0x12; vmcall; ret"): the input in RCX moves to
 * RAX, and a 32-bit MOV puts the call code in RCX with its upper half clear.
 */
static unsigned int check_vtl_entry(const uint8_t *page, unsigned int off, uint64_t code)
{
	struct insn d;
	unsigned int next = decode(page, off, &d);

	check_eq(d.i.mnemonic, ZYDIS_MNEMONIC_MOV, "offset %#x mnemonic", off);
	check_eq(d.i.operand_count_visible, 2, "offset %#x operands", off);
	check_reg(&d, 0, ZYDIS_REGISTER_RAX, off);
	check_reg(&d, 1, ZYDIS_REGISTER_RCX, off);
	check_eq(d.i.operand_width, 64, "offset %#x width", off);
	off = next;
	next = decode(page, off, &d);
	check_eq(d.i.mnemonic, ZYDIS_MNEMONIC_MOV, "offset %#x mnemonic", off);
	check_eq(d.i.operand_count_visible, 2, "offset %#x operands", off);
	check_reg(&d, 0, ZYDIS_REGISTER_ECX, off);
	check_imm(&d, 1, code, off);
	return check_doorbell(page, next);
}

/*
 * The hypercall entry at the page's start (Linux hv_do_hypercall calls
 * hv_hypercall_pg itself), the VTL call right after its RET, the VTL return
 * right after the call's, nothing after that but INT3 to its end (OpenVMM
 * hv.rs write_hypercall_page: "Fill the page with int3 to catch invalid
 * jumps into the page").
 */
static void test_hypercall_page(void **state)
{
	static uint8_t page[4096];
	unsigned int end;
	struct insn d;

	(void)state;
	memset(page, 0, sizeof(page)); /* the fill must write every byte */
	hv_hypercall_page_fill(page);

	assert_int_equal(HV_PAGE_HYPERCALL_OFFSET, 0);
	end = check_doorbell(page, HV_PAGE_HYPERCALL_OFFSET);
	assert_int_equal(HV_PAGE_VTL_CALL_OFFSET, end);
	end = check_vtl_entry(page, HV_PAGE_VTL_CALL_OFFSET, HV_CALL_VTL_CALL);
	assert_int_equal(HV_PAGE_VTL_RETURN_OFFSET, end);
	end = check_vtl_entry(page, HV_PAGE_VTL_RETURN_OFFSET, HV_CALL_VTL_RETURN);
	assert_int_equal(HV_PAGE_CODE_BYTES, end);

	for (unsigned int i = end; i < sizeof(page); i++)
		check_eq(page[i], 0xcc, "byte %#x", i);
	decode(page, end, &d);
	assert_int_equal(d.i.mnemonic, ZYDIS_MNEMONIC_INT3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpuid_functions),
		cmocka_unit_test(test_cpuid_vendor),
		cmocka_unit_test(test_cpuid_interface),
		cmocka_unit_test(test_cpuid_version),
		cmocka_unit_test(test_cpuid_privileges),
		cmocka_unit_test(test_cpuid_recommendations),
		cmocka_unit_test(test_cpuid_limits),
		cmocka_unit_test(test_msr_reset),
		cmocka_unit_test(test_msr_vp_index),
		cmocka_unit_test(test_msr_sversion),
		cmocka_unit_test(test_msr_eom),
		cmocka_unit_test(test_msr_unknown),
		cmocka_unit_test(test_msr_guest_os_id),
		cmocka_unit_test(test_hypercall_needs_guest_os_id),
		cmocka_unit_test(test_hypercall_reserved),
		cmocka_unit_test(test_hypercall_refused),
		cmocka_unit_test(test_hypercall_map),
		cmocka_unit_test(test_hypercall_lock),
		cmocka_unit_test(test_hypercall_guest_os_id_zero),
		cmocka_unit_test(test_page_reserved),
		cmocka_unit_test(test_page_enable),
		cmocka_unit_test(test_scontrol),
		cmocka_unit_test(test_sint_reserved),
		cmocka_unit_test(test_sint_vector),
		cmocka_unit_test(test_sint_flags),
		cmocka_unit_test(test_page_gpa),
		cmocka_unit_test(test_hypercall_page),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
