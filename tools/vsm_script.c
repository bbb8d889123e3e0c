// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * memattr vsm-script: a line protocol over the VSM front.  Every hypercall
 * command writes its input into guest RAM (VP n's input page is guest page n)
 * and makes the call with the real control word, as a guest would.  The
 * grammar is in docs/vsm.md.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <memattr/vsm.h>

#include "cmd.h"
#include "lines.h"
#include "number.h"

#define LIST_MAX ((MEMATTR_PAGE_SIZE - 16) / 8)

struct vscript {
	/* stores[t]: the protections on VTL t (the front's layout, docs/vsm.md) */
	struct memattr_store *stores[MEMATTR_VSM_MAX_VTL];
	struct memattr_vsm *v;
	void *ram;
	uint64_t ram_size;
	unsigned int vtls, vps;
	bool mbec;
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

static void put_le(uint8_t *p, uint64_t x, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(x >> (8 * i));
}

static const char *const access_names[] = { "read", "write", "kexec", "uexec" };

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
	fprintf(sc->out, "status 0x%x reps 0x%x\n", MEMATTR_HV_RESULT_STATUS(r),
		MEMATTR_HV_RESULT_REPS(r));
}

static void print_error(FILE *out, int err)
{
	const char *name = strerrorname_np(-err);

	fprintf(out, "error %s\n", name ? name : "EIO");
}

static void partition_close(struct vscript *sc)
{
	memattr_vsm_destroy(sc->v);
	memattr_vsm_stores_destroy(sc->stores);
	free(sc->ram);
	sc->v = NULL;
	sc->ram = NULL;
}

static int partition_open(struct vscript *sc, unsigned int vtls, unsigned int vps,
			  uint64_t ram_size, bool mbec)
{
	struct memattr_config scfg = { .gpa_bits = 48, .flags = mbec ? MEMATTR_F_MBEC : 0 };
	struct memattr_vsm_ram ram = { 0, ram_size, NULL };
	struct memattr_vsm_config vcfg = {
		.max_vtl = vtls - 1, .nvps = vps, .ram = &ram, .nram = 1, .mbec = mbec
	};
	struct vscript next = *sc;
	int ret;

	/* The script's input pages: VP n uses guest page n, so RAM must hold them. */
	if (vtls < 2 || vtls > MEMATTR_VSM_MAX_VTL + 1 || vps < 1 ||
	    ram_size < (uint64_t)vps * MEMATTR_PAGE_SIZE || ram_size > (1ULL << 36))
		return -EINVAL;
	ram.host = calloc(1, ram_size);
	if (!ram.host)
		return -ENOMEM;
	ret = memattr_vsm_stores_create(vtls - 1, &scfg, next.stores);
	if (ret)
		goto out_store;
	memcpy(vcfg.stores, next.stores, sizeof(vcfg.stores));
	ret = memattr_vsm_create(&vcfg, &next.v);
	if (ret)
		goto out_store;
	/* Every VP's VTL 0 runs a 64-bit kernel at CPL 0 (VTL calls need it). */
	for (unsigned int vp = 0; vp < vps; vp++) {
		struct memattr_vsm_vp_regs *r = memattr_vsm_vp_regs(next.v, vp, 0);

		r->cr0 = 0x80000011; /* PG, ET, PE */
		r->efer = 0x500;     /* LMA, LME */
		r->cs.selector = 0x10;
	}
	partition_close(sc);
	next.ram = ram.host;
	next.ram_size = ram_size;
	next.vtls = vtls;
	next.vps = vps;
	next.mbec = mbec;
	*sc = next;
	return 0;

out_store:
	memattr_vsm_stores_destroy(next.stores);
	free(ram.host);
	return ret;
}

/* config vtls=N vps=N ram=BYTES [mbec=0|1]: VTLs 0..N-1, RAM at GPA 0. */
static bool do_config(void *ctx, char **tok, int n, bool started)
{
	struct vscript *sc = ctx;
	static const char *const keys[] = { "vtls=", "vps=", "ram=", "mbec=" };
	uint64_t val[4] = { 2, 1, 16ULL << 20, 0 };
	unsigned int seen = 0;
	int ret;

	if (started || n < 2)
		return false;
	for (int i = 1; i < n; i++) {
		unsigned int k;

		for (k = 0; k < 4; k++)
			if (!strncmp(tok[i], keys[k], strlen(keys[k])))
				break;
		if (k == 4 || (seen & (1U << k)) ||
		    !number_parse_str(tok[i] + strlen(keys[k]), &val[k]))
			return false;
		seen |= 1U << k;
	}
	if (val[0] > 16 || val[1] > 4096 || val[3] > 1) {
		print_error(sc->out, -EINVAL);
		return true;
	}
	ret = partition_open(sc, (unsigned int)val[0], (unsigned int)val[1], val[2], val[3]);
	if (ret)
		print_error(sc->out, ret);
	return true;
}

/*
 * A VP index.  Out-of-range ones (any number) go to the front, which answers
 * with its status: HV_VP_INDEX is 32 bits, so bigger ones become UINT32_MAX.
 */
static bool vp_arg(struct vscript *sc, const char *t, unsigned int *vp)
{
	uint64_t v;

	(void)sc;
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

static uint8_t *input_page(struct vscript *sc, unsigned int vp)
{
	/* vp < vps, and RAM holds a page per VP (config). */
	return (uint8_t *)sc->ram + (uint64_t)vp * MEMATTR_PAGE_SIZE;
}

static uint64_t input_gpa(unsigned int vp)
{
	return (uint64_t)vp * MEMATTR_PAGE_SIZE;
}

/*
 * The input page of @vp's next hypercall, or NULL when there is no such VP:
 * the front's answer to a call from it is then printed instead.
 */
static uint8_t *call_input(struct vscript *sc, unsigned int vp)
{
	if (vp < sc->vps)
		return input_page(sc, vp);
	print_result(sc, vp, memattr_vsm_hypercall(sc->v, vp, 0, 0, 0));
	return NULL;
}

/* enable-partition-vtl VP VTL [mbec] */
static bool do_enable_partition_vtl(void *ctx, char **tok, int n)
{
	struct vscript *sc = ctx;
	unsigned int vp, vtl;
	uint8_t *in;

	if ((n != 3 && n != 4) || !vp_arg(sc, tok[1], &vp) || !vtl_arg(tok[2], &vtl) ||
	    (n == 4 && strcmp(tok[3], "mbec") != 0))
		return false;
	in = call_input(sc, vp);
	if (!in)
		return true;
	memset(in, 0, 16);
	put_le(in, MEMATTR_HV_PARTITION_ID_SELF, 8);
	in[8] = (uint8_t)vtl;
	in[9] = n == 4;
	print_result(sc, vp,
		     memattr_vsm_hypercall(sc->v, vp, MEMATTR_HVCALL_ENABLE_PARTITION_VTL,
					   input_gpa(vp), 0));
	return true;
}

/* enable-vp-vtl VP TARGET_VP VTL [RIP] */
static bool do_enable_vp_vtl(void *ctx, char **tok, int n)
{
	struct vscript *sc = ctx;
	unsigned int vp, target, vtl;
	uint64_t rip = 0;
	uint8_t *in;

	if ((n != 4 && n != 5) || !vp_arg(sc, tok[1], &vp) || !vp_arg(sc, tok[2], &target) ||
	    !vtl_arg(tok[3], &vtl) || (n == 5 && !number_parse_str(tok[4], &rip)))
		return false;
	in = call_input(sc, vp);
	if (!in)
		return true;
	memset(in, 0, 240);
	put_le(in, MEMATTR_HV_PARTITION_ID_SELF, 8);
	put_le(in + 8, target, 4);
	in[12] = (uint8_t)vtl;
	/* HV_INITIAL_VP_CONTEXT of a 64-bit kernel: Rip, Cs.Selector, Efer, Cr0. */
	put_le(in + 16, rip, 8);
	put_le(in + 16 + 24 + 12, 0x10, 2);
	put_le(in + 16 + 184, 0x500, 8);
	put_le(in + 16 + 192, 0x80000011, 8);
	print_result(
		sc, vp,
		memattr_vsm_hypercall(sc->v, vp, MEMATTR_HVCALL_ENABLE_VP_VTL, input_gpa(vp), 0));
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

/* protect VP TARGET_VTL FLAGS PAGE[+COUNT]... [start=N] */
static bool do_protect(void *ctx, char **tok, int n)
{
	struct vscript *sc = ctx;
	unsigned int vp, target, reps = 0, start = 0;
	uint32_t flags;
	uint8_t *in;

	if (n >= 5 && !strncmp(tok[n - 1], "start=", 6)) {
		if (!parse_u32(tok[n - 1] + 6, &start) || start > 0xfff)
			return false;
		n--;
	}
	if (n < 5 || !vp_arg(sc, tok[1], &vp) || !parse_u32(tok[2], &target) || target > 15 ||
	    !parse_flags(tok[3], &flags))
		return false;
	for (int i = 4; i < n; i++) {
		uint64_t first, count;

		if (!parse_pages(tok[i], &first, &count) || reps + count > 0xfff)
			return false;
		reps += (unsigned int)count;
	}
	in = call_input(sc, vp);
	if (!in)
		return true;
	memset(in, 0, 16);
	put_le(in, MEMATTR_HV_PARTITION_ID_SELF, 8);
	put_le(in + 8, flags, 4);
	in[12] = (uint8_t)(0x10 | target); /* UseTargetVtl */
	/* A list longer than the page is not written past it; the call then fails. */
	for (int i = 4, k = 0; i < n; i++) {
		uint64_t first = 0, count = 0;

		parse_pages(tok[i], &first, &count);
		for (uint64_t j = 0; j < count && k < (int)LIST_MAX; j++, k++)
			put_le(in + 16 + 8 * k, first + j, 8);
	}
	print_result(
		sc, vp,
		memattr_vsm_hypercall(sc->v, vp,
				      MEMATTR_HVCALL_MODIFY_VTL_PROTECTION_MASK |
					      (uint64_t)reps << MEMATTR_HV_CONTROL_REP_COUNT_SHIFT |
					      (uint64_t)start << MEMATTR_HV_CONTROL_REP_START_SHIFT,
				      input_gpa(vp), 0));
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

	if (n != 4 || !vp_arg(sc, tok[1], &vp) || !number_parse_str(tok[2], &gpa))
		return false;
	for (a = 0; a < 4; a++)
		if (!strcmp(tok[3], access_names[a]))
			break;
	if (a == 4)
		return false;
	ret = memattr_vsm_check(sc->v, vp, gpa, (enum memattr_access)a, &ic);
	if (ret < 0)
		print_error(sc->out, ret);
	else if (!ret)
		fprintf(sc->out, "allowed\n");
	else
		print_intercept(sc, &ic);
	return true;
}

/* vtl-call VP, vtl-return VP */
static bool switch_cmd(struct vscript *sc, char **tok, int n, unsigned int code)
{
	unsigned int vp;

	if (n != 2 || !vp_arg(sc, tok[1], &vp))
		return false;
	print_result(sc, vp, memattr_vsm_hypercall(sc->v, vp, code, 0, 0));
	return true;
}

static bool do_vtl_call(void *ctx, char **tok, int n)
{
	struct vscript *sc = ctx;

	return switch_cmd(sc, tok, n, MEMATTR_HVCALL_VTL_CALL);
}

static bool do_vtl_return(void *ctx, char **tok, int n)
{
	struct vscript *sc = ctx;

	return switch_cmd(sc, tok, n, MEMATTR_HVCALL_VTL_RETURN);
}

/* deliver: the VP of the intercept printed last enters the VTL it goes to */
static bool do_deliver(void *ctx, char **tok, int n)
{
	struct vscript *sc = ctx;
	int ret;

	(void)tok;
	if (n != 1)
		return false;
	ret = sc->has_last ? memattr_vsm_enter_intercept(sc->v, &sc->last) : -ENOENT;
	sc->has_last = false;
	if (ret)
		print_error(sc->out, ret);
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

	if (n != 2 || !vp_arg(sc, tok[1], &vp))
		return false;
	if (vp >= sc->vps)
		print_error(sc->out, -EINVAL);
	else
		fprintf(sc->out, "vtl %u\n", memattr_vsm_vp_vtl(sc->v, vp));
	return true;
}

/* hypercall VP CONTROL INPUT_GPA [OUTPUT_GPA]: the raw interface */
static bool do_hypercall(void *ctx, char **tok, int n)
{
	struct vscript *sc = ctx;
	uint64_t control, in, out = 0;
	unsigned int vp;

	if ((n != 4 && n != 5) || !vp_arg(sc, tok[1], &vp) || !number_parse_str(tok[2], &control) ||
	    !number_parse_str(tok[3], &in) || (n == 5 && !number_parse_str(tok[4], &out)))
		return false;
	print_result(sc, vp, memattr_vsm_hypercall(sc->v, vp, control, in, out));
	return true;
}

/* partition-config VP VALUE: the VP's VTL writes its HvRegisterVsmPartitionConfig */
static bool do_partition_config(void *ctx, char **tok, int n)
{
	struct vscript *sc = ctx;
	unsigned int vp;
	uint64_t value;

	if (n != 3 || !vp_arg(sc, tok[1], &vp) || !number_parse_str(tok[2], &value))
		return false;
	fprintf(sc->out, "status 0x%x\n", memattr_vsm_set_partition_config(sc->v, vp, value));
	return true;
}

/* An optional vtl=N after the VP: HV_INPUT_VTL with UseTargetVtl, else 0 (the caller's). */
static bool parse_input_vtl(char **tok, int *i, int n, uint8_t *in_vtl)
{
	unsigned int vtl;

	*in_vtl = 0;
	if (*i < n && !strncmp(tok[*i], "vtl=", 4)) {
		if (!parse_u32(tok[*i] + 4, &vtl) || vtl > 15)
			return false;
		*in_vtl = (uint8_t)(0x10 | vtl);
		(*i)++;
	}
	return true;
}

static void reg_header(uint8_t *in, uint8_t in_vtl)
{
	put_le(in, MEMATTR_HV_PARTITION_ID_SELF, 8);
	put_le(in + 8, MEMATTR_HV_VP_INDEX_SELF, 4);
	in[12] = in_vtl;
	memset(in + 13, 0, 3);
}

/* set-vp-register VP [vtl=N] NAME VALUE: HvCallSetVpRegisters, one rep, the VP itself */
static bool do_set_vp_register(void *ctx, char **tok, int n)
{
	struct vscript *sc = ctx;
	unsigned int vp, name;
	uint8_t in_vtl, *in;
	uint64_t value;
	int i = 2;

	if (n < 4 || !vp_arg(sc, tok[1], &vp) || !parse_input_vtl(tok, &i, n, &in_vtl) ||
	    i + 2 != n || !parse_u32(tok[i], &name) || !number_parse_str(tok[i + 1], &value))
		return false;
	in = call_input(sc, vp);
	if (!in)
		return true;
	reg_header(in, in_vtl);
	memset(in + 16, 0, 32);
	put_le(in + 16, name, 4);
	put_le(in + 32, value, 8);
	print_result(sc, vp,
		     memattr_vsm_hypercall(sc->v, vp,
					   MEMATTR_HVCALL_SET_VP_REGISTERS |
						   1ULL << MEMATTR_HV_CONTROL_REP_COUNT_SHIFT,
					   input_gpa(vp), 0));
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
	uint64_t r, x = 0;
	int i = 2;

	if (n < 3 || !vp_arg(sc, tok[1], &vp) || !parse_input_vtl(tok, &i, n, &in_vtl) ||
	    i + 1 != n || !parse_u32(tok[i], &name))
		return false;
	in = call_input(sc, vp);
	if (!in)
		return true;
	reg_header(in, in_vtl);
	put_le(in + 16, name, 4);
	memset(in + 2048, 0, 16);
	r = memattr_vsm_hypercall(sc->v, vp,
				  MEMATTR_HVCALL_GET_VP_REGISTERS |
					  1ULL << MEMATTR_HV_CONTROL_REP_COUNT_SHIFT,
				  input_gpa(vp), input_gpa(vp) + 2048);
	if (r != 1ULL << 32) {
		print_result(sc, vp, r);
		return true;
	}
	for (int b = 7; b >= 0; b--)
		x = x << 8 | in[2048 + b];
	fprintf(sc->out, "value 0x%llx\n", (unsigned long long)x);
	return true;
}

/* read VP GPA: 8 bytes, little endian, as the VP's VTL may */
static bool do_read(void *ctx, char **tok, int n)
{
	struct vscript *sc = ctx;
	uint8_t b[8];
	unsigned int vp;
	uint64_t gpa, x = 0;
	int ret;

	if (n != 3 || !vp_arg(sc, tok[1], &vp) || !number_parse_str(tok[2], &gpa))
		return false;
	ret = memattr_vsm_guest_read(sc->v, vp, gpa, b, 8);
	if (ret) {
		print_error(sc->out, ret);
		return true;
	}
	for (int i = 7; i >= 0; i--)
		x = x << 8 | b[i];
	fprintf(sc->out, "0x%llx\n", (unsigned long long)x);
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

	if (n != 4 || !vp_arg(sc, tok[1], &vp) || !number_parse_str(tok[2], &gpa) ||
	    !number_parse_str(tok[3], &x))
		return false;
	put_le(b, x, 8);
	ret = memattr_vsm_guest_write(sc->v, vp, gpa, b, 8);
	if (ret)
		print_error(sc->out, ret);
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

/* dump VTL: the protections that bind VTL, combined over the higher VTLs, by gfn run */
static bool do_dump(void *ctx, char **tok, int n)
{
	struct vscript *sc = ctx;
	unsigned int vtl;
	uint32_t mask;

	if (n != 2 || !parse_u32(tok[1], &vtl))
		return false;
	if (vtl >= sc->vtls) {
		print_error(sc->out, -EINVAL);
		return true;
	}
	mask = memattr_vsm_layer_mask(sc->v, vtl);
	if (mask)
		memattr_combined_runs(memattr_vsm_store(sc->v, vtl), mask, 0,
				      sc->ram_size >> MEMATTR_PAGE_SHIFT, print_run, sc->out);
	fprintf(sc->out, "end\n");
	return true;
}

/* stats: memattr_set() calls the front has made so far */
static bool do_stats(void *ctx, char **tok, int n)
{
	struct vscript *sc = ctx;

	(void)tok;
	if (n != 1)
		return false;
	fprintf(sc->out, "store-sets %llu\n", (unsigned long long)memattr_vsm_store_sets(sc->v));
	return true;
}

static const struct line_cmd commands[] = {
	{ "enable-partition-vtl", do_enable_partition_vtl },
	{ "enable-vp-vtl", do_enable_vp_vtl },
	{ "protect", do_protect },
	{ "check", do_check },
	{ "vtl-call", do_vtl_call },
	{ "vtl-return", do_vtl_return },
	{ "vtl", do_vtl },
	{ "deliver", do_deliver },
	{ "hypercall", do_hypercall },
	{ "partition-config", do_partition_config },
	{ "set-vp-register", do_set_vp_register },
	{ "get-vp-register", do_get_vp_register },
	{ "read", do_read },
	{ "write", do_write },
	{ "dump", do_dump },
	{ "stats", do_stats },
};

static int vsm_script_run(FILE *in, FILE *out, bool echo)
{
	const struct line_proto proto = {
		.config = do_config,
		.cmds = commands,
		.ncmds = sizeof(commands) / sizeof(commands[0]),
		.echo = echo,
	};
	struct vscript sc = { .out = out };
	int ret = partition_open(&sc, 2, 1, 16ULL << 20, false);

	if (ret)
		return ret;
	ret = lines_run(in, out, &proto, &sc);
	partition_close(&sc);
	return ret;
}

int cmd_vsm_script(int argc, char **argv)
{
	FILE *in = stdin;
	bool echo = argc > 1 && !strcmp(argv[1], "--echo");
	int ret;

	if (echo) {
		argc--;
		argv++;
	}
	if (argc > 2 || (argc == 2 && argv[1][0] == '-' && argv[1][1])) {
		fprintf(stderr, "usage: memattr vsm-script [--echo] [FILE]\n"
				"  --echo  print each command (and comment) before its answer\n");
		return 2;
	}
	if (argc == 2 && strcmp(argv[1], "-") != 0) {
		in = fopen(argv[1], "r");
		if (!in) {
			fprintf(stderr, "memattr vsm-script: %s: %s\n", argv[1], strerror(errno));
			return 2;
		}
	}
	ret = vsm_script_run(in, stdout, echo);
	if (ret < 0)
		fprintf(stderr, "memattr vsm-script: %s\n", strerror(-ret));
	if (in != stdin)
		fclose(in);
	if (fflush(stdout))
		return 2;
	return ret < 0 ? 2 : ret;
}
