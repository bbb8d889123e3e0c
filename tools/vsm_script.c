// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * memattr vsm-script: a line protocol over the VSM front.  Every hypercall
 * command writes its input into guest RAM (VP n's input page is guest page n),
 * loads the registers a VMM would and makes the call with the real control
 * word, as a guest would.  The grammar is in docs/vsm.md.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <memattr/vsm.h>

#include "vsm/tlfs.h"

#include "cmd.h"
#include "common/lines.h"
#include "common/number.h"

#define LIST_MAX ((MEMATTR_PAGE_SIZE - sizeof(struct hv_input_modify_vtl_protection_mask)) / 8)

/* Where get-vp-register asks for its output: the second half of the VP's input page. */
#define OUTPUT_OFFSET (MEMATTR_PAGE_SIZE / 2)

struct vscript {
	/* VTL n's protection mask in layer n - 1 (the front's layout, docs/vsm.md) */
	struct memattr_store *store;
	struct memattr_vsm *v;
	void *ram;
	uint64_t ram_size;
	unsigned int vtls, vps;
	bool has_last; /* @last: the intercept printed last */
	struct memattr_vsm_intercept last;
	FILE *out;
};

static bool parse_u32(const char *t, unsigned int *out)
{
	uint64_t v;

	if (!number_parse_str(t, &v) || v > UINT32_MAX)
		return false;
	*out = (unsigned int)v;
	return true;
}

/* A "key=NUMBER" token: false when @t is not one for @key. */
static bool parse_key(const char *t, const char *key, uint64_t *out)
{
	size_t len = strlen(key);

	return !strncmp(t, key, len) && t[len] == '=' && number_parse_str(t + len + 1, out);
}

/* MapFlags: a number, "none", or letters from r w x (kernel execute) u (user execute). */
static bool parse_flags(const char *t, uint32_t *flags)
{
	uint64_t v;

	if (number_parse_str(t, &v)) {
		if (v > UINT32_MAX)
			return false;
		*flags = (uint32_t)v;
		return true;
	}
	if (!strcmp(t, "none")) {
		*flags = 0;
		return true;
	}
	*flags = 0;
	for (; *t; t++) {
		const char *letters = "rwxu";
		const char *p = strchr(letters, *t);
		uint32_t bit;

		if (!p)
			return false;
		bit = 1U << (p - letters);
		if (*flags & bit)
			return false;
		*flags |= bit;
	}
	return *flags != 0;
}

static const char *const access_names[] = { "read", "write", "kexec", "uexec" };

/* The TLFS names of the statuses the front answers, for the reader of a script's output. */
static const char *status_name(unsigned int status)
{
	switch (status) {
	case MEMATTR_HV_STATUS_INVALID_HYPERCALL_CODE:
		return "INVALID_HYPERCALL_CODE";
	case MEMATTR_HV_STATUS_INVALID_HYPERCALL_INPUT:
		return "INVALID_HYPERCALL_INPUT";
	case MEMATTR_HV_STATUS_INVALID_ALIGNMENT:
		return "INVALID_ALIGNMENT";
	case MEMATTR_HV_STATUS_INVALID_PARAMETER:
		return "INVALID_PARAMETER";
	case MEMATTR_HV_STATUS_ACCESS_DENIED:
		return "ACCESS_DENIED";
	case MEMATTR_HV_STATUS_INSUFFICIENT_MEMORY:
		return "INSUFFICIENT_MEMORY";
	case MEMATTR_HV_STATUS_INVALID_PARTITION_ID:
		return "INVALID_PARTITION_ID";
	case MEMATTR_HV_STATUS_INVALID_VP_INDEX:
		return "INVALID_VP_INDEX";
	case MEMATTR_HV_STATUS_INVALID_REGISTER_VALUE:
		return "INVALID_REGISTER_VALUE";
	case MEMATTR_HV_STATUS_INVALID_VTL_STATE:
		return "INVALID_VTL_STATE";
	case MEMATTR_HV_STATUS_VTL_ALREADY_ENABLED:
		return "VTL_ALREADY_ENABLED";
	}
	return NULL;
}

/* " NAME" after a failing status, nothing after success. */
static void print_status_name(FILE *out, unsigned int status)
{
	const char *name = status ? status_name(status) : NULL;

	fprintf(out, "%s%s\n", name ? " " : "", name ? name : "");
}

static void print_intercept(struct vscript *sc, const struct memattr_vsm_intercept *ic)
{
	sc->last = *ic;
	sc->has_last = true;
	fprintf(sc->out, "intercept vtl=%u vp=%u vp_vtl=%u gpa=0x%llx access=%s type=%u\n",
		ic->target_vtl, ic->vp, ic->vp_vtl, (unsigned long long)ic->gpa,
		access_names[ic->access], ic->access_type);
}

/* A hypercall's answer: its result value, #UD, or the intercept it raised. */
static void print_result(struct vscript *sc, unsigned int vp, uint64_t r)
{
	struct memattr_vsm_intercept ic;

	if (r == MEMATTR_VSM_INJECT_UD) {
		fprintf(sc->out, "inject #UD\n");
		return;
	}
	if (r == MEMATTR_VSM_INTERCEPTED && memattr_vsm_pending_intercept(sc->v, vp, &ic)) {
		print_intercept(sc, &ic);
		return;
	}
	fprintf(sc->out, "status 0x%x reps 0x%x", MEMATTR_HV_RESULT_STATUS(r),
		MEMATTR_HV_RESULT_REPS(r));
	print_status_name(sc->out, MEMATTR_HV_RESULT_STATUS(r));
}

/* "error ENAME", and ": why" when the script knows more than the errno says. */
static void __attribute__((format(printf, 3, 4)))
print_error(FILE *out, int err, const char *why, ...)
{
	const char *name = strerrorname_np(-err);
	va_list ap;

	fprintf(out, "error %s", name ? name : "EIO");
	if (why) {
		fputs(": ", out);
		va_start(ap, why);
		vfprintf(out, why, ap);
		va_end(ap);
	}
	fputc('\n', out);
}

static void partition_close(struct vscript *sc)
{
	memattr_vsm_destroy(sc->v);
	memattr_store_destroy(sc->store);
	free(sc->ram);
	sc->v = NULL;
	sc->store = NULL;
	sc->ram = NULL;
}

/**
 * struct shape - what config asks for
 * @vtls: VTLs 0..@vtls - 1
 * @vps: virtual processors
 * @ram: bytes of RAM at GPA 0
 * @mbec: MBEC available
 * @call_offset: HvRegisterVsmCodePageOffsets VtlCallOffset
 * @return_offset: the same, VtlReturnOffset
 */
struct shape {
	uint64_t vtls, vps, ram, mbec, call_offset, return_offset;
};

static int partition_open(struct vscript *sc, const struct shape *sh)
{
	struct memattr_config scfg = { .gpa_bits = 48, .flags = sh->mbec ? MEMATTR_F_MBEC : 0 };
	struct memattr_vsm_ram ram = { 0, sh->ram, NULL };
	struct memattr_vsm_config vcfg = {
		.max_vtl = (unsigned int)sh->vtls - 1,
		.nvps = (unsigned int)sh->vps,
		.ram = &ram,
		.nram = 1,
		.mbec = sh->mbec,
		.vtl_call_offset = (uint16_t)sh->call_offset,
		.vtl_return_offset = (uint16_t)sh->return_offset,
	};
	struct vscript next = *sc;
	int ret;

	/* One layer per VTL above 0: the store holds VTL n's mask in layer n - 1. */
	scfg.layers = vcfg.max_vtl;
	ram.host = calloc(1, sh->ram);
	if (!ram.host)
		return -ENOMEM;
	ret = memattr_store_create(&scfg, &next.store);
	if (ret)
		goto out_ram;
	vcfg.store = next.store;
	ret = memattr_vsm_create(&vcfg, &next.v);
	if (ret)
		goto out_store;
	/* Every VP's VTL 0 runs a 64-bit kernel at CPL 0 (hypercalls need it). */
	for (unsigned int vp = 0; vp < vcfg.nvps; vp++) {
		struct memattr_vsm_vp_regs *r = memattr_vsm_vp_regs(next.v, vp, 0);

		r->cr0 = 0x80000011; /* PG, ET, PE */
		r->efer = 0x500;     /* LMA, LME */
		r->cs.selector = 0x10;
	}
	partition_close(sc);
	next.ram = ram.host;
	next.ram_size = sh->ram;
	next.vtls = (unsigned int)sh->vtls;
	next.vps = vcfg.nvps;
	*sc = next;
	return 0;

out_store:
	memattr_store_destroy(next.store);
out_ram:
	free(ram.host);
	return ret;
}

/*
 * config vtls=N vps=N ram=BYTES [mbec=0|1] [call-offset=N] [return-offset=N]:
 * VTLs 0..N-1, RAM at GPA 0.
 */
static enum line_config do_config(void *ctx, char **tok, int n)
{
	struct vscript *sc = ctx;
	static const char *const keys[] = { "vtls", "vps",	   "ram",
					    "mbec", "call-offset", "return-offset" };
	struct shape sh = { 2, 1, 16ULL << 20, 0, 0, 0 };
	uint64_t *val[] = {
		&sh.vtls, &sh.vps, &sh.ram, &sh.mbec, &sh.call_offset, &sh.return_offset
	};
	unsigned int seen = 0;
	int ret;

	if (n < 2)
		return LINE_CONFIG_SYNTAX;
	for (int i = 1; i < n; i++) {
		unsigned int k;

		for (k = 0; k < 6; k++)
			if (parse_key(tok[i], keys[k], val[k]))
				break;
		if (k == 6 || (seen & (1U << k)))
			return LINE_CONFIG_SYNTAX;
		seen |= 1U << k;
	}
	if (sh.vtls < 2 || sh.vtls > MEMATTR_VSM_MAX_VTL + 1) {
		print_error(sc->out, -EINVAL, "vtls must be 2..16");
		return LINE_CONFIG_REFUSED;
	}
	if (sh.vps < 1 || sh.vps > 4096 || sh.mbec > 1) {
		print_error(sc->out, -EINVAL, "vps must be 1..4096, mbec 0 or 1");
		return LINE_CONFIG_REFUSED;
	}
	/* The script's input pages: VP n uses guest page n, so RAM must hold them. */
	if (sh.ram % MEMATTR_PAGE_SIZE || sh.ram < sh.vps * MEMATTR_PAGE_SIZE ||
	    sh.ram > (1ULL << 36)) {
		print_error(sc->out, -EINVAL,
			    "ram must be whole pages, one per VP, at most 64 GiB");
		return LINE_CONFIG_REFUSED;
	}
	/* HvRegisterVsmCodePageOffsets has 12 bits for each; the front checks that. */
	if (sh.call_offset > 0xffff || sh.return_offset > 0xffff) {
		print_error(sc->out, -EINVAL, "code page offsets must be 0..0xfff");
		return LINE_CONFIG_REFUSED;
	}
	ret = partition_open(sc, &sh);
	if (ret == -ENOMEM) {
		print_error(sc->out, ret, "no memory for a partition with %llu bytes of RAM",
			    (unsigned long long)sh.ram);
		return LINE_CONFIG_REFUSED;
	}
	if (ret) {
		print_error(sc->out, ret,
			    ret == -EINVAL ? "the front refused the partition" : NULL);
		return LINE_CONFIG_REFUSED;
	}
	return LINE_CONFIG_OK;
}

/*
 * A VP index.  Out-of-range ones (any number) go to the front, which answers
 * with its status: HV_VP_INDEX is 32 bits, so bigger ones become UINT32_MAX.
 */
static bool vp_arg(const char *t, unsigned int *vp)
{
	uint64_t v;

	if (!number_parse_str(t, &v))
		return false;
	*vp = v > UINT32_MAX ? UINT32_MAX : (unsigned int)v;
	return true;
}

/* A VTL for a one-byte HV_VTL field: bigger numbers become 0xff (invalid). */
static bool vtl_arg(const char *t, unsigned int *vtl)
{
	uint64_t v;

	if (!number_parse_str(t, &v))
		return false;
	*vtl = v > 0xff ? 0xff : (unsigned int)v;
	return true;
}

/*
 * An optional "vtl=N" at tok[*i]: HV_INPUT_VTL with UseTargetVtl and
 * TargetVtl N (0..15).  Without it, 0: the caller's own VTL (CURRENT_VTL).
 */
static bool parse_input_vtl(char **tok, int *i, int n, uint8_t *in_vtl)
{
	uint64_t vtl;

	*in_vtl = 0;
	if (*i < n && !strncmp(tok[*i], "vtl=", 4)) {
		if (!parse_key(tok[*i], "vtl", &vtl) || vtl > 15)
			return false;
		*in_vtl = (uint8_t)(MEMATTR_HV_INPUT_VTL_USE_TARGET | vtl);
		(*i)++;
	}
	return true;
}

static uint8_t *input_page(struct vscript *sc, unsigned int vp)
{
	/* vp < vps, and RAM holds a page per VP (config). */
	return (uint8_t *)sc->ram + (uint64_t)vp * MEMATTR_PAGE_SIZE;
}

static uint64_t input_gpa(unsigned int vp)
{
	return (uint64_t)vp * MEMATTR_PAGE_SIZE;
}

/* @vp's registers at the VTL it runs at, or NULL for no such VP. */
static struct memattr_vsm_vp_regs *running_regs(struct vscript *sc, unsigned int vp)
{
	return memattr_vsm_vp_regs(sc->v, vp, memattr_vsm_vp_vtl(sc->v, vp));
}

/*
 * The VMM's part of a hypercall: the running VTL's RCX, RDX and R8 hold the
 * control word and the two input values, then the front decodes it.
 */
static uint64_t call(struct vscript *sc, unsigned int vp, uint64_t control, uint64_t rdx,
		     uint64_t r8)
{
	struct memattr_vsm_vp_regs *r = running_regs(sc, vp);

	if (r) {
		r->gpr[MEMATTR_RCX] = control;
		r->gpr[MEMATTR_RDX] = rdx;
		r->gpr[MEMATTR_R8] = r8;
	}
	return memattr_vsm_hypercall(sc->v, vp, control, rdx, r8);
}

/* call(), its answer printed. */
static void hypercall(struct vscript *sc, unsigned int vp, uint64_t control, uint64_t rdx,
		      uint64_t r8)
{
	print_result(sc, vp, call(sc, vp, control, rdx, r8));
}

/*
 * The input page of @vp's next hypercall, or NULL when there is no such VP:
 * the front's answer to a call from it is then printed instead.
 */
static uint8_t *call_input(struct vscript *sc, unsigned int vp)
{
	if (vp < sc->vps)
		return input_page(sc, vp);
	hypercall(sc, vp, 0, 0, 0);
	return NULL;
}

/* enable-partition-vtl VP VTL [mbec] */
static bool do_enable_partition_vtl(void *ctx, char **tok, int n)
{
	typedef struct hv_input_enable_partition_vtl in_t;
	struct vscript *sc = ctx;
	unsigned int vp, vtl;
	uint8_t *in;

	if ((n != 3 && n != 4) || !vp_arg(tok[1], &vp) || !vtl_arg(tok[2], &vtl) ||
	    (n == 4 && strcmp(tok[3], "mbec") != 0))
		return false;
	in = call_input(sc, vp);
	if (!in)
		return true;
	memset(in, 0, sizeof(in_t));
	TLFS_PUT(in, in_t, partition_id, MEMATTR_HV_PARTITION_ID_SELF);
	TLFS_PUT(in, in_t, target_vtl, vtl);
	TLFS_PUT(in, in_t, flags, n == 4); /* EnableMbec */
	hypercall(sc, vp, MEMATTR_HVCALL_ENABLE_PARTITION_VTL, input_gpa(vp), 0);
	return true;
}

/*
 * enable-vp-vtl VP TARGET_VP|self VTL [RIP [RSP]]: the new VTL starts as a
 * 64-bit kernel at CPL 0 at RIP with stack RSP (HV_INITIAL_VP_CONTEXT).
 */
static bool do_enable_vp_vtl(void *ctx, char **tok, int n)
{
	typedef struct hv_input_enable_vp_vtl in_t;
	typedef struct hv_initial_vp_context ctx_t;
	struct vscript *sc = ctx;
	unsigned int vp, target, vtl;
	uint64_t rip = 0, rsp = 0;
	uint8_t *in, *c;

	if (n < 4 || n > 6 || !vp_arg(tok[1], &vp) || !vtl_arg(tok[3], &vtl) ||
	    (n >= 5 && !number_parse_str(tok[4], &rip)) ||
	    (n == 6 && !number_parse_str(tok[5], &rsp)))
		return false;
	if (!strcmp(tok[2], "self"))
		target = MEMATTR_HV_VP_INDEX_SELF;
	else if (!vp_arg(tok[2], &target))
		return false;
	in = call_input(sc, vp);
	if (!in)
		return true;
	memset(in, 0, sizeof(in_t));
	TLFS_PUT(in, in_t, partition_id, MEMATTR_HV_PARTITION_ID_SELF);
	TLFS_PUT(in, in_t, vp_index, target);
	TLFS_PUT(in, in_t, target_vtl, vtl);
	c = in + offsetof(in_t, context);
	TLFS_PUT(c, ctx_t, rip, rip);
	TLFS_PUT(c, ctx_t, rsp, rsp);
	TLFS_PUT(c + offsetof(ctx_t, cs), struct hv_segment, selector, 0x10);
	TLFS_PUT(c, ctx_t, efer, 0x500);     /* LMA, LME */
	TLFS_PUT(c, ctx_t, cr0, 0x80000011); /* PG, ET, PE */
	hypercall(sc, vp, MEMATTR_HVCALL_ENABLE_VP_VTL, input_gpa(vp), 0);
	return true;
}

/* A page list token: PAGE or PAGE+COUNT (COUNT consecutive pages). */
static bool parse_pages(const char *t, uint64_t *first, uint64_t *count)
{
	char buf[64];
	const char *plus = strchr(t, '+');

	*count = 1;
	if (!plus)
		return number_parse_str(t, first);
	if ((size_t)(plus - t) >= sizeof(buf))
		return false;
	memcpy(buf, t, (size_t)(plus - t));
	buf[plus - t] = '\0';
	return number_parse_str(buf, first) && number_parse_str(plus + 1, count) && *count >= 1 &&
	       *count <= 4095;
}

/*
 * protect VP [vtl=N] FLAGS PAGE[+COUNT]... [start=N]: HvCallModifyVtlProtectionMask
 * setting the mask of VTL N, or without vtl=N the caller's own (CURRENT_VTL).
 */
static bool do_protect(void *ctx, char **tok, int n)
{
	typedef struct hv_input_modify_vtl_protection_mask in_t;
	struct vscript *sc = ctx;
	unsigned int vp, reps = 0, start = 0;
	uint8_t in_vtl, *in;
	uint32_t flags;
	uint64_t s;
	int first_page = 2;

	if (n >= 4 && !strncmp(tok[n - 1], "start=", 6)) {
		if (!parse_key(tok[n - 1], "start", &s) || s > 0xfff)
			return false;
		start = (unsigned int)s;
		n--;
	}
	if (n < 4 || !vp_arg(tok[1], &vp) || !parse_input_vtl(tok, &first_page, n, &in_vtl) ||
	    first_page + 2 > n || !parse_flags(tok[first_page], &flags))
		return false;
	first_page++;
	for (int i = first_page; i < n; i++) {
		uint64_t first, count;

		if (!parse_pages(tok[i], &first, &count) || reps + count > 0xfff)
			return false;
		reps += (unsigned int)count;
	}
	in = call_input(sc, vp);
	if (!in)
		return true;
	memset(in, 0, sizeof(in_t));
	TLFS_PUT(in, in_t, partition_id, MEMATTR_HV_PARTITION_ID_SELF);
	TLFS_PUT(in, in_t, map_flags, flags);
	TLFS_PUT(in, in_t, target_vtl, in_vtl);
	/* A list longer than the page is not written past it; the call then fails. */
	for (int i = first_page, k = 0; i < n; i++) {
		uint64_t first = 0, count = 0;

		parse_pages(tok[i], &first, &count);
		for (uint64_t j = 0; j < count && k < (int)LIST_MAX; j++, k++)
			tlfs_put(in + sizeof(in_t) + 8 * k, first + j, 8);
	}
	hypercall(sc, vp,
		  MEMATTR_HVCALL_MODIFY_VTL_PROTECTION_MASK |
			  (uint64_t)reps << MEMATTR_HV_CONTROL_REP_COUNT_SHIFT |
			  (uint64_t)start << MEMATTR_HV_CONTROL_REP_START_SHIFT,
		  input_gpa(vp), 0);
	return true;
}

/* check VP GPA read|write|kexec|uexec */
static bool do_check(void *ctx, char **tok, int n)
{
	struct vscript *sc = ctx;
	struct memattr_vsm_intercept ic;
	unsigned int vp, a;
	uint64_t gpa;
	int ret;

	if (n != 4 || !vp_arg(tok[1], &vp) || !number_parse_str(tok[2], &gpa))
		return false;
	for (a = 0; a < 4; a++)
		if (!strcmp(tok[3], access_names[a]))
			break;
	if (a == 4)
		return false;
	ret = memattr_vsm_check(sc->v, vp, gpa, (enum memattr_access)a, &ic);
	if (ret == -EFAULT)
		print_error(sc->out, ret, "0x%llx is not RAM", (unsigned long long)gpa);
	else if (ret < 0)
		print_error(sc->out, ret, "no VP %u", vp);
	else if (!ret)
		fprintf(sc->out, "allowed\n");
	else
		print_intercept(sc, &ic);
	return true;
}

/*
 * vtl-call VP [rax=N], vtl-return VP [fast|rax=N]: the hypercall page's
 * 64-bit VTL call or return sequence, called with RCX = N, which it moves to
 * RAX before loading the call code into RCX (OpenVMM's emulated hypercall
 * page, hv1_emulator hv.rs hypercall_page()).  VtlCall's input must be 0;
 * VtlReturn's bit 0 asks for a fast return.
 */
static bool switch_cmd(struct vscript *sc, char **tok, int n, unsigned int code)
{
	struct memattr_vsm_vp_regs *r;
	uint64_t rax = 0;
	unsigned int vp;

	if (n < 2 || n > 3 || !vp_arg(tok[1], &vp))
		return false;
	if (n == 3) {
		if (code == MEMATTR_HVCALL_VTL_RETURN && !strcmp(tok[2], "fast"))
			rax = 1;
		else if (!parse_key(tok[2], "rax", &rax))
			return false;
	}
	r = running_regs(sc, vp);
	if (r) {
		r->gpr[MEMATTR_RAX] = rax;
		r->gpr[MEMATTR_RCX] = code;
	}
	print_result(sc, vp, memattr_vsm_hypercall(sc->v, vp, code, 0, 0));
	return true;
}

static bool do_vtl_call(void *ctx, char **tok, int n)
{
	return switch_cmd(ctx, tok, n, MEMATTR_HVCALL_VTL_CALL);
}

static bool do_vtl_return(void *ctx, char **tok, int n)
{
	return switch_cmd(ctx, tok, n, MEMATTR_HVCALL_VTL_RETURN);
}

/*
 * Optional "rax=N" and "rcx=N" from tok[i] on; false for anything else.
 * @set: bit 0 for RAX, bit 1 for RCX.
 */
static bool parse_rax_rcx(char **tok, int i, int n, uint64_t *rax, uint64_t *rcx, unsigned int *set)
{
	*set = 0;
	for (; i < n; i++) {
		if (!(*set & 1) && parse_key(tok[i], "rax", rax))
			*set |= 1;
		else if (!(*set & 2) && parse_key(tok[i], "rcx", rcx))
			*set |= 2;
		else
			return false;
	}
	return true;
}

/*
 * regs VP [VTL] [rax=N] [rcx=N]: a VP's registers at one VTL (its running one
 * by default), after setting RAX or RCX, as the front keeps them.
 */
static bool do_regs(void *ctx, char **tok, int n)
{
	struct vscript *sc = ctx;
	struct memattr_vsm_vp_regs *r;
	unsigned int vp, vtl, set;
	uint64_t rax, rcx;
	int i = 2;

	if (n < 2 || !vp_arg(tok[1], &vp))
		return false;
	vtl = memattr_vsm_vp_vtl(sc->v, vp);
	if (i < n && strchr(tok[i], '=') == NULL && !vtl_arg(tok[i++], &vtl))
		return false;
	if (!parse_rax_rcx(tok, i, n, &rax, &rcx, &set))
		return false;
	r = memattr_vsm_vp_regs(sc->v, vp, vtl);
	if (!r) {
		print_error(sc->out, -EINVAL, "no registers for VP %u at VTL %u", vp, vtl);
		return true;
	}
	if (set & 1)
		r->gpr[MEMATTR_RAX] = rax;
	if (set & 2)
		r->gpr[MEMATTR_RCX] = rcx;
	fprintf(sc->out, "regs vtl=%u rip=0x%llx rsp=0x%llx rax=0x%llx rcx=0x%llx\n", vtl,
		(unsigned long long)r->rip, (unsigned long long)r->gpr[MEMATTR_RSP],
		(unsigned long long)r->gpr[MEMATTR_RAX], (unsigned long long)r->gpr[MEMATTR_RCX]);
	return true;
}

/*
 * vtl-control VP VTL [rax=N] [rcx=N]: VTL's HV_VP_VTL_CONTROL on the VP,
 * after setting vtl_return_x64_rax/rcx, what a non-fast VtlReturn from it
 * gives the lower VTL.
 */
static bool do_vtl_control(void *ctx, char **tok, int n)
{
	struct vscript *sc = ctx;
	struct memattr_vsm_vtl_control *c;
	unsigned int vp, vtl, set;
	uint64_t rax, rcx;

	if (n < 3 || !vp_arg(tok[1], &vp) || !vtl_arg(tok[2], &vtl) ||
	    !parse_rax_rcx(tok, 3, n, &rax, &rcx, &set))
		return false;
	c = memattr_vsm_vtl_control(sc->v, vp, vtl);
	if (!c) {
		print_error(sc->out, -EINVAL, "no VTL control for VP %u at VTL %u", vp, vtl);
		return true;
	}
	if (set & 1)
		c->vtl_return_rax = rax;
	if (set & 2)
		c->vtl_return_rcx = rcx;
	fprintf(sc->out, "vtl-control vtl=%u entry-reason=%u return-rax=0x%llx return-rcx=0x%llx\n",
		vtl, c->entry_reason, (unsigned long long)c->vtl_return_rax,
		(unsigned long long)c->vtl_return_rcx);
	return true;
}

/* deliver: the VP of the intercept printed last enters the VTL it goes to */
static bool do_deliver(void *ctx, char **tok, int n)
{
	struct vscript *sc = ctx;
	int ret;

	(void)tok;
	if (n != 1)
		return false;
	if (!sc->has_last) {
		print_error(sc->out, -ENOENT, "no intercept to deliver");
		return true;
	}
	ret = memattr_vsm_enter_intercept(sc->v, &sc->last);
	sc->has_last = false;
	if (ret == -ENOENT)
		print_error(sc->out, ret, "VTL %u is not enabled on VP %u", sc->last.target_vtl,
			    sc->last.vp);
	else if (ret)
		print_error(sc->out, ret, "VP %u no longer runs at VTL %u", sc->last.vp,
			    sc->last.vp_vtl);
	else
		fprintf(sc->out, "vp %u vtl %u reason %u\n", sc->last.vp,
			memattr_vsm_vp_vtl(sc->v, sc->last.vp),
			memattr_vsm_entry_reason(sc->v, sc->last.vp));
	return true;
}

/* vtl VP */
static bool do_vtl(void *ctx, char **tok, int n)
{
	struct vscript *sc = ctx;
	unsigned int vp;

	if (n != 2 || !vp_arg(tok[1], &vp))
		return false;
	if (vp >= sc->vps)
		print_error(sc->out, -EINVAL, "no VP %u", vp);
	else
		fprintf(sc->out, "vtl %u\n", memattr_vsm_vp_vtl(sc->v, vp));
	return true;
}

/*
 * hypercall VP CONTROL RDX [R8]: the raw interface.  RAX (VtlCall's and
 * VtlReturn's input) is what regs set last.
 */
static bool do_hypercall(void *ctx, char **tok, int n)
{
	struct vscript *sc = ctx;
	uint64_t control, in, out = 0;
	unsigned int vp;

	if ((n != 4 && n != 5) || !vp_arg(tok[1], &vp) || !number_parse_str(tok[2], &control) ||
	    !number_parse_str(tok[3], &in) || (n == 5 && !number_parse_str(tok[4], &out)))
		return false;
	hypercall(sc, vp, control, in, out);
	return true;
}

/* partition-config VP VALUE: the VP's VTL writes its HvRegisterVsmPartitionConfig */
static bool do_partition_config(void *ctx, char **tok, int n)
{
	struct vscript *sc = ctx;
	unsigned int vp, status;
	uint64_t value;

	if (n != 3 || !vp_arg(tok[1], &vp) || !number_parse_str(tok[2], &value))
		return false;
	status = memattr_vsm_set_partition_config(sc->v, vp, value);
	fprintf(sc->out, "status 0x%x", status);
	print_status_name(sc->out, status);
	return true;
}

/* Register names the script knows besides numbers (HV_REGISTER_NAME). */
static const struct {
	const char *name;
	unsigned int reg;
} reg_names[] = {
	{ "code-page-offsets", MEMATTR_HV_REGISTER_VSM_CODE_PAGE_OFFSETS },
	{ "vp-status", MEMATTR_HV_REGISTER_VSM_VP_STATUS },
	{ "partition-status", MEMATTR_HV_REGISTER_VSM_PARTITION_STATUS },
	{ "capabilities", MEMATTR_HV_REGISTER_VSM_CAPABILITIES },
	{ "partition-config", MEMATTR_HV_REGISTER_VSM_PARTITION_CONFIG },
};

static bool parse_reg(const char *t, unsigned int *reg)
{
	for (size_t i = 0; i < sizeof(reg_names) / sizeof(reg_names[0]); i++) {
		if (!strcmp(t, reg_names[i].name)) {
			*reg = reg_names[i].reg;
			return true;
		}
	}
	return parse_u32(t, reg);
}

/* The Get/SetVpRegisters header: this partition, the calling VP itself. */
static void reg_header(uint8_t *in, uint8_t in_vtl)
{
	typedef struct hv_input_vp_registers hdr_t;

	memset(in, 0, sizeof(hdr_t));
	TLFS_PUT(in, hdr_t, partition_id, MEMATTR_HV_PARTITION_ID_SELF);
	TLFS_PUT(in, hdr_t, vp_index, MEMATTR_HV_VP_INDEX_SELF);
	TLFS_PUT(in, hdr_t, target_vtl, in_vtl);
}

/* set-vp-register VP [vtl=N] NAME VALUE: HvCallSetVpRegisters, one rep, the VP itself */
static bool do_set_vp_register(void *ctx, char **tok, int n)
{
	typedef struct hv_register_assoc assoc_t;
	struct vscript *sc = ctx;
	unsigned int vp, name;
	uint8_t in_vtl, *in, *e;
	uint64_t value;
	int i = 2;

	if (n < 4 || !vp_arg(tok[1], &vp) || !parse_input_vtl(tok, &i, n, &in_vtl) || i + 2 != n ||
	    !parse_reg(tok[i], &name) || !number_parse_str(tok[i + 1], &value))
		return false;
	in = call_input(sc, vp);
	if (!in)
		return true;
	reg_header(in, in_vtl);
	e = in + sizeof(struct hv_input_vp_registers);
	memset(e, 0, sizeof(assoc_t));
	TLFS_PUT(e, assoc_t, name, name);
	TLFS_PUT(e, assoc_t, value_low, value);
	hypercall(sc, vp,
		  MEMATTR_HVCALL_SET_VP_REGISTERS | 1ULL << MEMATTR_HV_CONTROL_REP_COUNT_SHIFT,
		  input_gpa(vp), 0);
	return true;
}

/*
 * get-vp-register VP [vtl=N] NAME: HvCallGetVpRegisters, one rep, the VP
 * itself; the output goes to the second half of the VP's input page.
 */
static bool do_get_vp_register(void *ctx, char **tok, int n)
{
	struct vscript *sc = ctx;
	unsigned int vp, name;
	uint8_t in_vtl, *in;
	uint64_t res;
	int i = 2;

	if (n < 3 || !vp_arg(tok[1], &vp) || !parse_input_vtl(tok, &i, n, &in_vtl) || i + 1 != n ||
	    !parse_reg(tok[i], &name))
		return false;
	in = call_input(sc, vp);
	if (!in)
		return true;
	reg_header(in, in_vtl);
	tlfs_put(in + sizeof(struct hv_input_vp_registers), name, 4);
	memset(in + OUTPUT_OFFSET, 0, 16);
	res = call(sc, vp,
		   MEMATTR_HVCALL_GET_VP_REGISTERS | 1ULL << MEMATTR_HV_CONTROL_REP_COUNT_SHIFT,
		   input_gpa(vp), input_gpa(vp) + OUTPUT_OFFSET);
	/* Success with the one rep done. */
	if (res != 1ULL << 32) {
		print_result(sc, vp, res);
		return true;
	}
	fprintf(sc->out, "value 0x%llx\n", (unsigned long long)tlfs_get(in + OUTPUT_OFFSET, 8));
	return true;
}

/* A guest accessor's failure, said plainly. */
static void print_guest_error(struct vscript *sc, int err, unsigned int vp, uint64_t gpa)
{
	if (err == -EACCES)
		print_error(sc->out, err, "VTL %u may not access 0x%llx",
			    memattr_vsm_vp_vtl(sc->v, vp), (unsigned long long)gpa);
	else if (err == -EFAULT)
		print_error(sc->out, err, "0x%llx is not RAM", (unsigned long long)gpa);
	else
		print_error(sc->out, err, "no VP %u", vp);
}

/* read VP GPA: 8 bytes, little endian, as the VP's VTL may */
static bool do_read(void *ctx, char **tok, int n)
{
	struct vscript *sc = ctx;
	unsigned int vp;
	uint64_t gpa;
	uint8_t b[8];
	int ret;

	if (n != 3 || !vp_arg(tok[1], &vp) || !number_parse_str(tok[2], &gpa))
		return false;
	ret = memattr_vsm_guest_read(sc->v, vp, gpa, b, 8);
	if (ret)
		print_guest_error(sc, ret, vp, gpa);
	else
		fprintf(sc->out, "0x%llx\n", (unsigned long long)tlfs_get(b, 8));
	return true;
}

/* write VP GPA VALUE: 8 bytes, little endian, as the VP's VTL may */
static bool do_write(void *ctx, char **tok, int n)
{
	struct vscript *sc = ctx;
	unsigned int vp;
	uint64_t gpa, x;
	uint8_t b[8];
	int ret;

	if (n != 4 || !vp_arg(tok[1], &vp) || !number_parse_str(tok[2], &gpa) ||
	    !number_parse_str(tok[3], &x))
		return false;
	tlfs_put(b, x, 8);
	ret = memattr_vsm_guest_write(sc->v, vp, gpa, b, 8);
	if (ret)
		print_guest_error(sc, ret, vp, gpa);
	else
		fprintf(sc->out, "ok\n");
	return true;
}

static int print_run(void *opaque, uint64_t start, uint64_t end, uint64_t value)
{
	FILE *out = opaque;

	if (value)
		fprintf(out, "0x%llx 0x%llx 0x%llx\n", (unsigned long long)start,
			(unsigned long long)end, (unsigned long long)value);
	return 0;
}

/*
 * dump VTL: what VTL may do, by gfn run: the masks of the VTLs above it
 * combined (memattr_vsm_layer_mask()); runs without restriction are left out.
 */
static bool do_dump(void *ctx, char **tok, int n)
{
	struct vscript *sc = ctx;
	unsigned int vtl;
	uint32_t layers;

	if (n != 2 || !parse_u32(tok[1], &vtl))
		return false;
	if (vtl >= sc->vtls) {
		print_error(sc->out, -EINVAL, "no VTL %u", vtl);
		return true;
	}
	layers = memattr_vsm_layer_mask(sc->v, vtl);
	if (layers)
		memattr_combined_runs(sc->store, layers, 0, sc->ram_size >> MEMATTR_PAGE_SHIFT,
				      print_run, sc->out);
	fprintf(sc->out, "end\n");
	return true;
}

/* mask VTL: VTL's own protection mask (layer VTL - 1), which limits the VTLs below it */
static bool do_mask(void *ctx, char **tok, int n)
{
	struct vscript *sc = ctx;
	unsigned int vtl;

	if (n != 2 || !parse_u32(tok[1], &vtl))
		return false;
	if (vtl < 1 || vtl >= sc->vtls) {
		print_error(sc->out, -EINVAL, "VTL %u has no mask (VTLs 1..%u have one)", vtl,
			    sc->vtls - 1);
		return true;
	}
	memattr_runs(sc->store, vtl - 1, 0, sc->ram_size >> MEMATTR_PAGE_SHIFT, print_run, sc->out);
	fprintf(sc->out, "end\n");
	return true;
}

/* stats: the store writes the front has made so far */
static bool do_stats(void *ctx, char **tok, int n)
{
	struct vscript *sc = ctx;

	(void)tok;
	if (n != 1)
		return false;
	fprintf(sc->out, "store-sets %llu store-calls %llu\n",
		(unsigned long long)memattr_vsm_store_sets(sc->v),
		(unsigned long long)memattr_vsm_store_calls(sc->v));
	return true;
}

static const struct line_cmd commands[] = {
	{ "enable-partition-vtl", do_enable_partition_vtl, "enable-partition-vtl VP VTL [mbec]" },
	{ "enable-vp-vtl", do_enable_vp_vtl, "enable-vp-vtl VP TARGET_VP|self VTL [RIP [RSP]]" },
	{ "protect", do_protect, "protect VP [vtl=N] FLAGS PAGE[+COUNT]... [start=N]" },
	{ "check", do_check, "check VP GPA read|write|kexec|uexec" },
	{ "vtl-call", do_vtl_call, "vtl-call VP [rax=N]" },
	{ "vtl-return", do_vtl_return, "vtl-return VP [fast|rax=N]" },
	{ "vtl-control", do_vtl_control, "vtl-control VP VTL [rax=N] [rcx=N]" },
	{ "vtl", do_vtl, "vtl VP" },
	{ "regs", do_regs, "regs VP [VTL] [rax=N] [rcx=N]" },
	{ "deliver", do_deliver, "deliver" },
	{ "hypercall", do_hypercall, "hypercall VP CONTROL RDX [R8]" },
	{ "partition-config", do_partition_config, "partition-config VP VALUE" },
	{ "set-vp-register", do_set_vp_register, "set-vp-register VP [vtl=N] NAME VALUE" },
	{ "get-vp-register", do_get_vp_register, "get-vp-register VP [vtl=N] NAME" },
	{ "read", do_read, "read VP GPA" },
	{ "write", do_write, "write VP GPA VALUE" },
	{ "dump", do_dump, "dump VTL" },
	{ "mask", do_mask, "mask VTL" },
	{ "stats", do_stats, "stats" },
};

static int vsm_script_run(FILE *in, FILE *out, bool echo)
{
	const struct line_proto proto = {
		.config = do_config,
		.config_usage = "config vtls=N vps=N ram=BYTES [mbec=0|1] [call-offset=N] "
				"[return-offset=N]",
		.cmds = commands,
		.ncmds = sizeof(commands) / sizeof(commands[0]),
		.echo = echo,
		.name = "vsm-script",
	};
	const struct shape sh = { .vtls = 2, .vps = 1, .ram = 16ULL << 20 };
	struct vscript sc = { .out = out };
	int ret = partition_open(&sc, &sh);

	if (ret)
		return ret;
	ret = lines_run(in, out, &proto, &sc);
	partition_close(&sc);
	return ret;
}

static int usage(FILE *f)
{
	fprintf(f, "usage: memattr vsm-script [--echo] [FILE]\n"
		   "  run a Hyper-V VSM script (docs/vsm.md) from FILE, or stdin without it\n"
		   "  --echo  print each command (and comment) before its answer\n");
	return f == stdout ? 0 : 2;
}

/* lines_file_run()'s runner: the script to stdout, echoed if @ctx says so. */
static int run_file(FILE *in, void *ctx)
{
	return vsm_script_run(in, stdout, *(const bool *)ctx);
}

int cmd_vsm_script(int argc, char **argv)
{
	const char *path = NULL;
	bool echo = false;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			return usage(stdout);
		} else if (!strcmp(argv[i], "--echo")) {
			echo = true;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "memattr vsm-script: unknown option '%s'\n", argv[i]);
			return usage(stderr);
		} else if (path) {
			fprintf(stderr, "memattr vsm-script: one FILE at most ('%s')\n", argv[i]);
			return usage(stderr);
		} else {
			path = argv[i];
		}
	}
	return lines_file_run("memattr vsm-script", path, run_file, &echo);
}
