// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "layout.h"
#include "vm_demo.h"
#include "vtl0.h" /* guests/vtl0.S, assembled in-tree */
#include "vtl1.h"

/* The guests' copies of vm.h's layout (the assembler cannot read C headers). */
_Static_assert(CTL_ENTRY == MEMATTR_VM_ASSIST_ENTRY_REASON &&
		       CTL_RAX == MEMATTR_VM_ASSIST_RETURN_RAX &&
		       CTL_RCX == MEMATTR_VM_ASSIST_RETURN_RCX &&
		       CTL_ACTION == MEMATTR_VM_ASSIST_ACTION_OFFSET,
	       "the VTL control in the VP assist page");
_Static_assert(ENTRY_VTL_CALL == MEMATTR_VM_ENTRY_VTL_CALL &&
		       ENTRY_INTERCEPT == MEMATTR_VM_ENTRY_INTERCEPT,
	       "entry reasons");
_Static_assert(MSG_TYPE == MEMATTR_VM_MSG_TYPE && MSG_PAYLOAD_SIZE == MEMATTR_VM_MSG_PAYLOAD_SIZE &&
		       MSG_ACCESS == MEMATTR_VM_MSG_ACCESS && MSG_GPA == MEMATTR_VM_MSG_GPA &&
		       HV_MSG_GPA_ICPT == MEMATTR_VM_MSG_GPA_INTERCEPT,
	       "the intercept message");

static int collect_run(void *opaque, uint64_t start, uint64_t end, uint64_t value)
{
	struct demo_result *r = opaque;

	if (value && r->nruns < DEMO_MAX_RUNS)
		r->runs[r->nruns++] = (struct demo_run){ start, end, value };
	return 0;
}

/* Every page: the alias's host protection is the one the store's value asks for (or stricter). */
static int views_check(struct memattr_vm *vm, struct memattr_store *s)
{
	for (uint64_t g = 0; g < DEMO_RAM_SIZE >> MEMATTR_PAGE_SHIFT; g++) {
		int want = memattr_vm_prot_of(memattr_get(s, 0, g)); /* VTL 1's mask */
		int have = memattr_vm_host_prot(vm, 0, g);

		if (have != want && have != PROT_NONE)
			return 0;
		if (memattr_vm_host_prot(vm, 1, g) != (PROT_READ | PROT_WRITE))
			return 0;
	}
	return 1;
}

