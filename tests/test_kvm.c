// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Enforcement on real KVM: the VSM demo's intercepts, the views
 * against the store, and the VMA-budget fallback.  Skips (77) without a
 * usable /dev/kvm.  Where the two kinds of KVM differ (KVM_EXIT_MMIO on
 * kvm_pvm, KVM_RUN failing with EFAULT on hardware-virtualized KVM: the
 * backend's probe, memattr_vm_stats() fault_model), each test says what
 * each gives.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include <memattr/memattr.h>
#include <memattr/vm.h>

#include "demo/vm_demo.h"
#include "../guests/layout.h"
#include "mmio.h" /* guests/mmio.S, assembled in-tree */
#include "msr.h"

/*
 * What the guests found of the Hyper-V interface and did with it: each saw
 * "Hv#1" in CPUID; HvRegisterVsmCodePageOffsets names the hypercall page's
 * 64-bit entries, VTL call at 0x03 and return at 0x0e (the layout of
 * OpenVMM's hv1_emulator page, a doorbell OUT in place of VMMCALL); the
 * synthetic MSRs hold what each VTL wrote.
 */
static void demo_interface_check(const struct demo_result *r)
{
	assert_int_equal(r->iface[0], 1);
	assert_int_equal(r->iface[1], 1);
	for (unsigned int t = 0; t < 2; t++) {
		assert_int_equal(r->offsets_hv[t], 1ULL << 32); /* success, 1 rep */
		assert_int_equal(r->offsets[t], 0x03 | 0x0e << 12);
		assert_int_equal(r->msrs[t].guest_os_id, 0x8000000000000001ULL);
	}
	assert_int_equal(r->call_entry, VTL0_HCPAGE + 0x03);
	assert_int_equal(r->return_entry, VTL1_HCPAGE + 0x0e);
	assert_int_equal(r->msrs[0].hypercall, VTL0_HCPAGE | 1);
	assert_int_equal(r->msrs[0].vp_assist_page, 0);
	assert_int_equal(r->msrs[0].scontrol, 0);
	assert_int_equal(r->msrs[1].hypercall, VTL1_HCPAGE | 1);
	assert_int_equal(r->msrs[1].vp_assist_page, VTL1_ASSIST | 1);
	assert_int_equal(r->msrs[1].simp, VTL1_MSG | 1);
	assert_int_equal(r->msrs[1].scontrol, 1);
	assert_int_equal(r->msrs[1].sint[0], SINT_VECTOR | SINT_POLLING);
	assert_int_equal(r->msrs[1].sint[1], 0x10000); /* untouched: masked (TLFS initial value) */
	/* CPUID: "Microsoft Hv" up to 0x40000005, "Hv#1", VSM privileges, one VP. */
	assert_memory_equal(&r->cpuid[0][1], "Microsoft Hv", 12);
	assert_int_equal(r->cpuid[0][0], 0x40000005);
	assert_int_equal(r->cpuid[1][0], HV_SIGNATURE);
	assert_int_equal(r->cpuid[3][0] & HV_PRIV_EAX_NEEDED, HV_PRIV_EAX_NEEDED);
	assert_true(r->cpuid[3][1] & 1u << HV_PRIV_EBX_VSM);
	assert_int_equal(r->cpuid[5][0], 1);
	/* VTL 0: OS ID, hypercall page; VTL 1: those, VP assist, SIMP, SINT0, SCONTROL. */
	assert_int_equal(r->stats.msr_exits, 2 + 6);
	assert_int_equal(r->stats.hv_interface, MEMATTR_VM_HV_INTERFACE);
}

/*
 * The demo's guests reach the VMM only through the Hyper-V interface: on a
 * KVM that cannot send MSRs to user space they cannot run (skipped, with
 * the reason); the doorbell-only tests below still run there.
 */
static void demo_or_skip(const struct demo_opts *o, struct demo_result *r)
{
	int ret = demo_run(o, r);

	if (ret == -EPROTONOSUPPORT) {
		print_message("this KVM cannot send MSRs to user space: no Hyper-V interface\n");
		skip();
	}
	assert_int_equal(ret, 0);
}

static void demo_check(const struct demo_result *r)
{
	static const struct {
		uint64_t gpa;
		bool write;
	} want[] = {
		{ VTL0_CODE_POKE, true },
		{ VTL0_SECRET, false },
		{ VTL1_LOG, false },
	};

	assert_int_equal(r->halted_vtl, 0);
	assert_int_equal(r->done, 1);
	assert_true(demo_enforced(r)); /* what `memattr vm`'s status says */
	demo_interface_check(r);
	/* Permitted accesses went through. */
	assert_int_equal(r->code_read,
			 *(const uint64_t *)(const void *)"\xbf\xd1\xd1\xd1\xd1\x41\xbd\x13");
	assert_int_equal(r->data_read, DATA_PATTERN);
	/* Blocked ones did not, and the secret never reached VTL 0. */
	assert_int_equal(r->code_poke, 0);
	assert_int_equal(r->secret_seen, 0);
	/* Shared registers VTL 0 kept live survived VTL 1's handling; the skipped reads gave 0. */
	assert_int_equal(r->regs.rbx, 0);
	assert_int_equal(r->regs.rdi, VTL0_RDI);
	assert_int_equal(r->regs.r10, VTL0_R10);
	assert_int_equal(r->regs.r13, VTL0_R13);
	assert_int_equal(r->regs.r12, 0); /* VTL 1 scrubbed its own before leaving */
	assert_int_equal(r->vtl1_seen, 0);
	/* VTL protection enabled, then every ModifyVtlProtectionMask succeeded with all its reps.
	 */
	assert_int_equal(r->hv_config, 1ULL << 32);
	assert_int_equal(r->hv_result[0], 1ULL << 32);
	assert_int_equal(r->hv_result[1], 1ULL << 32);
	assert_int_equal(r->hv_result[2], 1ULL << 32);
	assert_int_equal(r->hv_result[3], (uint64_t)VTL1_PAGES << 32);
	/*
	 * VTL 0 may not set VTL 1's mask, which holds the protection of VTL 0's
	 * code (OpenVMM hardware_cvm modify_vtl_protection_mask(): a TargetVtl
	 * above the caller is ACCESS_DENIED); its VtlCall reached VTL 1 and came
	 * back.
	 */
	assert_int_equal(r->hv_denied, 6 /* HV_STATUS_ACCESS_DENIED */);
	assert_int_equal(r->vtl_call, 0);
	assert_int_equal(r->calls, 1);
	assert_int_equal(r->regs.rcx, 0x11); /* VtlReturn handed back VTL 0's RCX */
	/* Each blocked access reached VTL 1 with its GPA and access type... */
	assert_int_equal(r->nlog, 3);
	assert_int_equal(r->nintercepts, 3);
	for (unsigned int i = 0; i < 3; i++) {
		assert_int_equal(r->log_gpa[i], want[i].gpa);
		assert_int_equal(r->log_access[i], want[i].write);
		assert_int_equal(r->intercepts[i].gpa, want[i].gpa);
		assert_int_equal(r->intercepts[i].access, want[i].write);
		assert_int_equal(r->intercepts[i].from_vtl, 0);
		assert_int_equal(r->intercepts[i].to_vtl, 1);
		assert_int_equal(r->intercepts[i].len, 8);
	}
	assert_int_equal(r->stats.intercepts, 3);
	/* ...and the store holds what VTL 1 asked for. */
	assert_int_equal(r->nruns, 4);
	assert_int_equal(r->runs[0].start, VTL0_CODE >> 12);
	assert_int_equal(r->runs[0].value, MEMATTR_READ | MEMATTR_EXECUTE);
	assert_int_equal(r->runs[1].value, MEMATTR_READ | MEMATTR_WRITE);
	assert_int_equal(r->runs[2].start, VTL0_SECRET >> 12);
	assert_int_equal(r->runs[2].value, MEMATTR_NO_ACCESS);
	assert_int_equal(r->runs[3].start, VTL1_CODE >> 12);
	assert_int_equal(r->runs[3].end, (VTL1_CODE >> 12) + VTL1_PAGES);
	assert_int_equal(r->runs[3].value, MEMATTR_NO_ACCESS);
	assert_true(r->views_match);
}

static bool efault_model(const struct memattr_vm_stats *st)
{
	return st->fault_model == MEMATTR_VM_FAULTS_EFAULT;
}

static void test_demo(void **state)
{
	struct demo_opts o = { 0 };
	struct demo_result r;

	(void)state;
	demo_or_skip(&o, &r);
	demo_check(&r);
	/* Exact views: only the three blocked accesses exit; nothing needed emulation. */
	if (efault_model(&r.stats)) {
		/* Three EFAULTs, each a MOV VTL 1 skipped. */
		assert_int_equal(r.stats.faults, 3);
		assert_int_equal(r.stats.skipped, 3);
		assert_int_equal(r.stats.stepped, 0);
		assert_int_equal(r.stats.mmio_exits, 0);
	} else {
		assert_int_equal(r.stats.mmio_exits, 3);
	}
	assert_int_equal(r.stats.emulated, 0);
	assert_int_equal(r.stats.fallbacks, 0);
}

/*
 * A budget of 4 VMAs cannot hold code R, data RW, secret none, VTL 1 none
 * exactly: the data/secret block falls back to PROT_NONE and VTL 0's
 * permitted data accesses are emulated; the outcome is the same.
 */
/*
 * VTL 0 ends by jumping into its secret: an execute intercept reaches VTL 1,
 * which leaves the page as it is, and the VM stops (fails closed).
 */
static void test_demo_exec(void **state)
{
	struct demo_opts o = { .exec_secret = true };
	struct demo_result r;

	(void)state;
	demo_or_skip(&o, &r);
	assert_int_equal(r.stopped, 1);
	assert_int_equal(r.done, 1);
	assert_int_equal(r.secret_seen, 0);
	assert_int_equal(r.nintercepts, 4);
	assert_int_equal(r.intercepts[3].gpa, VTL0_SECRET);
	assert_int_equal(r.intercepts[3].access, MEMATTR_VM_ACCESS_EXECUTE);
	assert_int_equal(r.intercepts[3].rip, VTL0_SECRET);
	assert_int_equal(r.nlog, 4);
	assert_int_equal(r.log_gpa[3], VTL0_SECRET);
	assert_int_equal(r.log_access[3], MEMATTR_VM_ACCESS_EXECUTE);
	assert_int_equal(r.regs.rip, VTL0_SECRET);
}

/* Many intercepts in a row: every one reaches VTL 1, the code never changes. */
static void test_demo_loop(void **state)
{
	struct demo_opts o = { .loop = 500 };
	struct demo_result r;

	(void)state;
	demo_or_skip(&o, &r);
	assert_int_equal(r.done, 1);
	assert_int_equal(r.nlog, 503);
	assert_int_equal(r.stats.intercepts, 503);
	assert_int_equal(r.code_poke, 0);
	assert_int_equal(r.secret_seen, 0);
	assert_true(r.views_match);
}

/* The memslot backend (for comparison) gives the same outcome. */
/*
 * The message slot overflows: VTL 1 leaves its first message in SINT 0's
 * slot.  The next intercept finds the slot full: the VMM marks the message
 * there MessagePending and holds the new one (TLFS "SynIC Message
 * Buffers"); VTL 1, entered for it, sees the old message again, frees the
 * slot and writes EOM, which brings the new one.  So VTL 1 logs the first
 * twice and each later one once, and the VMM delivered each once.
 */
static void test_demo_overflow(void **state)
{
	struct demo_opts o = { .keep = 1 };
	struct demo_result r;

	(void)state;
	demo_or_skip(&o, &r);
	assert_int_equal(r.done, 1);
	assert_int_equal(r.nintercepts, 3);
	assert_int_equal(r.nlog, 4);
	assert_int_equal(r.eoms, 1);
	assert_int_equal(r.log_gpa[0], VTL0_CODE_POKE);
	assert_int_equal(r.log_gpa[1], VTL0_CODE_POKE);
	assert_int_equal(r.log_gpa[2], VTL0_SECRET);
	assert_int_equal(r.log_gpa[3], VTL1_LOG);
	assert_int_equal(r.code_poke, 0);
	assert_int_equal(r.secret_seen, 0);
	assert_true(r.views_match);
}

static void test_demo_memslots(void **state)
{
	struct demo_opts o = { .memslots = true };
	struct demo_result r;

	(void)state;
	demo_or_skip(&o, &r);
	demo_check(&r);
	assert_int_equal(r.stats.mmio_exits, 3);
	assert_int_equal(r.stats.fallbacks, 0);
}

static void test_demo_fallback(void **state)
{
	struct demo_opts o = { .vma_budget = 4 };
	struct demo_result r;

	(void)state;
	demo_or_skip(&o, &r);
	demo_check(&r);
	assert_true(r.stats.fallbacks >= 1);
	assert_true(r.stats.vmas <= 4);
	/*
	 * Every access to the data page: the pattern, its read back, eleven result
	 * stores, nine stores of hypercall input, the read of the hypercall's
	 * output and of the VTL call entry, the reads of the loop count and the
	 * execute flag.
	 */
	if (efault_model(&r.stats)) {
		/* Each is an EFAULT the store allows: single-stepped with the page opened. */
		assert_int_equal(r.stats.stepped, 26);
		assert_int_equal(r.stats.faults, 3 + r.stats.stepped);
	} else {
		assert_int_equal(r.stats.emulated, 26);
		assert_int_equal(r.stats.mmio_exits, 3 + r.stats.emulated);
	}
	/*
	 * Budgets of 2 and 3 put VTL 0's code page in a fallback block.  KVM's
	 * emulator does not fetch, so where blocked accesses are MMIO exits the
	 * run stops with -ENOEXEC; where they are EFAULTs every instruction of
	 * the block is single-stepped and the demo runs to its end.
	 */
	for (unsigned int b = 2; b < 4; b++) {
		bool efault = efault_model(&r.stats);

		o.vma_budget = b;
		if (!efault) {
			assert_int_equal(demo_run(&o, &r), -ENOEXEC);
			continue;
		}
		demo_or_skip(&o, &r);
		demo_check(&r);
		assert_true(r.stats.stepped > 15);
		assert_int_equal(r.stats.skipped, 3);
	}
}

static int kvm_vm(struct memattr_store **s, struct memattr_vm **vm, unsigned int budget,
		  bool memslots)
{
	struct memattr_config scfg = { .layers = 2, .gpa_bits = 32 };
	struct memattr_vm_config cfg = {
		.vtls = 2,
		.ram_size = 8 << 20,
		.vma_budget = budget,
		.memslots = memslots,
		.msg_gpa = { 0, 0x100000 },
	};

	assert_int_equal(memattr_store_create(&scfg, s), 0);
	cfg.store = *s;
	return memattr_vm_create(&cfg, vm);
}

/* memfd mappings of this process: the private one, the VTL 1 alias, VTL 0's VMAs. */
static unsigned int memfd_vmas(void)
{
	char line[512];
	unsigned int n = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		n += strstr(line, "memfd:memattr-ram") != NULL;
	fclose(f);
	return n;
}

static uint64_t rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/*
 * Random protection changes: the alias never allows more than the store
 * (exactly equal without fallback), and the VMA count the backend keeps is
 * the kernel's and within budget.
 */
static void views_random(unsigned int budget, unsigned int rounds, bool memslots)
{
	static const uint64_t values[] = { 0,
					   MEMATTR_READ,
					   MEMATTR_READ | MEMATTR_EXECUTE,
					   MEMATTR_READ | MEMATTR_WRITE,
					   MEMATTR_RWX,
					   MEMATTR_NO_ACCESS };
	const uint64_t pages = 2048, lo = 16; /* the VMM owns the first 64 KiB */
	struct memattr_store *s;
	struct memattr_vm *vm;
	uint64_t x = 88172645463325252ULL, next;

	assert_int_equal(kvm_vm(&s, &vm, budget, memslots), 0);
	for (unsigned int i = 0; i < rounds; i++) {
		uint64_t a = lo + rnd(&x) % (pages - lo), len = 1 + rnd(&x) % 8;
		uint64_t b = a + len > pages ? pages : a + len;

		assert_int_equal(memattr_set(s, 0, a, b, values[rnd(&x) % 6], 0, &next), 0);
		assert_int_equal(next, b);
	}
	for (uint64_t g = 0; g < pages; g++) {
		int want = memattr_vm_prot_of(memattr_get(s, 0, g));
		int have = memattr_vm_host_prot(vm, 0, g);

		if (budget)
			assert_true(have == want || have == PROT_NONE);
		else
			assert_int_equal(have, want);
	}
	/* The aliases of the memslot backend stay one read-write VMA each. */
	assert_int_equal(memfd_vmas(), memslots ? 3 : memattr_vm_stats(vm)->vmas + 2);
	if (budget)
		assert_true(memattr_vm_stats(vm)->vmas <= budget);
	else
		assert_int_equal(memattr_vm_stats(vm)->fallbacks, 0);
	print_message(
		"budget %u: %llu changes, %llu mprotect, %.2f us each, %llu VMAs, %llu fallbacks\n",
		budget, (unsigned long long)memattr_vm_stats(vm)->changes,
		(unsigned long long)memattr_vm_stats(vm)->mprotects,
		memattr_vm_stats(vm)->mprotect_ns / 1e3 / memattr_vm_stats(vm)->mprotects,
		(unsigned long long)memattr_vm_stats(vm)->vmas,
		(unsigned long long)memattr_vm_stats(vm)->fallbacks);
	memattr_vm_destroy(vm);
	memattr_store_destroy(s);
}

static void test_views_exact(void **state)
{
	(void)state;
	views_random(0, 3000, false);
	views_random(0, 1000, true);
}

static void test_views_budget(void **state)
{
	(void)state;
	views_random(6, 3000, false);
	views_random(40, 3000, false);
	views_random(40, 1000, true);
}

static unsigned long map_count_read(void)
{
	unsigned long n = 0;
	FILE *f = fopen("/proc/sys/vm/max_map_count", "r");

	assert_non_null(f);
	assert_int_equal(fscanf(f, "%lu", &n), 1);
	fclose(f);
	return n;
}

static void map_count_write(unsigned long n)
{
	FILE *f = fopen("/proc/sys/vm/max_map_count", "w");

	assert_non_null(f);
	fprintf(f, "%lu\n", n);
	assert_int_equal(fclose(f), 0);
}

static unsigned long vm_budget(uint64_t max_map_count, unsigned int vma_budget, int *ret)
{
	struct memattr_config scfg = { .layers = 2, .gpa_bits = 32 };
	struct memattr_vm_config cfg = {
		.vtls = 2,
		.ram_size = 2 << 20,
		.vma_budget = vma_budget,
		.max_map_count = max_map_count,
		.msg_gpa = { 0, 0x100000 },
	};
	struct memattr_store *s;
	struct memattr_vm *vm = NULL;
	unsigned long budget = 0;

	assert_int_equal(memattr_store_create(&scfg, &s), 0);
	cfg.store = s;
	*ret = memattr_vm_create(&cfg, &vm);
	if (!*ret)
		budget = memattr_vm_stats(vm)->budget;
	memattr_vm_destroy(vm);
	memattr_store_destroy(s);
	return budget;
}

/*
 * The default budget follows vm.max_map_count; a VMM may ask for it to be
 * raised, which works as root with a writable /proc/sys and is a quiet no-op
 * otherwise.  The test puts the system's value back.
 */
static void test_map_count(void **state)
{
	unsigned long before = map_count_read(), after, budget;
	bool can = geteuid() == 0 && access("/proc/sys/vm/max_map_count", W_OK) == 0;
	int ret;

	(void)state;
	assert_int_equal(vm_budget(0, 0, &ret), before / 4);
	assert_int_equal(ret, 0);
	assert_int_equal(vm_budget(0, 123, &ret), 123);
	assert_int_equal(vm_budget(0, 1, &ret), 0); /* cannot keep the VMM's pages apart */
	assert_int_equal(ret, -EINVAL);
	assert_int_equal(vm_budget(0, 2, &ret), 2);
	assert_int_equal(ret, 0);
	assert_int_equal(vm_budget(before, 0, &ret), before / 4);
	assert_int_equal(map_count_read(), before);
	vm_budget(1ULL << 31, 0, &ret);
	assert_int_equal(ret, -EINVAL);
	assert_int_equal(map_count_read(), before);

	budget = vm_budget(before + 4096, 0, &ret);
	after = map_count_read();
	if (after != before)
		map_count_write(before);
	assert_int_equal(ret, 0);
	assert_int_equal(after, can ? before + 4096 : before);
	assert_int_equal(budget, after / 4);
	if (!can)
		print_message("vm.max_map_count not writable here: the raise was a no-op\n");
}

/*
 * A guest written byte by byte: at VTL 1, first HvSetVpRegisters to enable
 * VTL protection; then the hypercall registers and one OUT (or one read), HLT.
 */
struct raw_case {
	const char *what;
	unsigned int vtl;	/* runs at */
	uint64_t rcx, rdx;	/* hypercall control and input GPA */
	uint32_t flags, gfn_in; /* input page contents (ModifyVtlProtectionMask) */
	int port;		/* 0x50 for the doorbell */
	uint64_t load;		/* nonzero: a read from this GPA instead of the OUT */
	int ret;		/* what memattr_vm_run() returns */
	int status;		/* HV status in RAX, -1: none */
	uint8_t in_vtl;		/* the input's HV_INPUT_VTL; 0: CURRENT_VTL */
};

static size_t emit(uint8_t *p, const void *b, size_t n)
{
	memcpy(p, b, n);
	return n;
}

static size_t emit_call(uint8_t *p, uint64_t rcx, uint64_t rdx, int port)
{
	size_t n = 0;

	n += emit(p + n, "\x48\xb9", 2); /* movabs $rcx, %rcx */
	n += emit(p + n, &rcx, 8);
	n += emit(p + n, "\x48\xba", 2); /* movabs $rdx, %rdx */
	n += emit(p + n, &rdx, 8);
	n += emit(p + n, "\x45\x31\xc0", 3); /* xor %r8d, %r8d */
	p[n++] = 0xe6;			     /* out %al, $port */
	p[n++] = port;
	return n;
}

static void raw_run(const struct raw_case *c)
{
	const uint32_t config_name = 0x000d0007, config = 0xf; /* EnableVtlProtection, RWX */
	struct memattr_vm_regs regs;
	struct memattr_store *s;
	struct memattr_vm *vm;
	unsigned int halted = 99;
	uint64_t in = 0x210000, cfg_in = 0x211000;
	uint8_t *ram, *p;

	assert_int_equal(kvm_vm(&s, &vm, 0, false), 0);
	ram = memattr_vm_ram(vm);
	p = ram + 0x200000;
	if (c->vtl) {
		/* HvSetVpRegisters: self, VP self, own VTL; VsmPartitionConfig = 0xf. */
		memset(ram + cfg_in, 0xff, 8);
		memset(ram + cfg_in + 8, 0xff, 4);
		ram[cfg_in + 8] = 0xfe;
		memcpy(ram + cfg_in + 16, &config_name, 4);
		memcpy(ram + cfg_in + 32, &config, 4);
		p += emit_call(p, 0x51 | 1ULL << 32, cfg_in, 0x50);
	}
	if (c->load) {
		p += emit_call(p, c->rcx, c->rdx, 0x50) - 2; /* the registers, no OUT */
		p += emit(p, "\x48\x8b\x04\x25", 4);	     /* mov abs32, %rax */
		p += emit(p, &c->load, 4);
	} else {
		p += emit_call(p, c->rcx, c->rdx, c->port);
	}
	*p++ = 0xf4; /* hlt */
	/* Input page: HV_PARTITION_ID_SELF, MapFlags, HV_INPUT_VTL, one page. */
	memset(ram + in, 0xff, 8);
	memcpy(ram + in + 8, &c->flags, 4);
	ram[in + 12] = c->in_vtl;
	memcpy(ram + in + 16, &c->gfn_in, 4);
	assert_int_equal(memattr_vm_vcpu_init(vm, c->vtl, 0x200000, 0x300000), 0);
	if (c->vtl) /* VTL 0 as a loader would leave it: the VSM front checks its mode */
		assert_int_equal(memattr_vm_vcpu_init(vm, 0, 0x280000, 0x300000), 0);

	print_message("%s\n", c->what);
	assert_int_equal(memattr_vm_run(vm, c->vtl, &halted), c->ret);
	if (!c->ret)
		assert_int_equal(halted, c->vtl);
	if (!c->ret && c->status >= 0) {
		assert_int_equal(memattr_vm_get_regs(vm, c->vtl, &regs), 0);
		assert_int_equal(regs.rax & 0xffff, c->status);
	}
	/* Nothing a failed call asked for reached the store. */
	assert_int_equal(memattr_range_has(s, 0, 0, 2048, ~0ULL, 0), 1);
	memattr_vm_destroy(vm);
	memattr_store_destroy(s);
}

/*
 * Hostile or broken guests get a TLFS answer or stop the run; never a crash.
 * 0xc | 1 << 32 is ModifyVtlProtectionMask with one rep.  Its TargetVtl
 * names the VTL whose mask is set (OpenVMM hardware_cvm
 * modify_vtl_protection_mask()): VTL 0 has no mask (INVALID_PARAMETER), a
 * higher VTL's is out of reach (ACCESS_DENIED).
 */
static void test_bad_guests(void **state)
{
	static const struct raw_case cases[] = {
		{ "unknown call code", 0, 0x9999, 0, 0, 0, 0x50, 0, 0, 2, 0 },
		/* TLFS: #UD; these guests have no IDT, so a triple fault. */
		{ "VtlReturn from VTL 0", 0, 0x12, 0, 0, 0, 0x50, 0, -EFAULT, -1, 0 },
		{ "protect from VTL 0, its own mask", 0, 0xc | 1ULL << 32, 0x210000, 1, 0x400, 0x50,
		  0, 0, 5, 0 },
		{ "protect from VTL 0, VTL 1's mask", 0, 0xc | 1ULL << 32, 0x210000, 1, 0x400, 0x50,
		  0, 0, 6, 0x11 },
		{ "protect from VTL 1, VTL 0's mask", 1, 0xc | 1ULL << 32, 0x210000, 1, 0x400, 0x50,
		  0, 0, 5, 0x10 },
		{ "misaligned input", 1, 0xc | 1ULL << 32, 0x210004, 1, 0x400, 0x50, 0, 0, 4, 0 },
		{ "page beyond RAM", 1, 0xc | 1ULL << 32, 0x210000, 1, 0x100000, 0x50, 0, 0, 5, 0 },
		{ "write without read", 1, 0xc | 1ULL << 32, 0x210000, 2, 0x400, 0x50, 0, 0, 5, 0 },
		{ "input beyond RAM", 1, 0xc | 1ULL << 32, 0x10000000, 1, 0x400, 0x50, 0, 0, 5, 0 },
		{ "rep start past count", 1, 0xc | 1ULL << 32 | 2ULL << 48, 0x210000, 1, 0x400,
		  0x50, 0, 0, 3, 0 },
		{ "unknown port", 0, 0, 0, 0, 0, 0x51, 0, -EIO, -1, 0 },
		{ "read beyond RAM: no device there", 0, 0, 0, 0, 0, 0, 0x900000, -ENXIO, -1, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		raw_run(&cases[i]);
}

/*
 * VTL 0 makes a hypercall whose input page it may not read.  The VSM front
 * (TLFS "Alignment Requirements") raises a read intercept for VTL 1 and the
 * call is retried; since VTL 1 leaves the page closed the run stops.
 */
static void test_closed_input(void **state)
{
	/* VTL 1: VtlReturn forever (RAX = 0, RCX = 0x12; out %al, $0x50; jmp back). */
	static const uint8_t vtl1[] = { 0x31, 0xc0, 0xb9, 0x12, 0, 0, 0, 0xe6, 0x50, 0xeb, 0xf5 };
	/* VTL 0: RCX = ModifyVtlProtectionMask, 1 rep; RDX = 0x401000; out; hlt. */
	static const uint8_t vtl0[] = { 0x48, 0xb9, 0x0c, 0,	0,    0, 1,    0,    0,
					0,    0xba, 0,	  0x10, 0x40, 0, 0xe6, 0x50, 0xf4 };
	const struct memattr_vm_intercept *ic;
	struct memattr_vm_regs regs;
	struct memattr_store *s;
	struct memattr_vm *vm;
	unsigned int n, halted = 99;
	uint64_t next;
	uint8_t *ram;
	int ret;

	(void)state;
	assert_int_equal(kvm_vm(&s, &vm, 0, false), 0);
	ram = memattr_vm_ram(vm);
	memcpy(ram + 0x300000, vtl1, sizeof(vtl1));
	memcpy(ram + 0x200000, vtl0, sizeof(vtl0));
	assert_int_equal(memattr_vm_vcpu_init(vm, 1, 0x300000, 0x380000), 0);
	assert_int_equal(memattr_vm_vcpu_init(vm, 0, 0x200000, 0x280000), 0);
	assert_int_equal(memattr_set(s, 0, 0x401, 0x402, MEMATTR_NO_ACCESS, 0, &next), 0);
	ret = memattr_vm_run(vm, 1, &halted);
	ic = memattr_vm_intercepts(vm, &n);
	assert_int_equal(ret, -EACCES);
	assert_int_equal(n, 1);
	assert_int_equal(ic[0].gpa, 0x401000);
	assert_int_equal(ic[0].access, MEMATTR_VM_ACCESS_READ);
	assert_int_equal(memattr_vm_get_regs(vm, 0, &regs), 0);
	assert_int_equal(regs.rip, 0x200000 + 15); /* still on the OUT */
	memattr_vm_destroy(vm);
	memattr_store_destroy(s);
}

/* The device the MMIO guest drives: what it saw, what it answers. */
struct mmio_call {
	unsigned int vtl;
	uint64_t gpa;
	unsigned int len;
	bool is_write;
	uint64_t data;
};

struct mmio_dev {
	unsigned int n;
	struct mmio_call calls[16];
	int fail; /* returned for an access to MMIO_DEV + 0x38 (0: serve it) */
};

/* Reads at MMIO_DEV + off answer these bytes (little endian), truncated to the access. */
static uint64_t mmio_answer(uint64_t off)
{
	switch (off) {
	case 0x08:
		return 0x0123456789abcdefULL;
	case 0x18:
		return 0x89abcdef;
	case 0x28:
		return 0x4321;
	case 0x38:
		return 0x7e;
	}
	return 0xeeeeeeeeeeeeeeeeULL; /* a read the guest does not make */
}

static int mmio_handler(void *opaque, unsigned int vtl, uint64_t gpa, unsigned int len,
			bool is_write, uint8_t data[8])
{
	struct mmio_dev *d = opaque;
	struct mmio_call *c;
	uint64_t v = 0, zero = 0;

	if (gpa < MMIO_DEV || gpa >= MMIO_DEV + 0x100)
		return -ENXIO;
	assert_true(d->n < 16);
	c = &d->calls[d->n++];
	if (!is_write) /* the VMM hands a read a zeroed buffer */
		assert_memory_equal(data, &zero, 8);
	if (!is_write && gpa == MMIO_DEV + 0x38 && d->fail)
		return d->fail;
	if (is_write) {
		memcpy(&v, data, len);
	} else {
		v = mmio_answer(gpa - MMIO_DEV);
		memcpy(data, &v, len);
		if (len < 8)
			v &= (1ULL << (8 * len)) - 1;
	}
	*c = (struct mmio_call){ vtl, gpa, len, is_write, v };
	return 0;
}

/* A VM running guests/mmio.S at VTL 0 (VTL 1's vCPU never runs). */
static int mmio_run(struct mmio_dev *d, bool handler, bool unclaimed, struct memattr_vm_regs *regs,
		    struct memattr_vm_stats *stats)
{
	struct memattr_store *s;
	struct memattr_vm *vm;
	unsigned int halted = 99;
	uint8_t *ram;
	int ret;

	assert_int_equal(kvm_vm(&s, &vm, 0, false), 0);
	ram = memattr_vm_ram(vm);
	memcpy(ram + MMIO_CODE, guest_mmio, sizeof(guest_mmio));
	ram[MMIO_FLAG] = unclaimed;
	assert_int_equal(memattr_vm_vcpu_init(vm, 0, MMIO_CODE, MMIO_STACK), 0);
	if (handler)
		assert_int_equal(memattr_vm_set_mmio_handler(vm, mmio_handler, d), 0);
	ret = memattr_vm_run(vm, 0, &halted);
	if (!ret)
		assert_int_equal(halted, 0);
	assert_int_equal(memattr_vm_get_regs(vm, 0, regs), 0);
	*stats = *memattr_vm_stats(vm);
	/* Device accesses are no business of the store's or the views'. */
	assert_int_equal(stats->mmio_exits, 0);
	assert_int_equal(stats->intercepts, 0);
	memattr_vm_destroy(vm);
	memattr_store_destroy(s);
	return ret;
}

/*
 * Genuine MMIO: the handler sees every access with its exact GPA, size,
 * direction and bytes, and what it answers reaches the guest's registers
 * with x86's partial-register rules (a 4-byte load zero-extends, 2- and
 * 1-byte loads keep the rest).
 */
static void test_mmio_device(void **state)
{
	static const struct mmio_call want[] = {
		{ 0, MMIO_DEV, 8, true, 0x1122334455667788ULL },
		{ 0, MMIO_DEV + 0x10, 4, true, 0xcafef00d },
		{ 0, MMIO_DEV + 0x20, 2, true, 0xbeef },
		{ 0, MMIO_DEV + 0x30, 1, true, 0x5a },
		{ 0, MMIO_DEV + 0x08, 8, false, 0x0123456789abcdefULL },
		{ 0, MMIO_DEV + 0x18, 4, false, 0x89abcdef },
		{ 0, MMIO_DEV + 0x28, 2, false, 0x4321 },
		{ 0, MMIO_DEV + 0x38, 1, false, 0x7e },
	};
	struct mmio_dev d = { 0 };
	struct memattr_vm_regs regs;
	struct memattr_vm_stats st;

	(void)state;
	assert_int_equal(mmio_run(&d, true, false, &regs, &st), 0);
	assert_int_equal(d.n, 8);
	for (unsigned int i = 0; i < 8; i++) {
		assert_int_equal(d.calls[i].vtl, want[i].vtl);
		assert_int_equal(d.calls[i].gpa, want[i].gpa);
		assert_int_equal(d.calls[i].len, want[i].len);
		assert_int_equal(d.calls[i].is_write, want[i].is_write);
		assert_int_equal(d.calls[i].data, want[i].data);
	}
	assert_int_equal(regs.rbx, 0x0123456789abcdefULL);
	assert_int_equal(regs.rcx, 0x89abcdef);
	assert_int_equal(regs.rdx, 0xffffffffffff4321ULL);
	assert_int_equal(regs.r8, 0xffffffffffffff7eULL);
	assert_int_equal(st.device_mmio, 8);
	assert_int_equal(st.exit_reason, 5 /* KVM_EXIT_HLT */);
}

/*
 * An access no device claims stops the run with -ENXIO and says where;
 * without a handler the first device access does; a handler's own error
 * stops the run with that error.
 */
static void test_mmio_unclaimed(void **state)
{
	struct mmio_dev d = { 0 };
	struct memattr_vm_regs regs;
	struct memattr_vm_stats st;

	(void)state;
	assert_int_equal(mmio_run(&d, true, true, &regs, &st), -ENXIO);
	assert_int_equal(d.n, 8); /* everything before it was served */
	assert_int_equal(st.exit_reason, 6 /* KVM_EXIT_MMIO */);
	assert_int_equal(st.exit_detail, MMIO_UNCLAIMED);
	assert_int_equal(st.device_mmio, 8);
	assert_int_not_equal(regs.rax, mmio_answer(0x1000)); /* nothing was read */

	memset(&d, 0, sizeof(d));
	assert_int_equal(mmio_run(&d, false, false, &regs, &st), -ENXIO);
	assert_int_equal(d.n, 0);
	assert_int_equal(st.exit_reason, 6);
	assert_int_equal(st.exit_detail, MMIO_DEV);
	assert_int_equal(st.device_mmio, 0);

	memset(&d, 0, sizeof(d));
	d.fail = -EIO;
	assert_int_equal(mmio_run(&d, true, false, &regs, &st), -EIO);
	assert_int_equal(d.n, 8);
	assert_int_equal(st.exit_detail, MMIO_DEV + 0x38);
	assert_int_equal(st.device_mmio, 7);
	assert_int_equal(regs.r8, ~0ULL); /* the failed read wrote nothing */
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/*
 * A higher VTL that logs the type of the message in its message page @msg
 * and counts its entries at @log, then makes a VtlReturn (RAX 0: RAX and RCX
 * from its VTL control), forever.
 */
static size_t emit_logger(uint8_t *p, uint32_t msg, uint32_t log)
{
	uint32_t count = log + 8;
	size_t n = 0;

	n += emit(p + n, "\x8b\x04\x25", 3); /* mov msg, %eax */
	n += emit(p + n, &msg, 4);
	n += emit(p + n, "\x89\x04\x25", 3); /* mov %eax, log */
	n += emit(p + n, &log, 4);
	n += emit(p + n, "\xff\x04\x25", 3); /* incl log + 8 */
	n += emit(p + n, &count, 4);
	n += emit(p + n, "\x31\xc0", 2);	     /* xor %eax, %eax: not fast */
	n += emit(p + n, "\xb9\x12\x00\x00\x00", 5); /* mov $0x12, %ecx: VtlReturn */
	n += emit(p + n, "\xe6\x50", 2);	     /* out %al, $0x50 */
	p[n] = 0xeb;				     /* jmp back to the start */
	p[n + 1] = (uint8_t) - (int)(n + 2);
	return n + 2;
}

/*
 * Three VTLs: an intercept goes to the VTL whose protection the access
 * breaks, the highest when both do (TLFS VSM "Memory Access Violations"),
 * as a TLFS HV_MESSAGE with an HV_X64_MEMORY_INTERCEPT_MESSAGE in that VTL's
 * own message page.
 */
static void test_intercept_owner(void **state)
{
	const uint64_t a = 0x400000, b = 0x401000, c = 0x402000; /* VTL 2's, VTL 1's, both */
	const uint32_t msg1 = 0x100000, msg2 = 0x110000, log1 = 0x120000, log2 = 0x130000;
	struct memattr_config scfg = { .layers = 2, .gpa_bits = 32 };
	struct memattr_vm_config cfg = { .vtls = 3,
					 .ram_size = 8 << 20,
					 .msg_gpa = { 0, msg1, msg2 } };
	static const struct {
		uint64_t gpa;
		uint32_t access;
		unsigned int to;
	} want[] = { { 0x400000, MEMATTR_VM_ACCESS_WRITE, 2 },
		     { 0x401000, MEMATTR_VM_ACCESS_READ, 1 },
		     { 0x402000, MEMATTR_VM_ACCESS_WRITE, 2 } };
	const struct memattr_vm_intercept *ic;
	struct memattr_vm_regs regs;
	struct memattr_store *s;
	struct memattr_vm *vm;
	unsigned int n, halted = 99;
	uint8_t *ram, *p, *m;
	uint64_t next, one = 1;
	uint32_t v;
	bool efault;

	(void)state;
	/* The VSM front's layout: VTL 1's mask in layer 0, VTL 2's in layer 1. */
	assert_int_equal(memattr_store_create(&scfg, &s), 0);
	cfg.store = s;
	assert_int_equal(memattr_vm_create(&cfg, &vm), 0);
	ram = memattr_vm_ram(vm);
	/* VTL 0: movq $1, a; mov b, %rax; movq $1, c; hlt. */
	p = ram + 0x200000;
	for (unsigned int i = 0; i < 3; i++) {
		uint32_t at = (uint32_t)want[i].gpa;

		p += emit(p, i == 1 ? "\x48\x8b\x04\x25" : "\x48\xc7\x04\x25", 4);
		p += emit(p, &at, 4);
		if (i != 1)
			p += emit(p, &one, 4);
	}
	*p = 0xf4;
	emit_logger(ram + 0x300000, msg1, log1);
	emit_logger(ram + 0x380000, msg2, log2);
	assert_int_equal(memattr_vm_vcpu_init(vm, 0, 0x200000, 0x280000), 0);
	assert_int_equal(memattr_vm_vcpu_init(vm, 1, 0x300000, 0x340000), 0);
	assert_int_equal(memattr_vm_vcpu_init(vm, 2, 0x380000, 0x3c0000), 0);
	/* Layer n - 1 holds VTL n's mask: VTL 1's protections in layer 0, VTL 2's in layer 1. */
	assert_int_equal(memattr_set(s, 1, a >> 12, (a >> 12) + 1, MEMATTR_READ, 0, &next), 0);
	assert_int_equal(memattr_set(s, 0, b >> 12, (b >> 12) + 1, MEMATTR_NO_ACCESS, 0, &next), 0);
	assert_int_equal(memattr_set(s, 0, c >> 12, (c >> 12) + 1, MEMATTR_READ, 0, &next), 0);
	assert_int_equal(memattr_set(s, 1, c >> 12, (c >> 12) + 1, MEMATTR_READ, 0, &next), 0);

	assert_int_equal(memattr_vm_run(vm, 2, &halted), 0);
	assert_int_equal(halted, 0);
	ic = memattr_vm_intercepts(vm, &n);
	assert_int_equal(n, 3);
	for (unsigned int i = 0; i < 3; i++) {
		assert_int_equal(ic[i].from_vtl, 0);
		assert_int_equal(ic[i].to_vtl, want[i].to);
		assert_int_equal(ic[i].gpa, want[i].gpa);
		assert_int_equal(ic[i].access, want[i].access);
		assert_int_equal(ic[i].action, MEMATTR_VM_ACTION_SKIP);
	}
	/* Blocked writes did not land; the skipped read gave zero. */
	assert_int_equal(get64(ram + a), 0);
	assert_int_equal(get64(ram + c), 0);
	assert_int_equal(memattr_vm_get_regs(vm, 0, &regs), 0);
	assert_int_equal(regs.rax, 0);
	/* Each VTL was entered once on the way out and once per intercept of its own. */
	assert_int_equal(get64(ram + log1 + 8) & 0xffffffff, 2);
	assert_int_equal(get64(ram + log2 + 8) & 0xffffffff, 3);
	/* What each saw in its message slot: a GPA intercept (the VMM freed the slot since). */
	memcpy(&v, ram + log1, 4);
	assert_int_equal(v, MEMATTR_VM_MSG_GPA_INTERCEPT);
	memcpy(&v, ram + log2, 4);
	assert_int_equal(v, MEMATTR_VM_MSG_GPA_INTERCEPT);

	/* VTL 2's last message, HV_X64_MEMORY_INTERCEPT_MESSAGE: the write to c. */
	efault = efault_model(memattr_vm_stats(vm));
	m = ram + msg2;
	assert_int_equal(get64(m + MEMATTR_VM_MSG_TYPE) & 0xffffffff, 0); /* HvMessageTypeNone */
	assert_int_equal(m[MEMATTR_VM_MSG_PAYLOAD_SIZE], 80);
	assert_int_equal(get64(m + 8), 0);				     /* Sender */
	assert_int_equal(get64(m + MEMATTR_VM_MSG_PAYLOAD) & 0xffffffff, 0); /* VpIndex */
	assert_int_equal(m[MEMATTR_VM_MSG_ACCESS], MEMATTR_VM_ACCESS_WRITE);
	/* ExecutionState: CPL 0, CR0.PE, CR0.AM (the VMM's CR0 sets it), EFER.LMA, VTL 0. */
	assert_int_equal(m[MEMATTR_VM_MSG_PAYLOAD + 6] | m[MEMATTR_VM_MSG_PAYLOAD + 7] << 8, 0x1c);
	assert_int_equal(m[MEMATTR_VM_MSG_PAYLOAD + 20], 0x08); /* CsSegment.Selector */
	assert_int_equal(get64(m + MEMATTR_VM_MSG_GPA), c);
	assert_int_equal(m[MEMATTR_VM_MSG_PAYLOAD + 40], 6); /* CacheType write-back */
	if (efault) {
		/*
		 * An EFAULT leaves RIP on the instruction (movq $1, c: 12 bytes at
		 * 0x200014), which the VMM decoded: InstructionLength, its bytes
		 * (15 fetched), MemoryAccessInfo GvaValid and the GVA.
		 */
		assert_int_equal(get64(m + MEMATTR_VM_MSG_RIP), 0x200014);
		assert_int_equal(m[MEMATTR_VM_MSG_PAYLOAD + 4] & 0xf, 12);
		assert_int_equal(m[MEMATTR_VM_MSG_PAYLOAD + 44], 15);	 /* InstructionByteCount */
		assert_int_equal(m[MEMATTR_VM_MSG_PAYLOAD + 45] & 1, 1); /* GvaValid */
		assert_int_equal(get64(m + MEMATTR_VM_MSG_PAYLOAD + 48), c);
		assert_memory_equal(m + MEMATTR_VM_MSG_PAYLOAD + 64, ram + 0x200014, 15);
	} else {
		/* KVM's emulator retired the write: RIP is past it; the length is unknown. */
		assert_int_equal(get64(m + MEMATTR_VM_MSG_RIP), 0x200020);
		assert_int_equal(m[MEMATTR_VM_MSG_PAYLOAD + 4] & 0xf, 0);
		assert_int_equal(m[MEMATTR_VM_MSG_PAYLOAD + 44], 16); /* InstructionByteCount */
		assert_memory_equal(m + MEMATTR_VM_MSG_PAYLOAD + 64, ram + 0x200020, 16);
	}
	/* VTL 1's: the read of b, RIP on the instruction either way. */
	m = ram + msg1;
	assert_int_equal(m[MEMATTR_VM_MSG_ACCESS], MEMATTR_VM_ACCESS_READ);
	assert_int_equal(get64(m + MEMATTR_VM_MSG_GPA), b);
	assert_int_equal(get64(m + MEMATTR_VM_MSG_RIP), 0x20000c);
	assert_memory_equal(m + MEMATTR_VM_MSG_PAYLOAD + 64, "\x48\x8b\x04\x25", 4);
	if (efault)
		assert_int_equal(m[MEMATTR_VM_MSG_PAYLOAD + 4] & 0xf, 8);
	memattr_vm_destroy(vm);
	memattr_store_destroy(s);
}

/*
 * VTL 1 at 0x300000, its message page at 0x100000: movl $action,
 * intercept_action; VtlReturn (xor %eax, %eax; RCX 0x12); again.
 */
static void emit_answer(uint8_t *ram, uint32_t action)
{
	const uint32_t ctl_action = 0x100000 + MEMATTR_VM_CONTROL_OFFSET +
				    offsetof(struct memattr_vm_vtl_control, intercept_action);
	uint8_t *p = ram + 0x300000;

	p += emit(p, "\xc7\x04\x25", 3);
	p += emit(p, &ctl_action, 4);
	p += emit(p, &action, 4);
	emit(p, "\x31\xc0\xb9\x12\x00\x00\x00\xe6\x50\xeb\xea", 11);
}

/*
 * The receiving VTL's decision is the one thing the VMM reads back: ALLOW
 * performs the held accesses, anything else (here a junk value) is SKIP.
 */
static void decision_run(uint32_t action)
{
	/* VTL 0: movq $0x77, 0x400000; mov 0x401000, %rbx; hlt. */
	static const uint8_t vtl0[] = { 0x48, 0xc7, 0x04, 0x25, 0x00, 0x00, 0x40,
					0x00, 0x77, 0x00, 0x00, 0x00, 0x48, 0x8b,
					0x1c, 0x25, 0x00, 0x10, 0x40, 0x00, 0xf4 };
	const uint64_t hidden = 0x5555aaaa5555aaaaULL;
	const struct memattr_vm_intercept *ic;
	struct memattr_vm_regs regs;
	struct memattr_store *s;
	struct memattr_vm *vm;
	unsigned int n, halted = 99;
	uint8_t *ram;
	uint64_t next, word;
	bool allow = action == MEMATTR_VM_ACTION_ALLOW;

	assert_int_equal(kvm_vm(&s, &vm, 0, false), 0);
	ram = memattr_vm_ram(vm);
	emit_answer(ram, action);
	memcpy(ram + 0x200000, vtl0, sizeof(vtl0));
	memcpy(ram + 0x401000, &hidden, 8);
	assert_int_equal(memattr_vm_vcpu_init(vm, 1, 0x300000, 0x340000), 0);
	assert_int_equal(memattr_vm_vcpu_init(vm, 0, 0x200000, 0x280000), 0);
	assert_int_equal(memattr_set(s, 0, 0x400, 0x401, MEMATTR_READ, 0, &next), 0);
	assert_int_equal(memattr_set(s, 0, 0x401, 0x402, MEMATTR_NO_ACCESS, 0, &next), 0);
	assert_int_equal(memattr_vm_run(vm, 1, &halted), 0);
	assert_int_equal(halted, 0);
	ic = memattr_vm_intercepts(vm, &n);
	assert_int_equal(n, 2);
	assert_int_equal(ic[0].action, allow ? MEMATTR_VM_ACTION_ALLOW : MEMATTR_VM_ACTION_SKIP);
	assert_int_equal(ic[1].action, ic[0].action);
	memcpy(&word, ram + 0x400000, 8);
	assert_int_equal(word, allow ? 0x77 : 0);
	assert_int_equal(memattr_vm_get_regs(vm, 0, &regs), 0);
	assert_int_equal(regs.rbx, allow ? hidden : 0);
	if (efault_model(memattr_vm_stats(vm))) {
		/* EFAULTs: ALLOW single-steps each MOV with its page opened, SKIP completes it. */
		assert_int_equal(memattr_vm_stats(vm)->stepped, allow ? 2 : 0);
		assert_int_equal(memattr_vm_stats(vm)->skipped, allow ? 0 : 2);
		for (unsigned int p = 0x400; p < 0x402; p++)
			assert_int_equal(memattr_vm_host_prot(vm, 0, p),
					 p == 0x400 ? PROT_READ : 0);
	} else {
		assert_int_equal(memattr_vm_stats(vm)->emulated, allow ? 2 : 0);
	}
	memattr_vm_destroy(vm);
	memattr_store_destroy(s);
}

static void test_intercept_decision(void **state)
{
	(void)state;
	decision_run(MEMATTR_VM_ACTION_ALLOW);
	decision_run(MEMATTR_VM_ACTION_SKIP);
	decision_run(0xdeadbeef);
}

/* A VM whose VTL 1 answers every intercept with @action and VTL 0 runs @code. */
static struct memattr_vm *answer_vm(struct memattr_store **s, uint32_t action, const void *code,
				    size_t n, uint64_t rsp)
{
	struct memattr_vm *vm;
	uint8_t *ram;

	assert_int_equal(kvm_vm(s, &vm, 0, false), 0);
	ram = memattr_vm_ram(vm);
	emit_answer(ram, action);
	memcpy(ram + 0x200000, code, n);
	assert_int_equal(memattr_vm_vcpu_init(vm, 1, 0x300000, 0x340000), 0);
	assert_int_equal(memattr_vm_vcpu_init(vm, 0, 0x200000, rsp), 0);
	return vm;
}

/* The backend's probe answers on any KVM, memslot backend or not. */
static void test_fault_model(void **state)
{
	struct memattr_store *s;
	struct memattr_vm *vm;
	uint32_t m;

	(void)state;
	assert_int_equal(kvm_vm(&s, &vm, 0, false), 0);
	m = memattr_vm_stats(vm)->fault_model;
	print_message("fault model: %s\n", m == MEMATTR_VM_FAULTS_EFAULT ? "efault"
					   : m == MEMATTR_VM_FAULTS_MMIO ? "mmio"
									 : "unknown");
	assert_true(m == MEMATTR_VM_FAULTS_MMIO || m == MEMATTR_VM_FAULTS_EFAULT);
	memattr_vm_destroy(vm);
	memattr_store_destroy(s);
	assert_int_equal(kvm_vm(&s, &vm, 0, true), 0);
	assert_int_equal(memattr_vm_stats(vm)->fault_model, m);
	memattr_vm_destroy(vm);
	memattr_store_destroy(s);
}

/*
 * A skipped load gives 0 with the width the instruction writes (x86: an 8-
 * or 16-bit destination keeps the rest, a 32-bit one zero-extends): KVM
 * completes a skipped MMIO read that way, fault.c a skipped EFAULT.
 */
static void test_skip_widths(void **state)
{
	static const uint8_t vtl0[] = {
		0x48, 0xbb, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, /* movabs ..., %rbx */
		0x48, 0xba, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, /* movabs ..., %rdx */
		0x48, 0xbe, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, /* movabs ..., %rsi */
		0x49, 0xb8, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, /* movabs ..., %r8 */
		0x49, 0xb9, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, /* movabs ..., %r9 */
		0x8a, 0x1c, 0x25, 0x00, 0x10, 0x40, 0x00,		    /* mov 0x401000, %bl */
		0x8a, 0x34, 0x25, 0x00, 0x10, 0x40, 0x00,		    /* mov 0x401000, %dh */
		0x66, 0x8b, 0x34, 0x25, 0x00, 0x10, 0x40, 0x00,		    /* mov 0x401000, %si */
		0x44, 0x8b, 0x04, 0x25, 0x00, 0x10, 0x40, 0x00,		    /* mov 0x401000, %r8d */
		0x4c, 0x8b, 0x0c, 0x25, 0x00, 0x10, 0x40, 0x00,		    /* mov 0x401000, %r9 */
		0xf4,							    /* hlt */
	};
	const struct memattr_vm_intercept *ic;
	struct memattr_vm_regs regs;
	struct memattr_store *s;
	struct memattr_vm *vm;
	unsigned int n, halted = 99;
	uint64_t next;

	(void)state;
	vm = answer_vm(&s, MEMATTR_VM_ACTION_SKIP, vtl0, sizeof(vtl0), 0x280000);
	memset((uint8_t *)memattr_vm_ram(vm) + 0x401000, 0x99, 8);
	assert_int_equal(memattr_set(s, 0, 0x401, 0x402, MEMATTR_NO_ACCESS, 0, &next), 0);
	assert_int_equal(memattr_vm_run(vm, 1, &halted), 0);
	assert_int_equal(halted, 0);
	ic = memattr_vm_intercepts(vm, &n);
	assert_int_equal(n, 5);
	for (unsigned int i = 0; i < n; i++) {
		assert_int_equal(ic[i].gpa, 0x401000);
		assert_int_equal(ic[i].access, MEMATTR_VM_ACCESS_READ);
		assert_int_equal(ic[i].action, MEMATTR_VM_ACTION_SKIP);
	}
	assert_int_equal(memattr_vm_get_regs(vm, 0, &regs), 0);
	assert_int_equal(regs.rbx, 0x1111111111111100ULL);
	assert_int_equal(regs.rdx, 0x2222222222220022ULL);
	assert_int_equal(regs.rsi, 0x3333333333330000ULL);
	assert_int_equal(regs.r8, 0);
	assert_int_equal(regs.r9, 0);
	if (efault_model(memattr_vm_stats(vm)))
		assert_int_equal(memattr_vm_stats(vm)->skipped, 5);
	memattr_vm_destroy(vm);
	memattr_store_destroy(s);
}

/*
 * SKIP of a blocked write that is not a MOV's.  KVM's emulator has done the
 * read of the read-modify-write and drops the write (MMIO exit).  After an
 * EFAULT nothing can complete the instruction without its access: the run
 * stops with -EOPNOTSUPP, the RIP in the stats (fault.c).
 */
static void test_skip_not_mov(void **state)
{
	/* mov $1, %ebx; add %rbx, 0x400000; hlt */
	static const uint8_t vtl0[] = { 0xbb, 1,    0,	  0,	0,    0x48, 0x01,
					0x1c, 0x25, 0x00, 0x00, 0x40, 0x00, 0xf4 };
	const struct memattr_vm_intercept *ic;
	struct memattr_store *s;
	struct memattr_vm *vm;
	unsigned int n, halted = 99;
	uint64_t next, word = 7;
	uint8_t *ram;
	int ret;

	(void)state;
	vm = answer_vm(&s, MEMATTR_VM_ACTION_SKIP, vtl0, sizeof(vtl0), 0x280000);
	ram = memattr_vm_ram(vm);
	memcpy(ram + 0x400000, &word, 8);
	assert_int_equal(memattr_set(s, 0, 0x400, 0x401, MEMATTR_READ, 0, &next), 0);
	ret = memattr_vm_run(vm, 1, &halted);
	ic = memattr_vm_intercepts(vm, &n);
	assert_int_equal(n, 1);
	assert_int_equal(ic[0].gpa, 0x400000);
	assert_int_equal(ic[0].access, MEMATTR_VM_ACCESS_WRITE);
	assert_int_equal(get64(ram + 0x400000), 7);
	if (efault_model(memattr_vm_stats(vm))) {
		assert_int_equal(ret, -EOPNOTSUPP);
		assert_int_equal(memattr_vm_stats(vm)->exit_detail, 0x200005);
	} else {
		assert_int_equal(ret, 0);
		assert_int_equal(halted, 0);
	}
	memattr_vm_destroy(vm);
	memattr_store_destroy(s);
}

/*
 * ALLOW of an implicit store: PUSH onto a read-only stack page.  It lands
 * (emulated, or single-stepped with the page opened) and the view is as it
 * was.
 */
static void test_allow_push(void **state)
{
	/* movabs $0x0123456789abcdef, %rbx; push %rbx; hlt */
	static const uint8_t vtl0[] = { 0x48, 0xbb, 0xef, 0xcd, 0xab, 0x89,
					0x67, 0x45, 0x23, 0x01, 0x53, 0xf4 };
	const struct memattr_vm_intercept *ic;
	struct memattr_vm_regs regs;
	struct memattr_store *s;
	struct memattr_vm *vm;
	unsigned int n, halted = 99;
	uint64_t next;

	(void)state;
	vm = answer_vm(&s, MEMATTR_VM_ACTION_ALLOW, vtl0, sizeof(vtl0), 0x402000);
	assert_int_equal(memattr_set(s, 0, 0x401, 0x402, MEMATTR_READ, 0, &next), 0);
	assert_int_equal(memattr_vm_run(vm, 1, &halted), 0);
	assert_int_equal(halted, 0);
	ic = memattr_vm_intercepts(vm, &n);
	assert_int_equal(n, 1);
	assert_int_equal(ic[0].gpa, 0x401ff8);
	assert_int_equal(ic[0].access, MEMATTR_VM_ACCESS_WRITE);
	assert_int_equal(ic[0].action, MEMATTR_VM_ACTION_ALLOW);
	assert_int_equal(get64((uint8_t *)memattr_vm_ram(vm) + 0x401ff8), 0x0123456789abcdefULL);
	assert_int_equal(memattr_vm_get_regs(vm, 0, &regs), 0);
	assert_int_equal(regs.rsp, 0x401ff8);
	assert_int_equal(memattr_vm_host_prot(vm, 0, 0x401), PROT_READ);
	if (efault_model(memattr_vm_stats(vm)))
		assert_int_equal(memattr_vm_stats(vm)->stepped, 1);
	else
		assert_int_equal(memattr_vm_stats(vm)->emulated, 1);
	memattr_vm_destroy(vm);
	memattr_store_destroy(s);
}

/*
 * One instruction, two blocked accesses: MOVSQ from a no-access page to a
 * read-only one.  After an EFAULT each is delivered in the CPU's order, the
 * read first; once VTL 1 allowed both, the instruction is single-stepped
 * with both pages opened.  (KVM's emulator reports them as two MMIO exits
 * in one instruction, which the held-access settle cannot serve: that KVM
 * is not tested here.)
 */
static void test_allow_two_accesses(void **state)
{
	/* mov $0x402000, %esi; mov $0x403000, %edi; movsq; hlt */
	static const uint8_t vtl0[] = { 0xbe, 0x00, 0x20, 0x40, 0x00, 0xbf, 0x00,
					0x30, 0x40, 0x00, 0x48, 0xa5, 0xf4 };
	const struct memattr_vm_intercept *ic;
	struct memattr_vm_regs regs;
	struct memattr_store *s;
	struct memattr_vm *vm;
	unsigned int n, halted = 99;
	uint64_t next, word = 0x5eed;

	(void)state;
	vm = answer_vm(&s, MEMATTR_VM_ACTION_ALLOW, vtl0, sizeof(vtl0), 0x280000);
	if (!efault_model(memattr_vm_stats(vm))) {
		memattr_vm_destroy(vm);
		memattr_store_destroy(s);
		skip();
	}
	memcpy((uint8_t *)memattr_vm_ram(vm) + 0x402000, &word, 8);
	assert_int_equal(memattr_set(s, 0, 0x402, 0x403, MEMATTR_NO_ACCESS, 0, &next), 0);
	assert_int_equal(memattr_set(s, 0, 0x403, 0x404, MEMATTR_READ, 0, &next), 0);
	assert_int_equal(memattr_vm_run(vm, 1, &halted), 0);
	assert_int_equal(halted, 0);
	ic = memattr_vm_intercepts(vm, &n);
	assert_int_equal(n, 2);
	assert_int_equal(ic[0].gpa, 0x402000);
	assert_int_equal(ic[0].access, MEMATTR_VM_ACCESS_READ);
	assert_int_equal(ic[1].gpa, 0x403000);
	assert_int_equal(ic[1].access, MEMATTR_VM_ACCESS_WRITE);
	assert_int_equal(get64((uint8_t *)memattr_vm_ram(vm) + 0x403000), word);
	assert_int_equal(memattr_vm_get_regs(vm, 0, &regs), 0);
	assert_int_equal(regs.rsi, 0x402008);
	assert_int_equal(regs.rdi, 0x403008);
	assert_int_equal(memattr_vm_stats(vm)->stepped, 1);
	assert_int_equal(memattr_vm_host_prot(vm, 0, 0x402), PROT_NONE);
	assert_int_equal(memattr_vm_host_prot(vm, 0, 0x403), PROT_READ);
	memattr_vm_destroy(vm);
	memattr_store_destroy(s);
}

static void test_config(void **state)
{
	struct memattr_config scfg = { .layers = 1, .gpa_bits = 32 };
	struct memattr_vm_config cfg = { .vtls = 3,
					 .ram_size = 2 << 20,
					 .msg_gpa = { 0, 0x100000, 0x110000 } };
	struct memattr_store *s, *s1;
	struct memattr_vm *vm;

	(void)state;
	assert_int_equal(memattr_store_create(&scfg, &s1), 0);
	scfg.layers = 2;
	assert_int_equal(memattr_store_create(&scfg, &s), 0);
	/* Three VTLs in the VSM layout need a mask per protecting VTL: two layers. */
	cfg.store = s1;
	assert_int_equal(memattr_vm_create(&cfg, &vm), -EINVAL);
	cfg.store = s;
	cfg.layer_mask[0] = 1;
	cfg.layer_mask[1] = 4;
	assert_int_equal(memattr_vm_create(&cfg, &vm), -EINVAL); /* layer 2 is not there */
	cfg.layer_mask[1] = 2;
	/* The VSM front owns the layout: other masks would read the wrong layers. */
	assert_int_equal(memattr_vm_create(&cfg, &vm), -EINVAL);
	/* Spelled out, the defaults are accepted. */
	cfg.layer_mask[0] = 3;
	assert_int_equal(memattr_vm_create(&cfg, &vm), 0);
	memattr_vm_destroy(vm);
	/*
	 * VTL v obeys the masks of every VTL above it: VTL 2's mask (layer 1)
	 * limits VTL 1 and VTL 0, VTL 1's (layer 0) only VTL 0.
	 */
	cfg.layer_mask[0] = cfg.layer_mask[1] = 0;
	assert_int_equal(memattr_vm_create(&cfg, &vm), 0);
	assert_int_equal(memattr_vm_layer_mask(vm, 0), 3);
	assert_int_equal(memattr_vm_layer_mask(vm, 1), 2);
	assert_int_equal(memattr_vm_layer_mask(vm, 2), 0);
	memattr_vm_destroy(vm);
	cfg.vtls = 2;
	cfg.ram_size = 3 << 20;
	assert_int_equal(memattr_vm_create(&cfg, &vm), -EINVAL); /* not 2 MiB multiple */
	cfg.ram_size = 2 << 20;
	cfg.msg_gpa[1] = 0x1000;
	assert_int_equal(memattr_vm_create(&cfg, &vm), -EINVAL); /* inside the VMM's tables */
	cfg.msg_gpa[1] = 0x100000;
	cfg.vtls = 1;
	assert_int_equal(memattr_vm_create(&cfg, &vm), -EINVAL);
	cfg.vtls = 2;
	assert_int_equal(memattr_vm_create(&cfg, &vm), 0);
	assert_int_equal(memattr_vm_layer_mask(vm, 0), 1);
	assert_int_equal(memattr_vm_layer_mask(vm, 1), 0);
	memattr_vm_destroy(vm);
	/* Four VTLs: masks 7, 6, 4, 0 over three layers. */
	memattr_store_destroy(s);
	scfg.layers = 3;
	assert_int_equal(memattr_store_create(&scfg, &s), 0);
	cfg.store = s;
	cfg.vtls = 4;
	cfg.msg_gpa[3] = 0x120000;
	assert_int_equal(memattr_vm_create(&cfg, &vm), 0);
	assert_int_equal(memattr_vm_layer_mask(vm, 0), 7);
	assert_int_equal(memattr_vm_layer_mask(vm, 1), 6);
	assert_int_equal(memattr_vm_layer_mask(vm, 2), 4);
	assert_int_equal(memattr_vm_layer_mask(vm, 3), 0);
	memattr_vm_destroy(vm);
	memattr_store_destroy(s1);
	memattr_store_destroy(s);
}

/*
 * RAM above the 1 GiB the test guests' page tables map: its protections are
 * the alias's like any other page's; the store must cover it; entry points
 * must lie in the identity map.
 */
static void test_large_ram(void **state)
{
	struct memattr_config scfg = { .layers = 2, .gpa_bits = 32 };
	struct memattr_vm_config cfg = { .vtls = 2,
					 .ram_size = 64ULL << 30,
					 .msg_gpa = { 0, 0x100000 } };
	const uint64_t high = (3ULL << 30) >> MEMATTR_PAGE_SHIFT; /* 3 GiB */
	struct memattr_store *s, *big;
	struct memattr_vm *vm;
	uint64_t next;

	(void)state;
	assert_int_equal(memattr_store_create(&scfg, &s), 0);
	cfg.store = s;
	assert_int_equal(memattr_vm_create(&cfg, &vm), -EINVAL); /* 64 GiB in a 4 GiB store */
	scfg.gpa_bits = 40;
	assert_int_equal(memattr_store_create(&scfg, &big), 0);
	cfg.store = big;
	cfg.ram_size = (128ULL << 30) + (2 << 20);
	assert_int_equal(memattr_vm_create(&cfg, &vm), -EINVAL); /* above the limit */
	cfg.ram_size = 4ULL << 30;
	assert_int_equal(memattr_vm_create(&cfg, &vm), 0);
	assert_int_equal(memattr_set(big, 0, high, high + 3, MEMATTR_READ, 0, &next), 0);
	assert_int_equal(memattr_set(big, 0, high + 1, high + 2, MEMATTR_NO_ACCESS, 0, &next), 0);
	assert_int_equal(memattr_vm_host_prot(vm, 0, high), PROT_READ);
	assert_int_equal(memattr_vm_host_prot(vm, 0, high + 1), PROT_NONE);
	assert_int_equal(memattr_vm_host_prot(vm, 0, high + 3), PROT_READ | PROT_WRITE);
	assert_int_equal(memattr_vm_host_prot(vm, 1, high + 1), PROT_READ | PROT_WRITE);
	assert_int_equal(memattr_vm_stats(vm)->vmas, 5); /* RW, R, none, R, RW */
	assert_int_equal(memattr_vm_vcpu_init(vm, 0, 1ULL << 30, 0x280000), -EINVAL);
	assert_int_equal(memattr_vm_vcpu_init(vm, 0, 0x200000, 0x280000), 0);
	memattr_vm_destroy(vm);
	memattr_store_destroy(big);
	memattr_store_destroy(s);
}

/*
 * Scattered protections overflow a budget of 8 and fall back; once most are
 * lifted again, a refresh makes the region exact and the emulation stops.
 */
static void test_views_refresh(void **state)
{
	struct memattr_store *s;
	struct memattr_vm *vm;
	uint64_t next;

	(void)state;
	assert_int_equal(kvm_vm(&s, &vm, 8, false), 0);
	for (uint64_t g = 0x400; g < 0x440; g += 4)
		assert_int_equal(memattr_set(s, 0, g, g + 1, MEMATTR_READ, 0, &next), 0);
	assert_true(memattr_vm_stats(vm)->fallbacks >= 1);
	assert_int_equal(memattr_vm_host_prot(vm, 0, 0x404), PROT_NONE);
	assert_int_equal(memattr_vm_views_refresh(vm), 0); /* still too many runs */
	assert_int_equal(memattr_vm_host_prot(vm, 0, 0x404), PROT_NONE);
	assert_int_equal(memattr_set(s, 0, 0x404, 0x440, 0, 0, &next), 0);
	assert_int_equal(memattr_vm_views_refresh(vm), 0);
	assert_true(memattr_vm_stats(vm)->refreshes >= 1);
	assert_int_equal(memattr_vm_host_prot(vm, 0, 0x400), PROT_READ);
	assert_int_equal(memattr_vm_host_prot(vm, 0, 0x404), PROT_READ | PROT_WRITE);
	assert_int_equal(memattr_vm_host_prot(vm, 0, 0x500), PROT_READ | PROT_WRITE);
	assert_int_equal(memattr_vm_stats(vm)->vmas, 3);
	assert_int_equal(memfd_vmas(), 3 + 2);
	memattr_vm_destroy(vm);
	memattr_store_destroy(s);
}

/*
 * Three VTLs in the VSM layout: a VTL's mask limits every VTL below it
 * (OpenVMM hardware_cvm modify_vtl_protection_mask(): TargetVtl names the
 * mask's owner, and the mask applies to the lower VTLs).  VTL 0's alias
 * shows what VTL 1's mask (layer 0) and VTL 2's (layer 1) allow together,
 * VTL 1's what VTL 2's mask allows; VTL 1's mask does not limit VTL 1.
 */
static void test_views_combined(void **state)
{
	struct memattr_config scfg = { .layers = 2, .gpa_bits = 32 };
	struct memattr_vm_config cfg = { .vtls = 3,
					 .ram_size = 2 << 20,
					 .msg_gpa = { 0, 0x100000, 0x110000 } };
	struct memattr_store *s;
	struct memattr_vm *vm;
	uint64_t next;

	(void)state;
	assert_int_equal(memattr_store_create(&scfg, &s), 0);
	cfg.store = s;
	/* Protections already in the store are applied at creation. */
	assert_int_equal(memattr_set(s, 1, 0x40, 0x48, MEMATTR_READ, 0, &next), 0);
	assert_int_equal(memattr_vm_create(&cfg, &vm), 0);
	assert_int_equal(memattr_vm_layer_mask(vm, 0), 3);
	assert_int_equal(memattr_vm_layer_mask(vm, 1), 2);
	assert_int_equal(memattr_vm_host_prot(vm, 0, 0x40), PROT_READ);
	assert_int_equal(memattr_vm_host_prot(vm, 1, 0x40), PROT_READ);
	assert_int_equal(memattr_vm_host_prot(vm, 2, 0x40), PROT_READ | PROT_WRITE);
	/* VTL 1's mask: VTL 0 only. */
	assert_int_equal(memattr_set(s, 0, 0x44, 0x50, MEMATTR_READ | MEMATTR_WRITE, 0, &next), 0);
	assert_int_equal(memattr_set(s, 0, 0x46, 0x47, MEMATTR_NO_ACCESS, 0, &next), 0);
	/* VTL 2's mask: VTL 1 and VTL 0. */
	assert_int_equal(memattr_set(s, 1, 0x60, 0x61, MEMATTR_NO_ACCESS, 0, &next), 0);
	assert_int_equal(memattr_vm_host_prot(vm, 0, 0x43), PROT_READ);
	assert_int_equal(memattr_vm_host_prot(vm, 0, 0x45), PROT_READ);
	assert_int_equal(memattr_vm_host_prot(vm, 0, 0x46), PROT_NONE);
	assert_int_equal(memattr_vm_host_prot(vm, 0, 0x48), PROT_READ | PROT_WRITE);
	assert_int_equal(memattr_vm_host_prot(vm, 0, 0x60), PROT_NONE);
	assert_int_equal(memattr_vm_host_prot(vm, 1, 0x60), PROT_NONE);
	assert_int_equal(memattr_vm_host_prot(vm, 1, 0x45), PROT_READ);
	/* VTL 1's own NO_ACCESS there does not limit VTL 1; VTL 2's R does. */
	assert_int_equal(memattr_vm_host_prot(vm, 1, 0x46), PROT_READ);
	assert_int_equal(memattr_vm_host_prot(vm, 2, 0x46), PROT_READ | PROT_WRITE);
	assert_int_equal(memattr_vm_host_prot(vm, 2, 0x60), PROT_READ | PROT_WRITE);
	/* Lifting one layer leaves the other's limit in place. */
	assert_int_equal(memattr_set(s, 1, 0x40, 0x48, 0, 0, &next), 0);
	assert_int_equal(memattr_vm_host_prot(vm, 0, 0x43), PROT_READ | PROT_WRITE);
	assert_int_equal(memattr_vm_host_prot(vm, 0, 0x45), PROT_READ | PROT_WRITE);
	assert_int_equal(memattr_vm_host_prot(vm, 0, 0x46), PROT_NONE);
	assert_int_equal(memattr_vm_host_prot(vm, 1, 0x45), PROT_READ | PROT_WRITE);
	assert_int_equal(memattr_set(s, 1, 0x60, 0x61, 0, 0, &next), 0);
	assert_int_equal(memattr_vm_host_prot(vm, 0, 0x60), PROT_READ | PROT_WRITE);
	assert_int_equal(memattr_vm_host_prot(vm, 1, 0x60), PROT_READ | PROT_WRITE);
	memattr_vm_destroy(vm);
	memattr_store_destroy(s);
}

/* Whether the host's KVM uses two-dimensional paging (NPT, EPT) rather than shadow paging. */
static bool host_tdp(void)
{
	static const char *const params[] = { "/sys/module/kvm_amd/parameters/npt",
					      "/sys/module/kvm_intel/parameters/ept" };

	for (unsigned int i = 0; i < 2; i++) {
		FILE *f = fopen(params[i], "r");
		int c = f ? fgetc(f) : EOF;

		if (f)
			fclose(f);
		if (c == 'Y' || c == '1')
			return true;
	}
	return false;
}

/*
 * The guest's own page walk meets a view: VTL 0 runs on page tables of its
 * own whose PT page VTL 1 made read-only, and loads through an entry whose
 * accessed flag is clear.  With NPT or EPT the CPU's walk must set the flag,
 * a write to the PT's GPA: KVM_RUN fails with EFAULT and the write to that
 * entry is what VTL 1 hears of.  Shadow paging walks in software and injects
 * #PF when it cannot set the flag (FNAME(walk_addr_generic)); kvm_pvm shadows
 * too: not tested there, only printed.
 */
static void test_fault_table_walk(void **state)
{
	/* mov $0x500000, %eax; mov %rax, %cr3; mov 0x404000, %rbx; hlt */
	static const uint8_t vtl0[] = { 0xb8, 0x00, 0x00, 0x50, 0x00, 0x0f, 0x22, 0xd8, 0x48,
					0x8b, 0x1c, 0x25, 0x00, 0x40, 0x40, 0x00, 0xf4 };
	const uint64_t pml4 = 0x500000, pdpt = 0x501000, pd = 0x502000, pt = 0x503000;
	const uint64_t ad = 0x67, ad_ps = 0xe7, a_only = 0x27,
		       no_a = 0x07; /* P RW US (A) (D) (PS) */
	const struct memattr_vm_intercept *ic;
	struct memattr_vm_regs regs;
	struct memattr_store *s;
	struct memattr_vm *vm;
	unsigned int n, halted = 99;
	uint64_t next, e;
	uint8_t *ram;
	int ret;

	(void)state;
	vm = answer_vm(&s, MEMATTR_VM_ACTION_SKIP, vtl0, sizeof(vtl0), 0x280000);
	ram = memattr_vm_ram(vm);
	/* 0..8 MiB identity in 2 MiB pages, but 4..6 MiB through a PT: 4 KiB pages. */
	e = pdpt | a_only;
	memcpy(ram + pml4, &e, 8);
	e = pd | a_only;
	memcpy(ram + pdpt, &e, 8);
	for (uint64_t i = 0; i < 4; i++) {
		e = i == 2 ? pt | a_only : i << 21 | ad_ps;
		memcpy(ram + pd + 8 * i, &e, 8);
	}
	for (uint64_t i = 0; i < 512; i++) {
		e = (0x400000 + (i << 12)) | (i == 4 ? no_a : ad);
		memcpy(ram + pt + 8 * i, &e, 8);
	}
	memset(ram + 0x404000, 0x99, 8);
	assert_int_equal(memattr_set(s, 0, pt >> 12, (pt >> 12) + 1, MEMATTR_READ, 0, &next), 0);
	ret = memattr_vm_run(vm, 1, &halted);
	ic = memattr_vm_intercepts(vm, &n);
	print_message("table walk: run %d, exit reason %u, %u intercepts%s\n", ret,
		      memattr_vm_stats(vm)->exit_reason, n, host_tdp() ? "" : " (no TDP)");
	if (!efault_model(memattr_vm_stats(vm)) || !host_tdp()) {
		memattr_vm_destroy(vm);
		memattr_store_destroy(s);
		skip();
	}
	assert_int_equal(ret, 0);
	assert_int_equal(halted, 0);
	assert_int_equal(n, 1);
	assert_int_equal(ic[0].gpa, pt + 4 * 8);
	assert_int_equal(ic[0].access, MEMATTR_VM_ACCESS_WRITE);
	assert_int_equal(memattr_vm_get_regs(vm, 0, &regs), 0);
	assert_int_equal(regs.rbx, 0);			     /* the skipped load */
	assert_int_equal(get64(ram + pt + 4 * 8) & 0x20, 0); /* the flag was never set */
	memattr_vm_destroy(vm);
	memattr_store_destroy(s);
}

struct msr_op {
	uint32_t write; /* 0: RDMSR */
	uint32_t index;
	uint64_t value;
	uint64_t gp; /* expected: 1 when the access raises #GP */
	uint64_t read;
};

/*
 * Hostile and ordinary synthetic MSR accesses from a guest, each checked for
 * #GP and its value; the rules are checked alone by test_hv_interface, this
 * checks that KVM carries the VMM's answers to the guest.  Expected
 * answers: OpenVMM's hv1_emulator (reserved bits, a locked hypercall MSR,
 * read-only and unknown MSRs, pages it cannot map: #GP) and KVM's Hyper-V
 * emulation (the hypercall MSR ignored without a guest OS ID, an unmasked
 * SINT with a vector below 16: #GP).  A page the VTL may not write, or one
 * of the VMM's own, cannot hold a page the VMM writes: #GP.
 */
static void test_msrs(void **state)
{
	const uint64_t closed = 0x500000, hc = 0x250000, ram = 8 << 20;
	const struct msr_op ops[] = {
		{ 1, 0x40000001, hc | 1, 0, 0 }, /* before the guest OS ID: ignored */
		{ 0, 0x40000001, 0, 0, 0 },	 /* still off */
		{ 1, 0x40000000, 0x8000000000000001ULL, 0, 0 },
		{ 1, 0x40000001, hc | 1 | 4, 1, 0 }, /* reserved bit 2 */
		{ 1, 0x40000001, ram | 1, 1, 0 },    /* past RAM */
		{ 1, 0x40000001, 0x1000 | 1, 1, 0 }, /* the VMM's page tables */
		{ 1, 0x40000001, closed | 1, 1, 0 }, /* read-only to VTL 0 */
		{ 1, 0x40000001, hc | 1, 0, 0 },
		{ 0, 0x40000001, 0, 0, hc | 1 },
		{ 1, 0x40000001, hc | 3, 0, 0 }, /* locked */
		{ 1, 0x40000001, 0, 1, 0 },	 /* locked: no more writes */
		{ 0, 0x40000002, 0, 0, 0 },	 /* VP_INDEX: VP 0 */
		{ 1, 0x40000002, 1, 1, 0 },	 /* read-only */
		{ 0, 0x40000081, 0, 0, 1 },	 /* SVERSION */
		{ 1, 0x40000081, 2, 1, 0 },
		{ 0, 0x40000090, 0, 0, 0x10000 },	/* SINT0: masked */
		{ 1, 0x40000090, 5, 1, 0 },		/* unmasked exception vector */
		{ 1, 0x40000090, 0x30 | 1 << 8, 1, 0 }, /* reserved bit 8 */
		{ 1, 0x40000083, 0x300000 | 2, 1, 0 },	/* SIMP reserved bit 1 */
		{ 1, 0x40000083, closed | 1, 1, 0 },
		{ 1, 0x40000083, 0x300000 | 1, 0, 0 },
		{ 0, 0x40000083, 0, 0, 0x300000 | 1 },
		{ 1, 0x40000073, 1ULL << 40 | 1, 1, 0 }, /* VP assist page past RAM */
		{ 1, 0x40000080, 2, 1, 0 },		 /* SCONTROL reserved bit */
		{ 0, 0x40000084, 0, 0, 0 },		 /* EOM reads 0 */
		{ 0, 0x40000050, 0, 1, 0 },		 /* not offered */
		{ 1, 0x400000ff, 0, 1, 0 },
	};
	const unsigned int n = sizeof(ops) / sizeof(ops[0]);
	struct memattr_vm_hv_msrs m;
	struct memattr_store *s;
	struct memattr_vm *vm;
	unsigned int halted;
	uint64_t next;
	uint8_t *p;

	(void)state;
	assert_int_equal(kvm_vm(&s, &vm, 0, false), 0);
	if (memattr_vm_stats(vm)->hv_interface != MEMATTR_VM_HV_INTERFACE) {
		print_message("this KVM cannot send MSRs to user space\n");
		memattr_vm_destroy(vm);
		memattr_store_destroy(s);
		skip();
	}
	p = memattr_vm_ram(vm);
	memcpy(p + MSRG_CODE, guest_msr, sizeof(guest_msr));
	memcpy(p + MSRG_TABLE, &(uint64_t){ n }, 8);
	for (unsigned int i = 0; i < n; i++) {
		uint8_t *e = p + MSRG_TABLE + MSRG_ENTRIES + MSRG_ENTRY * i;

		memcpy(e, &ops[i].write, 4);
		memcpy(e + 4, &ops[i].index, 4);
		memcpy(e + 8, &ops[i].value, 8);
		memcpy(e + 16, &(uint64_t){ 7 }, 8); /* neither answer */
	}
	/* VTL 1's mask makes one page read-only for VTL 0. */
	assert_int_equal(
		memattr_set(s, 0, closed >> 12, (closed >> 12) + 1, MEMATTR_READ, 0, &next), 0);
	assert_int_equal(memattr_vm_vcpu_init(vm, 0, MSRG_CODE, MSRG_STACK), 0);
	assert_int_equal(memattr_vm_run(vm, 0, &halted), 0);
	assert_int_equal(halted, 0);
	for (unsigned int i = 0; i < n; i++) {
		const uint8_t *e = p + MSRG_TABLE + MSRG_ENTRIES + MSRG_ENTRY * i;

		if (get64(e + 16) != ops[i].gp || (!ops[i].write && get64(e + 24) != ops[i].read))
			print_message("entry %u: MSR %#x: #GP %llu, read %#llx\n", i, ops[i].index,
				      (unsigned long long)get64(e + 16),
				      (unsigned long long)get64(e + 24));
		assert_int_equal(get64(e + 16), ops[i].gp);
		if (!ops[i].write && !ops[i].gp)
			assert_int_equal(get64(e + 24), ops[i].read);
	}
	assert_int_equal(memattr_vm_stats(vm)->msr_exits, n);
	assert_int_equal(memattr_vm_hv_msrs(vm, 0, &m), 0);
	assert_int_equal(m.hypercall, hc | 3);
	assert_int_equal(m.simp, 0x300000 | 1);
	assert_int_equal(m.vp_assist_page, 0);
	assert_int_equal(m.sint[0], 0x10000);
	/* The page: the doorbell entries, INT3 after them; the refused GPAs untouched. */
	assert_memory_equal(p + hc, "\xe6\x50\xc3\x48\x89\xc8\xb9\x11\0\0\0\xe6\x50\xc3", 14);
	assert_int_equal(p[hc + 0x19], 0xcc);
	assert_int_equal(p[hc + 0xfff], 0xcc);
	assert_int_equal(p[closed], 0);
	assert_int_equal(memattr_vm_hv_msrs(vm, 2, &m), -EINVAL);
	assert_int_equal(memattr_vm_hv_msrs(vm, 0, NULL), -EINVAL);
	memattr_vm_destroy(vm);
	memattr_store_destroy(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* clang-format off */
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_large_ram),
		cmocka_unit_test(test_bad_guests),
		cmocka_unit_test(test_closed_input),
		cmocka_unit_test(test_mmio_device),
		cmocka_unit_test(test_mmio_unclaimed),
		cmocka_unit_test(test_intercept_owner),
		cmocka_unit_test(test_intercept_decision),
		cmocka_unit_test(test_fault_model),
		cmocka_unit_test(test_skip_widths),
		cmocka_unit_test(test_skip_not_mov),
		cmocka_unit_test(test_allow_push),
		cmocka_unit_test(test_allow_two_accesses),
		cmocka_unit_test(test_fault_table_walk),
		cmocka_unit_test(test_demo),
		cmocka_unit_test(test_demo_exec),
		cmocka_unit_test(test_demo_loop),
		cmocka_unit_test(test_demo_overflow),
		cmocka_unit_test(test_msrs),
		cmocka_unit_test(test_demo_memslots),
		cmocka_unit_test(test_demo_fallback),
		cmocka_unit_test(test_views_exact),
		cmocka_unit_test(test_views_budget),
		cmocka_unit_test(test_map_count),
		cmocka_unit_test(test_views_refresh),
		cmocka_unit_test(test_views_combined),
		/* clang-format on */
	};
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		printf("SKIP: /dev/kvm cannot be opened (%s): the KVM backend needs it\n",
		       strerror(errno));
		return 77;
	}
	close(fd);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
