#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "print_access.h"
#include "fmt/block.h"
#include "lib/io.h"
#include "lib/units.h"
#include "fmt/mblock.h"
#include "fmt/rsd.h"
#include "lib/volume.h"
#include "print.h"

const struct poptOption dump_label_options[] = {POPT_TABLEEND};

static void print_uuid(struct out *o, const char *key, const char *fmt, const uint8_t u[16])
{
	char s[37];
	vctl_uuid_fmt(u, s);
	out_str(o, key, fmt, s);
}

static void print_label_fields(struct out *o, const struct vctl_label *l)
{
	out_str(o, "magic", "  magic          %s\n", VCTL_LABEL_MAGIC);
	out_u64(o, "type", "  type           %llu\n", VCTL_T_LABEL);
	out_u64(o, "version", "  version        %llu\n", l->version);
	out_u64(o, "length", "  length         %llu\n", VCTL_LABEL_SIZE);
	out_hex(o, "incompat", "  incompat       %s\n", l->incompat);
	out_hex(o, "compat", "  compat         %s\n", l->compat);
	out_hex(o, "ro_compat", "  ro_compat      %s\n", l->ro_compat);
	out_hex(o, "flags", "  flags          %s", l->flags);
	out_text(o, "%s\n", l->flags & VCTL_LABEL_F_PENDING ? " (pending)" : "");
	print_uuid(o, "pool_uuid", "  pool_uuid      %s\n", l->pool_uuid);
	print_uuid(o, "disk_uuid", "  disk_uuid      %s\n", l->disk_uuid);
	out_u64(o, "disk_index", "  disk_index     %llu\n", l->disk_index);
	out_u64(o, "copy", "  copy           %llu\n", l->copy);
	out_u64(o, "label_gen", "  label_gen      %llu\n", l->label_gen);
	out_u64(o, "disk_size", "  disk_size      %llu\n", l->disk_size);
	out_u64(o, "pseg_count", "  pseg_count     %llu\n", l->pseg_count);
	out_u64(o, "created", "  created        %llu\n", l->created);
	print_geometry(o, &l->geom);
	out_str(o, "enclosure", "  enclosure      %s\n", l->enclosure);
	out_hex(o, "crc", "  crc            %s", l->crc_stored);
	out_hex(o, "crc_computed", " (computed %s)\n", l->crc_computed);
}