int demo_run(const struct demo_opts *o, struct demo_result *r)
{
	struct memattr_config scfg = { .layers = 2, .gpa_bits = 32 };
	struct memattr_vm_config cfg = {
		.vtls = 2,
		.ram_size = DEMO_RAM_SIZE,
		.vma_budget = o->vma_budget,
		.max_map_count = o->max_map_count,
		.memslots = o->memslots,
		/* No message page configured: VTL 1 programs its own. */
	};
	const struct memattr_vm_intercept *rec;
	struct memattr_store *s;
	struct memattr_vm *vm;
	struct timespec t0, t1;
	uint64_t secret = DEMO_SECRET;
	uint8_t *ram, *log;
	unsigned int n;
	int ret;

	memset(r, 0, sizeof(*r));
	ret = memattr_store_create(&scfg, &s);
	if (ret)
		return ret;
	cfg.store = s;
	ret = memattr_vm_create(&cfg, &vm);
	if (ret)
		goto out_store;
	if (memattr_vm_stats(vm)->hv_interface != MEMATTR_VM_HV_INTERFACE) {
		ret = -EPROTONOSUPPORT;
		goto out_vm;
	}
	ram = memattr_vm_ram(vm);
	memcpy(ram + VTL0_CODE, guest_vtl0, sizeof(guest_vtl0));
	memcpy(ram + VTL1_CODE, guest_vtl1, sizeof(guest_vtl1));
	memcpy(ram + VTL0_SECRET, &secret, sizeof(secret));
	ram[VTL0_DATA + R_EXEC] = o->exec_secret;
	memcpy(ram + VTL0_DATA + R_LOOP, &o->loop, 8);
	memcpy(ram + VTL1_LOG + LOG_KEEP, &o->keep, 8);
	ret = memattr_vm_vcpu_init(vm, 0, VTL0_CODE, VTL0_STACK);
	if (!ret)
		ret = memattr_vm_vcpu_init(vm, 1, VTL1_CODE, VTL1_STACK);
	if (ret)
		goto out_vm;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = memattr_vm_run(vm, 1, &r->halted_vtl);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	r->seconds = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (ret == -EACCES && o->exec_secret) {
		r->stopped = 1;
		ret = 0;
	}
	if (ret)
		goto out_vm;

	memcpy(&r->code_read, ram + VTL0_DATA + R_CODE_READ, 8);
	memcpy(&r->data_read, ram + VTL0_DATA + R_DATA_READ, 8);
	memcpy(&r->secret_seen, ram + VTL0_DATA + R_SECRET, 8);
	memcpy(&r->vtl1_seen, ram + VTL0_DATA + R_VTL1, 8);
	memcpy(&r->done, ram + VTL0_DATA + R_DONE, 8);
	memcpy(&r->hv_denied, ram + VTL0_DATA + R_HV_DENIED, 8);
	memcpy(&r->vtl_call, ram + VTL0_DATA + R_VTL_CALL, 8);
	memcpy(&r->code_poke, ram + VTL0_CODE_POKE, 8);
	memcpy(&r->iface[0], ram + VTL0_DATA + R_IFACE, 8);
	memcpy(&r->offsets[0], ram + VTL0_DATA + R_OFFSETS, 8);
	memcpy(&r->offsets_hv[0], ram + VTL0_DATA + R_OFFSETS_HV, 8);
	memcpy(&r->call_entry, ram + VTL0_DATA + R_CALL_ENTRY, 8);
	ret = memattr_vm_get_regs(vm, 0, &r->regs);
	if (ret)
		goto out_vm;

	log = ram + VTL1_LOG;
	memcpy(&r->nlog, log + LOG_COUNT, 8);
	memcpy(&r->calls, log + LOG_CALLS, 8);
	for (unsigned int i = 0; i < r->nlog && i < DEMO_MAX_EVENTS; i++) {
		memcpy(&r->log_gpa[i], log + LOG_ENTRIES + 16 * i, 8);
		memcpy(&r->log_access[i], log + LOG_ENTRIES + 16 * i + 8, 8);
	}
	memcpy(r->hv_result, log + LOG_RESULTS, sizeof(r->hv_result));
	memcpy(&r->hv_config, log + LOG_CONFIG, 8);
	memcpy(&r->eoms, log + LOG_EOMS, 8);
	memcpy(&r->iface[1], log + LOG_IFACE, 8);
	memcpy(&r->offsets[1], log + LOG_OFFSETS, 8);
	memcpy(&r->offsets_hv[1], log + LOG_OFFSETS_HV, 8);
	memcpy(&r->return_entry, log + LOG_RET_ENTRY, 8);
	for (unsigned int i = 0; i < 6 && !ret; i++)
		ret = memattr_vm_hv_cpuid(vm, 0x40000000 + i, r->cpuid[i]);
	for (unsigned int v = 0; v < 2 && !ret; v++)
		ret = memattr_vm_hv_msrs(vm, v, &r->msrs[v]);
	if (ret)
		goto out_vm;

	rec = memattr_vm_intercepts(vm, &n);
	r->nintercepts = n;
	memcpy(r->intercepts, rec, (n < DEMO_MAX_EVENTS ? n : DEMO_MAX_EVENTS) * sizeof(*rec));
	memattr_runs(s, 0, 0, DEMO_RAM_SIZE >> MEMATTR_PAGE_SHIFT, collect_run, r);
	r->views_match = views_check(vm, s);
	r->stats = *memattr_vm_stats(vm);
out_vm:
	memattr_vm_destroy(vm);
out_store:
	memattr_store_destroy(s);
	return ret;
}

bool demo_enforced(const struct demo_result *r)
{
	static const struct {
		uint64_t gpa;
		uint32_t access;
	} want[] = {
		{ VTL0_CODE_POKE, MEMATTR_VM_ACCESS_WRITE },
		{ VTL0_SECRET, MEMATTR_VM_ACCESS_READ },
		{ VTL1_LOG, MEMATTR_VM_ACCESS_READ },
	};

	if (r->iface[0] != 1 || r->iface[1] != 1)
		return false; /* a guest found no Hyper-V interface */
	if (r->done != 1 || !r->views_match || r->code_poke != 0 || r->secret_seen == DEMO_SECRET ||
	    r->regs.rbx == DEMO_SECRET)
		return false;
	if (r->nintercepts < 3 || r->nlog < 3)
		return false;
	for (unsigned int i = 0; i < 3; i++) {
		const struct memattr_vm_intercept *ic = &r->intercepts[i];

		if (ic->from_vtl != 0 || ic->to_vtl != 1 || ic->gpa != want[i].gpa ||
		    ic->access != want[i].access || r->log_gpa[i] != want[i].gpa ||
		    r->log_access[i] != want[i].access)
			return false;
	}
	return true;
}
