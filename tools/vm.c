// SPDX-License-Identifier: LGPL-2.1-or-later
/* memattr vm: the VSM demo on real KVM. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "demo/vm_demo.h"
#include "../guests/layout.h"
#include "cmd.h"
#include "common/number.h"

static const char *prot_name(uint64_t v)
{
	switch (v & MEMATTR_PROT_MASK) {
	case MEMATTR_NO_ACCESS:
		return "NO_ACCESS";
	case MEMATTR_READ:
		return "R";
	case MEMATTR_READ | MEMATTR_EXECUTE:
		return "R|X";
	case MEMATTR_READ | MEMATTR_WRITE:
		return "R|W";
	case MEMATTR_RWX:
		return "R|W|X";
	default:
		return "?";
	}
}

static const char *what_at(uint64_t gpa)
{
	if (gpa >> 12 == VTL0_CODE >> 12)
		return "VTL 0 code";
	if (gpa >> 12 == VTL0_DATA >> 12)
		return "VTL 0 data";
	if (gpa >> 12 == VTL0_SECRET >> 12)
		return "VTL 0 secret";
	if (gpa >= VTL1_CODE && gpa < VTL1_CODE + VTL1_PAGES * 4096ULL)
		return "VTL 1 memory";
	return "";
}

/* How the host's KVM reports an access a view stops (memattr_vm_stats() fault_model). */
static const char *fault_model_name(uint32_t m)
{
	switch (m) {
	case MEMATTR_VM_FAULTS_MMIO:
		return "mmio (KVM_EXIT_MMIO with the GPA, as kvm_pvm)";
	case MEMATTR_VM_FAULTS_EFAULT:
		return "efault (hardware-virtualized: KVM_RUN fails with EFAULT, the VMM decodes "
		       "the instruction)";
	default:
		return "unknown (the probe got no clear answer)";
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Time @n scattered single-page changes over 1 GiB, with @vm's views attached or not. */
static int changes_time(unsigned int n, bool with_vm, const struct demo_opts *o, double *secs,
			struct memattr_vm_stats *st)
{
	static const uint64_t values[] = { MEMATTR_READ, MEMATTR_READ | MEMATTR_EXECUTE,
					   MEMATTR_NO_ACCESS, MEMATTR_READ | MEMATTR_WRITE, 0 };
	struct memattr_config scfg = { .layers = 2, .gpa_bits = 32 };
	struct memattr_vm_config cfg = {
		.vtls = 2,
		.ram_size = 1ULL << 30,
		.vma_budget = o->vma_budget,
		.max_map_count = o->max_map_count,
		.memslots = o->memslots,
		.msg_gpa = { 0, 0x100000 },
	};
	const uint64_t pages = cfg.ram_size >> 12, lo = 16;
	struct memattr_vm *vm = NULL;
	struct memattr_store *s;
	uint64_t x = 88172645463325252ULL, next;
	double t0;
	int ret;

	ret = memattr_store_create(&scfg, &s);
	if (ret)
		return ret;
	cfg.store = s;
	if (with_vm) {
		ret = memattr_vm_create(&cfg, &vm);
		if (ret)
			goto out;
	}
	t0 = now();
	for (unsigned int i = 0; i < n && !ret; i++) {
		uint64_t g = lo + rnd(&x) % (pages - lo);

		ret = memattr_set(s, 0, g, g + 1, values[rnd(&x) % 5], 0, &next);
	}
	*secs = now() - t0;
	if (vm)
		*st = *memattr_vm_stats(vm);
	memattr_vm_destroy(vm);
out:
	memattr_store_destroy(s);
	return ret;
}

static int bench(unsigned int n, const struct demo_opts *o)
{
	struct memattr_vm_stats st = { 0 };
	double base, with;
	int ret;

	ret = changes_time(n, false, o, &base, &st);
	if (!ret)
		ret = changes_time(n, true, o, &with, &st);
	if (ret)
		return ret;
	printf("%u scattered single-page changes over 1 GiB (layer 0: VTL 1's mask, on VTL 0):\n",
	       n);
	printf("  store alone          %8.3f us per change\n", base * 1e6 / n);
	printf("  store + KVM views    %8.3f us per change (%llu notified runs, %llu %s, "
	       "%.3f us each)\n",
	       with * 1e6 / n, (unsigned long long)st.changes, (unsigned long long)st.mprotects,
	       o->memslots ? "memslot rebuilds" : "mprotect",
	       st.mprotects ? st.mprotect_ns / 1e3 / st.mprotects : 0.0);
	printf("  %s at the end      %llu (budget %llu, %s), %llu fallbacks to PROT_NONE\n",
	       o->memslots ? "runs" : "VMAs", (unsigned long long)st.vmas,
	       (unsigned long long)st.budget,
	       o->vma_budget ? "given"
	       : o->memslots ? "default: KVM's slot limit"
			     : "default: vm.max_map_count / 4",
	       (unsigned long long)st.fallbacks);
	return 0;
}

/* The Hyper-V interface the VMM offered and what each VTL made of it. */
static void print_interface(const struct demo_result *r)
{
	const uint32_t *v = r->cpuid[0];
	char vendor[13];
	uint64_t page;

	memcpy(vendor, &v[1], 4);
	memcpy(vendor + 4, &v[2], 4);
	memcpy(vendor + 8, &v[3], 4);
	vendor[12] = 0;
	printf("Hyper-V interface offered: CPUID 0x40000000 \"%s\" up to %#x, 0x40000001 "
	       "\"%.4s\",\n  privileges %#010x%08x (0x40000003), limits %u VP (0x40000005); "
	       "MSRs in user space\n",
	       vendor, v[0], (const char *)&r->cpuid[1][0], r->cpuid[3][1], r->cpuid[3][0],
	       r->cpuid[5][0]);
	for (unsigned int t = 0; t < 2; t++) {
		const struct memattr_vm_hv_msrs *m = &r->msrs[t];

		page = m->hypercall & ~0xfffULL;
		printf("  VTL %u: guest OS ID %#llx, hypercall page %#llx%s, VsmCodePageOffsets "
		       "%#llx -> VTL %s at %#llx\n",
		       t, (unsigned long long)m->guest_os_id, (unsigned long long)page,
		       m->hypercall & 1 ? "" : " (off)", (unsigned long long)r->offsets[t],
		       t ? "return" : "call",
		       (unsigned long long)(t ? r->return_entry : r->call_entry));
		if (t)
			printf("         VP assist page %#llx, SynIC %s, message page %#llx, "
			       "SINT0 %#llx\n",
			       (unsigned long long)(m->vp_assist_page & ~0xfffULL),
			       m->scontrol & 1 ? "on" : "off",
			       (unsigned long long)(m->simp & ~0xfffULL),
			       (unsigned long long)m->sint[0]);
	}
}

/*
 * memattr_vm_create() says -ENODEV when this host has no /dev/kvm; any other
 * errno of opening it (EACCES: not in the kvm group) is printed as it is.
 */
static int kvm_missing(int ret)
{
	if (ret == -ENODEV) {
		fprintf(stderr, "memattr vm: no KVM on this host (no /dev/kvm)\n");
		return 1;
	}
	if (ret == -EACCES || ret == -EPERM) {
		fprintf(stderr, "memattr vm: /dev/kvm: %s (is this user in the kvm group?)\n",
			strerror(-ret));
		return 1;
	}
	return 0;
}

#define MAX_INTERCEPTS 1000000 /* about a second per 100,000 on KVM: minutes at most */

static int usage(FILE *f)
{
	fprintf(f,
		"usage: memattr vm [--exec] [--intercepts N] [--vma-budget N] "
		"[--max-map-count N] [--memslots] [--bench CHANGES]\n"
		"  --exec             VTL 0 also tries to run VTL 1's secret page\n"
		"  --intercepts N     VTL 0 makes N more blocked writes (at most %d), timed\n"
		"  --vma-budget N     VMAs the views may use (0: vm.max_map_count / 4, else 2+)\n"
		"  --max-map-count N  root: raise vm.max_map_count to N for the run\n"
		"  --memslots         views by memslots instead of mprotect\n"
		"  --bench CHANGES    time CHANGES scattered changes with and without views\n",
		MAX_INTERCEPTS);
	return f == stdout ? 0 : 2;
}

/* The number after option @i, within [@min, @max]; false (said on stderr) if not. */
static bool opt_number(int argc, char **argv, int i, uint64_t min, uint64_t max, uint64_t *n)
{
	if (i + 1 >= argc) {
		fprintf(stderr, "memattr vm: %s needs a number\n", argv[i]);
		return false;
	}
	if (!number_parse_str(argv[i + 1], n)) {
		fprintf(stderr, "memattr vm: %s: '%s' is not a number\n", argv[i], argv[i + 1]);
		return false;
	}
	if (*n < min || *n > max) {
		fprintf(stderr, "memattr vm: %s %s: must be %llu..%llu\n", argv[i], argv[i + 1],
			(unsigned long long)min, (unsigned long long)max);
		return false;
	}
	return true;
}

int cmd_vm(int argc, char **argv)
{
	struct demo_opts o = { 0 };
	unsigned int changes = 0;
	struct demo_result r;
	double base = 0;
	int ret;

	for (int i = 1; i < argc; i++) {
		uint64_t n;

		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			return usage(stdout);
		} else if (!strcmp(argv[i], "--vma-budget")) {
			if (!opt_number(argc, argv, i++, 0, UINT32_MAX, &n))
				return 2;
			o.vma_budget = (unsigned int)n;
		} else if (!strcmp(argv[i], "--max-map-count")) {
			if (!opt_number(argc, argv, i++, 1, INT32_MAX, &n))
				return 2;
			o.max_map_count = n;
		} else if (!strcmp(argv[i], "--intercepts")) {
			if (!opt_number(argc, argv, i++, 0, MAX_INTERCEPTS, &n))
				return 2;
			o.loop = n;
		} else if (!strcmp(argv[i], "--exec")) {
			o.exec_secret = true;
		} else if (!strcmp(argv[i], "--memslots")) {
			o.memslots = true;
		} else if (!strcmp(argv[i], "--bench")) {
			if (!opt_number(argc, argv, i++, 1, UINT32_MAX, &n))
				return 2;
			changes = (unsigned int)n;
		} else {
			fprintf(stderr, "memattr vm: unknown option '%s'\n", argv[i]);
			return usage(stderr);
		}
	}
	if (o.vma_budget == 1 && !o.memslots) {
		fprintf(stderr, "memattr vm: --vma-budget must be 0 (the default) or at least 2: "
				"one VMA cannot keep the VMM's own pages mapped\n");
		return 2;
	}
	if (changes) {
		ret = bench(changes, &o);
		if (kvm_missing(ret))
			return 3;
		if (ret)
			fprintf(stderr, "memattr vm: %s\n", strerror(-ret));
		return ret ? 1 : 0;
	}
	if (o.loop) {
		/* The same run without the extra intercepts, to subtract. */
		struct demo_opts o0 = o;

		o0.loop = 0;
		ret = demo_run(&o0, &r);
		if (kvm_missing(ret))
			return 3;
		base = r.seconds;
	}
	ret = demo_run(&o, &r);
	if (kvm_missing(ret))
		return 3;
	if (ret == -EPROTONOSUPPORT) {
		fprintf(stderr,
			"memattr vm: this host's KVM cannot send MSR accesses to user space "
			"(KVM_CAP_X86_USER_SPACE_MSR, KVM_CAP_X86_MSR_FILTER), so it cannot offer "
			"the Hyper-V interface the demo's guests use\n");
		return 3;
	}
	if (ret == -EOPNOTSUPP) {
		fprintf(stderr,
			"memattr vm: VTL 1 skipped an access of an instruction that cannot be "
			"skipped (only a MOV load or store can be completed without its "
			"access): the guest stopped\n");
		return 1;
	}
	if (ret == -ENOEXEC) {
		fprintf(stderr,
			"memattr vm: VTL 0's code fell into a PROT_NONE fallback block (the VMA "
			"budget is too small) and this KVM reports its fetches as emulation "
			"failures, which the VMM cannot complete: the guest stopped\n");
		return 1;
	}
	if (ret) {
		fprintf(stderr, "memattr vm: %s\n", strerror(-ret));
		return 1;
	}

	printf("VSM demo on KVM: 2 VTLs = 2 KVM VMs over one %u MiB memfd, views by %s\n",
	       (unsigned int)(DEMO_RAM_SIZE >> 20), o.memslots ? "split memslots" : "mprotect");
	print_interface(&r);
	printf("VTL 1 applied (ModifyVtlProtectionMask, results");
	for (int i = 0; i < 4; i++)
		printf(" %#llx", (unsigned long long)r.hv_result[i]);
	printf("):\n");
	for (unsigned int i = 0; i < r.nruns; i++)
		printf("  gpa %#9llx-%#9llx  %-9s  %s\n", (unsigned long long)r.runs[i].start << 12,
		       ((unsigned long long)r.runs[i].end << 12) - 1, prot_name(r.runs[i].value),
		       what_at(r.runs[i].start << 12));
	printf("VTL 0 ran:\n");
	printf("  read its code        -> %#llx (allowed)\n", (unsigned long long)r.code_read);
	printf("  wrote its data       -> read back %#llx (allowed)\n",
	       (unsigned long long)r.data_read);
	printf("  wrote its code       -> word now %#llx (write dropped)\n",
	       (unsigned long long)r.code_poke);
	printf("  read the secret      -> %#llx (secret %s VTL 0)\n",
	       (unsigned long long)r.secret_seen,
	       r.secret_seen == DEMO_SECRET || r.regs.rbx == DEMO_SECRET ? "LEAKED TO"
									 : "kept from");
	printf("  read VTL 1's memory  -> %#llx\n", (unsigned long long)r.vtl1_seen);
	printf("  ModifyVtlProtectionMask of VTL 1's mask -> status %#llx (a lower VTL may not)\n",
	       (unsigned long long)r.hv_denied);
	printf("  VtlCall              -> status %#llx, VTL 1 counted %llu call\n",
	       (unsigned long long)r.vtl_call, (unsigned long long)r.calls);
	if (r.stopped)
		printf("  executed its secret  -> execute intercept; VTL 1 kept the page closed, "
		       "the VM stopped (-EACCES)\n");
	printf("Intercepts delivered to VTL 1 as TLFS GPA-intercept messages (VMM %u, VTL 1 "
	       "logged %llu):\n",
	       r.nintercepts, (unsigned long long)r.nlog);
	for (unsigned int i = 0; i < r.nintercepts && i < DEMO_MAX_EVENTS; i++)
		printf("  gpa %#9llx  %-5s  rip %#llx  %s\n",
		       (unsigned long long)r.intercepts[i].gpa,
		       r.intercepts[i].access == MEMATTR_VM_ACCESS_WRITE  ? "write"
		       : r.intercepts[i].access == MEMATTR_VM_ACCESS_READ ? "read"
									  : "exec",
		       (unsigned long long)r.intercepts[i].rip, what_at(r.intercepts[i].gpa));
	printf("KVM faults: %s\n", fault_model_name(r.stats.fault_model));
	printf("VMM: %llu exits, %llu MMIO, %llu emulated, %llu EFAULT (%llu stepped, %llu "
	       "skipped), %llu hypercalls, %llu VTL switches\n",
	       (unsigned long long)r.stats.exits, (unsigned long long)r.stats.mmio_exits,
	       (unsigned long long)r.stats.emulated, (unsigned long long)r.stats.faults,
	       (unsigned long long)r.stats.stepped, (unsigned long long)r.stats.skipped,
	       (unsigned long long)r.stats.hypercalls, (unsigned long long)r.stats.vtl_switches);
	printf("views: %llu changes, %llu %s (%.2f us each), %llu %s, %llu fallbacks, "
	       "guest-visible protections %s the store\n",
	       (unsigned long long)r.stats.changes, (unsigned long long)r.stats.mprotects,
	       o.memslots ? "memslot rebuilds" : "mprotect",
	       r.stats.mprotects ? r.stats.mprotect_ns / 1e3 / r.stats.mprotects : 0.0,
	       (unsigned long long)r.stats.vmas, o.memslots ? "runs" : "VMAs",
	       (unsigned long long)r.stats.fallbacks, r.views_match ? "match" : "DO NOT MATCH");
	printf("time: %.3f ms from VTL 1 entry to VTL 0's %s\n", r.seconds * 1e3,
	       r.stopped ? "stop" : "halt");
	if (o.loop)
		printf("intercept round trip (VTL 0 exit, VTL 1 handler, back): %.2f us over %llu "
		       "extra blocked writes\n",
		       (r.seconds - base) * 1e6 / o.loop, (unsigned long long)o.loop);
	printf("limit: execute rights are tracked, not enforced: stock KVM honours host read and\n"
	       "       write protection only (R|X runs as R, R|W|X as R|W); only a no-access\n"
	       "       page stops execution.\n");
	if (!demo_enforced(&r)) {
		fprintf(stderr,
			"memattr vm: the protections were not enforced as the demo expects\n");
		return 1;
	}
	return 0;
}