static void dump_one_label(struct out *o, const char *name, int fd)
{
	static const uint64_t off[2] = {VCTL_LABEL_A_OFFSET, VCTL_LABEL_B_OFFSET};
	for (int c = 0; c < 2; c++) {
		uint8_t buf[VCTL_LABEL_SIZE];
		struct vctl_label l;
		struct vctl_err e = {0}, e2 = {0};
		long long n = vctl_io_pread(fd, buf, sizeof(buf), off[c]);
		int r = n == (long long)sizeof(buf)
				? vctl_label_decode(buf, sizeof(buf), VCTL_DECODE_IGNORE_CRC, &l, &e)
				: vctl_errf(&e, -VCTL_E_CORRUPT, "label: truncated");
		/* Decode again strictly to tell "valid" from "readable". */
		bool valid = r == 0 && vctl_label_decode(buf, sizeof(buf), 0, &l, &e2) == 0;
		if (r == 0 && !valid)
			vctl_label_decode(buf, sizeof(buf), VCTL_DECODE_IGNORE_CRC, &l, &e);
		const char *why = valid ? NULL : r == 0 ? e2.msg : e.msg;
		out_obj(o, NULL);
		out_str(o, "disk", "%s", name);
		out_str(o, "copy_name", " label %s", c ? "B" : "A");
		out_u64(o, "offset", " (offset %llu): ", off[c]);
		out_bool(o, "valid", NULL, valid);
		out_text(o, "%s\n", valid ? "valid" : why);
		out_str(o, "error", NULL, why);
		/* Like dumpe2fs: a damaged block's fields, not just "bad". */
		if (l.fields_read)
			print_label_fields(o, &l);
		out_obj_end(o);
	}
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

int cmd_dump_label(struct cmd_ctx *c)
{
	CMD_START(c, NULL, NULL, 0, 1);
	struct out *o = &c->out;
	const char *want = c->nargs ? c->args[0] : NULL;
	struct stat st;
	/* A path to any file: dumped as it is, pool or not. */
	if (want && !all_digits(want) && strchr(want, '/') && fstatat(c->cwd, want, &st, 0) == 0) {
		if (S_ISDIR(st.st_mode))
			return cmd_failf(c, -EINVAL, "%s: is a directory", want);
		int fd = openat(c->cwd, want, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return cmd_failf(c, -errno, "%s: %s", want, strerror(errno));
		out_begin(o);
		out_arr(o, "labels");
		dump_one_label(o, want, fd);
		out_arr_end(o);
		out_end(o);
		close(fd);
		return EXIT_OK;
	}
	struct vctl_err err = {0};
	if (!c->served) {
		int r = vctl_pool_open(c->pool_dir, VCTL_OPEN_FORENSIC, &c->pool, &err);
		if (r < 0)
			return cmd_fail(c, r, &err);
	}
	struct vctl_pool *p = c->pool;
	const struct vctl_member *only = NULL;
	if (want) {
		for (uint32_t i = 0; i < p->nmembers; i++)
			/* Without an MLD (an interrupted init), labels say the index. */
			if (!strcmp(p->members[i].name, want) ||
			    (all_digits(want) && (p->members[i].in_mld || !p->have_mld) &&
			     p->members[i].label.disk_index == strtoul(want, NULL, 10)))
				only = &p->members[i];
		if (!only)
			return cmd_failf(c, -ENOENT, "no disk %s in the pool", want);
	}
	out_begin(o);
	out_arr(o, "labels");
	for (uint32_t i = 0; i < p->nmembers; i++)
		if (!only || only == &p->members[i])
			dump_one_label(o, p->members[i].name, p->members[i].fd);
	out_arr_end(o);
	out_end(o);
	return EXIT_OK;
}

enum { O_DISK = 1, O_SLOT };

const struct poptOption dump_mld_options[] = {
	{"disk", 0, POPT_ARG_STRING, NULL, O_DISK, "dump the copy on this disk", "INDEX"},
	{"slot", 0, POPT_ARG_STRING, NULL, O_SLOT, "which of the disk's two slots", "0|1"},
	POPT_TABLEEND};

struct mld_state {
	bool have_disk, have_slot;
	uint64_t disk, slot;
};

static int mld_opt(struct cmd_ctx *c, int val, const char *arg, void *st,
		   struct vctl_err *err)
{
	(void)c;
	struct mld_state *s = st;
	if (val == O_DISK) {
		s->have_disk = true;
		return cmd_opt_uint("disk", arg, VCTL_MAX_DISKS - 1, &s->disk, err);
	}
	s->have_slot = true;
	return cmd_opt_uint("slot", arg, 1, &s->slot, err);
}

static void print_mld(struct out *o, const struct vctl_mld *m)
{
	char s[37];
	out_obj(o, "header");
	out_str(o, "magic", "  magic          %s\n", VCTL_MLD_MAGIC);
	out_u64(o, "type", "  type           %llu\n", VCTL_T_MLD);
	out_u64(o, "version", "  version        %llu\n", m->version);
	out_u64(o, "length", "  length         %llu\n", m->payload_len + VCTL_MLD_HEADER_SIZE);
	out_hex(o, "incompat", "  incompat       %s\n", m->incompat);
	out_hex(o, "compat", "  compat         %s\n", m->compat);
	out_hex(o, "ro_compat", "  ro_compat      %s\n", m->ro_compat);
	out_u64(o, "record_count", "  record_count   %llu\n", m->nrecords);
	vctl_uuid_fmt(m->pool.uuid, s);
	out_str(o, "pool_uuid", "  pool_uuid      %s\n", s);
	out_u64(o, "generation", "  generation     %llu\n", m->generation);
	out_u64(o, "timestamp", "  timestamp      %llu\n", m->timestamp);
	out_u64(o, "payload_length", "  payload_length %llu\n", m->payload_len);
	out_hex(o, "payload_crc", "  payload_crc    %s", m->payload_crc_stored);
	out_hex(o, "payload_crc_computed", " (computed %s)\n", m->payload_crc_computed);
	out_hex(o, "header_crc", "  header_crc     %s", m->hdr_crc_stored);
	out_hex(o, "header_crc_computed", " (computed %s)\n", m->hdr_crc_computed);
	out_obj_end(o);

	out_text(o, "pool record\n");
	out_obj(o, "pool");
	out_str(o, "uuid", "  uuid           %s\n", s);
	out_u64(o, "created", "  created        %llu\n", m->pool.created);
	out_u64(o, "quorum_target", "  quorum_target  %llu\n", m->pool.quorum_target);
	out_hex(o, "flags", "  flags          %s\n", m->pool.flags);
	out_u64(o, "next_id", "  next_id        %llu\n", m->pool.next_id);
	print_geometry(o, &m->pool.geom);
	out_obj_end(o);

	out_arr(o, "enclosures");
	for (uint32_t i = 0; i < m->nencl; i++) {
		const struct vctl_mld_encl *e = &m->encl[i];
		out_obj(o, NULL);
		out_u64(o, "id", "enclosure record\n  id             %llu\n", e->id);
		out_str(o, "name", "  name           %s\n", e->name);
		out_u64(o, "mbps", "  mbps           %llu\n", e->mbps);
		out_u64(o, "iops", "  iops           %llu\n", e->iops);
		out_obj_end(o);
	}
	out_arr_end(o);

	out_arr(o, "meta");
	for (uint32_t i = 0; i < m->nmeta; i++) {
		const struct vctl_mld_meta *e = &m->meta[i];
		out_obj(o, NULL);
		out_u64(o, "index", "metadata extent record\n  index          %llu\n", e->index);
		out_u64(o, "ncopies", "  ncopies        %llu\n", e->ncopies);
		out_hex(o, "stale", "  stale          %s\n", e->stale);
		out_arr(o, "copies");
		for (uint32_t k = 0; k < e->ncopies; k++) {
			out_obj(o, NULL);
			out_u64(o, "disk", "  copy           disk %llu", e->disk[k]);
			out_u64(o, "pseg", " pseg %llu\n", e->pseg[k]);
			out_obj_end(o);
		}
		out_arr_end(o);
		out_obj_end(o);
	}
	out_arr_end(o);
	out_obj(o, "rsd_table");
	out_u64(o, "rsd_blocks", "RSD table record\n  rsd_blocks     %llu\n", m->rsd_blocks);
	out_u64(o, "ndirs", "  ndirs          %llu\n", m->ndirs);
	out_arr(o, "dirs");
	for (uint32_t k = 0; k < m->ndirs; k++)
		out_u64(o, NULL, "  dirs           %llu\n", m->dirs[k]);
	out_arr_end(o);
	out_obj_end(o);

	out_arr(o, "jobs");
	for (uint32_t i = 0; i < m->njobs; i++) {
		const struct vctl_mld_job *j = &m->jobs[i];
		out_obj(o, NULL);
		out_u64(o, "id", "job record\n  id             %llu\n", j->id);
		out_u64(o, "volume", "  volume         %llu\n", j->volume);
		out_u64(o, "created", "  created        %llu\n", j->created);
		out_u64(o, "cursor", "  cursor         %llu\n", j->cursor);
		out_u64(o, "rate", "  rate           %llu\n", j->rate);
		out_u64(o, "kind", "  kind           %llu", j->kind);
		out_text(o, " (%s)\n", vctl_job_kind_name(j->kind));
		out_u64(o, "state", "  state          %llu", j->state);
		out_text(o, " (%s)\n", vctl_job_state_name(j->state));
		if (j->kind == VCTL_JOB_EVACUATE) {
			/* the disk sits where a restripe keeps its raid */
			out_u64(o, "disk", "  disk           %llu\n", j->disk);
		} else {
			out_u64(o, "raid", "  raid           %llu", j->raid);
			out_text(o, " (%s)\n", vctl_raid_name((uint8_t)j->raid));
		}
		out_u64(o, "width", "  width          %llu\n", j->width);
		out_u64(o, "stripe", "  stripe         %llu\n", j->stripe);
		out_obj_end(o);
	}
	out_arr_end(o);

	out_arr(o, "disks");
	for (uint32_t i = 0; i < m->ndisks; i++) {
		const struct vctl_mld_disk *d = &m->disks[i];
		out_obj(o, NULL);
		out_u64(o, "index", "disk record\n  index          %llu\n", d->index);
		out_u64(o, "enclosure", "  enclosure      %llu\n", d->encl);
		out_u64(o, "state", "  state          %llu", d->state);
		out_text(o, " (%s)\n", vctl_disk_state_name(d->state));
		out_hex(o, "flags", "  flags          %s", d->flags);
		out_text(o, "%s\n", d->flags & VCTL_DISK_F_QUORUM ? " (quorum)" : "");
		vctl_uuid_fmt(d->uuid, s);
		out_str(o, "uuid", "  uuid           %s\n", s);
		out_u64(o, "size", "  size           %llu\n", d->size);
		out_u64(o, "pseg_count", "  pseg_count     %llu\n", d->pseg_count);
		out_u64(o, "added", "  added          %llu\n", d->added);
		out_str(o, "name", "  name           %s\n", d->name);
		out_obj_end(o);
	}
	out_arr_end(o);
	print_access_records(o, m);

	out_arr(o, "requirements");
	for (uint32_t i = 0; i < m->nreqs; i++) {
		const struct vctl_mld_req *q = &m->reqs[i];
		out_obj(o, NULL);
		out_u64(o, "volume", "requirement record\n  volume         %llu\n", q->volume);
		out_u64(o, "mbps", "  mbps           %llu\n", q->mbps);
		out_u64(o, "iops", "  iops           %llu\n", q->iops);
		out_u64(o, "fit", "  fit            %llu", q->fit);
		out_text(o, " (%s)\n", vctl_fit_name(q->fit));
		out_u64(o, "narrays", "  narrays        %llu\n", q->narrays);
		out_arr(o, "arrays");
		for (uint32_t k = 0; k < q->narrays; k++) {
			const struct vctl_mld_encl *e = vctl_mld_encl_by_id(m, q->arrays[k]);
			out_u64(o, NULL, "  arrays         %llu", q->arrays[k]);
			out_text(o, " (%s)\n", e ? e->name : "?");
		}
		out_arr_end(o);
		out_obj_end(o);
	}
	out_arr_end(o);
}

int cmd_dump_mld(struct cmd_ctx *c)
{
	struct mld_state s = {0};
	CMD_START(c, mld_opt, &s, 0, 0);
	struct vctl_pool *p = c->pool;
	struct out *o = &c->out;
	if (s.have_disk != s.have_slot)
		return cmd_failf(c, -EINVAL, "--disk and --slot go together");
	if (!s.have_disk) {
		if (!p->have_mld)
			return cmd_failf(c, -VCTL_E_CORRUPT,
					 "no valid MLD copy; dump one with --disk INDEX --slot 0|1");
		out_begin(o);
		out_str(o, "source", "MLD (current", "current");
		out_text(o, ", generation %llu)\n", (unsigned long long)p->mld.generation);
		out_bool(o, "valid", NULL, true);
		print_mld(o, &p->mld);
		out_end(o);
		return EXIT_OK;
	}
	const struct vctl_member *m = NULL;
	for (uint32_t i = 0; i < p->nmembers; i++)
		if (p->members[i].label.disk_index == s.disk)
			m = &p->members[i];
	if (!m)
		return cmd_failf(c, -ENOENT, "no disk %llu in the pool",
				 (unsigned long long)s.disk);
	const struct vctl_geom *g = &m->label.geom;
	uint8_t *buf = malloc(g->mld_slot_size);
	if (!buf)
		return cmd_failf(c, -ENOMEM, "out of memory");
	long long n = vctl_io_pread(m->fd, buf, g->mld_slot_size,
				    vctl_mld_slot_offset(g, (int)s.slot));
	bool empty = n >= (long long)VCTL_MLD_HEADER_SIZE;
	for (size_t i = 0; empty && i < VCTL_MLD_HEADER_SIZE; i++)
		empty = !buf[i];
	if (empty) {
		free(buf);
		return cmd_failf(c, -ENOENT, "disk %llu slot %llu is empty (never written)",
				 (unsigned long long)s.disk, (unsigned long long)s.slot);
	}
	struct vctl_mld mld;
	struct vctl_err e = {0}, strict = {0};
	int r = vctl_mld_decode(buf, n > 0 ? (size_t)n : 0, VCTL_DECODE_IGNORE_CRC, &mld, &e);
	bool valid = false;
	if (r == 0) {
		struct vctl_mld tmp;
		valid = vctl_mld_decode(buf, (size_t)n, 0, &tmp, &strict) == 0;
		vctl_mld_free(&tmp);
	}
	free(buf);
	if (r < 0 && !mld.nrecords) {
		vctl_mld_free(&mld);
		return cmd_failf(c, r, "disk %llu slot %llu: %s", (unsigned long long)s.disk,
				 (unsigned long long)s.slot, e.msg);
	}
	out_begin(o);
	out_str(o, "source", "MLD copy on disk %s", m->name);
	out_u64(o, "slot", " slot %llu: ", s.slot);
	out_bool(o, "valid", NULL, valid);
	const char *why = r < 0 ? e.msg : valid ? NULL : strict.msg;
	out_str(o, "error", NULL, why);
	out_text(o, "%s\n", why ? why : "valid");
	print_mld(o, &mld);
	out_end(o);
	vctl_mld_free(&mld);
	if (r < 0)
		vctl_err_wrap(&e, "disk %llu slot %llu", (unsigned long long)s.disk,
			      (unsigned long long)s.slot);
	return r < 0 ? cmd_fail(c, r, &e) : EXIT_OK;
}

const struct poptOption dump_volume_options[] = {POPT_TABLEEND};
const struct poptOption dump_map_options[] = {POPT_TABLEEND};

int cmd_dump_volume(struct cmd_ctx *c)
{
	CMD_START(c, NULL, NULL, 1, 1);
	const struct vctl_mld_volume *v = vctl_mld_volume_by_name(&c->pool->mld, c->args[0]);
	if (!v)
		return cmd_failf(c, -ENOENT, "no volume named %s", c->args[0]);
	struct out *o = &c->out;
	out_begin(o);
	out_text(o, "volume record\n");
	out_u64(o, "id", "  id             %llu\n", v->id);
	out_str(o, "name", "  name           %s\n", v->name);
	out_u64(o, "size", "  size           %llu\n", v->size);
	out_u64(o, "created", "  created        %llu\n", v->created);
	out_u64(o, "origin", "  origin         %llu\n", v->origin);
	out_u64(o, "succ", "  succ           %llu\n", v->succ);
	out_u64(o, "cursor", "  cursor         %llu\n", v->cursor);
	out_u64(o, "raid", "  raid           %llu", v->raid);
	out_text(o, " (%s)\n", vctl_raid_name((uint8_t)v->raid));
	out_u64(o, "width", "  width          %llu\n", v->width);
	out_u64(o, "stripe", "  stripe         %llu\n", v->stripe);
	out_hex(o, "flags", "  flags          %s", v->flags);
	out_text(o, "%s%s%s\n", v->flags & VCTL_VOL_THICK ? " (thick)" : "",
		 v->flags & VCTL_VOL_INVALID ? " (invalid)" : "",
		 v->flags & VCTL_VOL_CLONE ? " (clone)" : "");
	out_u64(o, "l2_count", "  l2_count       %llu\n", v->nl2);
	out_u64(o, "reserve", "  reserve        %llu\n", v->reserve);
	out_arr(o, "l2");
	for (uint32_t k = 0; k < v->nl2; k++)
		out_u64(o, NULL, "  l2             %llu\n", v->l2[k]);
	out_arr_end(o);
	out_end(o);
	return EXIT_OK;
}

struct map_ctx {
	struct cmd_ctx *c;
	const struct vctl_mld_volume *v;
};

static int print_lmap(void *ctx, uint32_t index, uint64_t block, uint32_t used)
{
	struct out *o = &((struct map_ctx *)ctx)->c->out;
	out_obj(o, NULL);
	out_u64(o, "index", "LMAP %llu", index);
	out_u64(o, "block", ": metadata block %llu", block);
	out_u64(o, "entries", ", %llu entries in use\n", used);
	out_obj_end(o);
	return 0;
}

static int print_run(void *ctx, const struct vctl_map_run *run)
{
	struct map_ctx *mc = ctx;
	struct vctl_pool *p = mc->c->pool;
	struct out *o = &mc->c->out;
	uint64_t R = p->mld.pool.geom.rseg_size;
	uint64_t off = run->first_rseg * R, len = run->nrsegs * R;
	if (off + len > mc->v->size)
		len = mc->v->size - off;
	out_obj(o, NULL);
	out_u64(o, "first_rseg", "RSEG %llu", run->first_rseg);
	out_u64(o, "rsegs", " +%llu", run->nrsegs);
	out_u64(o, "offset", " (bytes %llu", off);
	out_u64(o, "length", " +%llu): ", len);
	if (!(run->entry & VCTL_LMAP_RSD_MASK)) {
		/* a hole, or data read through the successor */
		out_str(o, "rsd", NULL, NULL);
		out_text(o, run->entry & VCTL_LMAP_SS ? "shared with the successor" : "unallocated");
		if (run->entry) {
			out_bool(o, "sp", " Sp=%s", run->entry & VCTL_LMAP_SP);
			out_bool(o, "ss", " Ss=%s", run->entry & VCTL_LMAP_SS);
		}
		out_text(o, "\n");
		out_obj_end(o);
		return 0;
	}
	uint32_t id = (run->entry & VCTL_LMAP_RSD_MASK) - 1;
	struct vctl_rsd_info ri;
	if (vctl_rsd_describe(p, id, &ri) < 0)
		return -ENOENT;
	out_u64(o, "rsd", "RSD %llu", id);
	out_bool(o, "sp", " Sp=%s", run->entry & VCTL_LMAP_SP);
	out_bool(o, "ss", " Ss=%s", run->entry & VCTL_LMAP_SS);
	out_u64(o, "raid", NULL, ri.raid);
	out_text(o, " %s", vctl_raid_name(ri.raid));
	out_u64(o, "width", " width %llu", ri.width);
	out_u64(o, "stripe", " stripe %llu", ri.stripe);
	out_u64(o, "rss", " rss %llu", ri.rss);
	out_u64(o, "refs", " refs %llu\n", ri.refs);
	out_arr(o, "members");
	for (unsigned k = 0; k < ri.nmembers; k++) {
		const struct vctl_mld_disk *d = vctl_mld_disk_by_index(&p->mld, ri.disk[k]);
		out_obj(o, NULL);
		out_u64(o, "member", "    member %llu:", k);
		out_u64(o, "disk", " disk %llu", ri.disk[k]);
		out_str(o, "disk_name", " (%s)", d ? d->name : "?");
		out_u64(o, "pseg", " PSEG %llu\n", ri.pseg[k]);
		out_obj_end(o);
	}
	out_arr_end(o);
	out_obj_end(o);
	return 0;
}

int cmd_dump_map(struct cmd_ctx *c)
{
	CMD_START(c, NULL, NULL, 1, 1);
	struct vctl_pool *p = c->pool;
	const struct vctl_mld_volume *v = vctl_mld_volume_by_name(&p->mld, c->args[0]);
	if (!v)
		return cmd_failf(c, -ENOENT, "no volume named %s", c->args[0]);
	struct out *o = &c->out;
	struct map_ctx mc = {c, v};
	out_begin(o);
	out_str(o, "volume", "volume %s", v->name);
	out_u64(o, "size", ": %llu bytes", v->size);
	out_u64(o, "rseg_size", ", RSEG %llu", p->mld.pool.geom.rseg_size);
	out_u64(o, "lmap_entries", ", %llu entries per LMAP\n", p->mld.pool.geom.lmap_entries);
	out_arr(o, "l2");
	for (uint32_t k = 0; k < v->nl2; k++)
		out_u64(o, NULL, "L2MAP block: metadata block %llu\n", v->l2[k]);
	out_arr_end(o);
	out_arr(o, "lmaps");
	int r = vctl_volume_lmap_walk(p, v->id, print_lmap, &mc);
	out_arr_end(o);
	out_arr(o, "runs");
	if (r == 0)
		r = vctl_volume_map_walk(p, v->id, print_run, &mc);
	out_arr_end(o);
	out_end(o);
	return r < 0 ? cmd_failf(c, -VCTL_E_INTERNAL, "walking the map of %s failed", v->name)
		     : EXIT_OK;
}
