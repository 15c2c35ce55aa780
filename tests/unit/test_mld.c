/* The MLD: round trip, record layout, and rejection of malformed input. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt/block.h"
#include "fmt/bytes.h"
#include "fmt/crc.h"
#include "fmt/mld.h"
#include "fmt/rsd.h"
#include "tap.h"

#define CAP (64 * 1024)

static void sample(struct vctl_mld *m, uint32_t ndisks, uint32_t nencl)
{
	memset(m, 0, sizeof(*m));
	m->version = 1;
	m->generation = 9;
	m->timestamp = 1700000001;
	for (int i = 0; i < 16; i++)
		m->pool.uuid[i] = (uint8_t)(0x10 + i);
	m->pool.created = 1700000000;
	vctl_geom_default(&m->pool.geom);
	m->pool.geom.pseg_size = 256 * 1024;
	vctl_geom_finish(&m->pool.geom, NULL);
	m->pool.quorum_target = ndisks < 5 ? ndisks : 5;
	m->pool.next_id = 77;
	m->nencl = nencl;
	m->encl = calloc(nencl, sizeof(*m->encl));
	for (uint32_t i = 0; i < nencl; i++) {
		m->encl[i].id = i * 10;
		snprintf(m->encl[i].name, sizeof(m->encl[i].name), "e%u", i);
		m->encl[i].mbps = 100 * i;
		m->encl[i].iops = 1000 * i;
	}
	m->ndisks = ndisks;
	m->disks = calloc(ndisks, sizeof(*m->disks));
	for (uint32_t i = 0; i < ndisks; i++) {
		struct vctl_mld_disk *d = &m->disks[i];
		d->index = i;
		d->encl = (i % nencl) * 10;
		d->state = VCTL_DISK_ACTIVE;
		d->flags = i < m->pool.quorum_target ? VCTL_DISK_F_QUORUM : 0;
		for (int k = 0; k < 16; k++)
			d->uuid[k] = (uint8_t)(i * 16 + k + 1);
		d->size = 64ull << 20;
		d->pseg_count = vctl_geom_psegs(&m->pool.geom, d->size);
		d->added = 1700000000 + i;
		snprintf(d->name, sizeof(d->name), "disk%u.img", i);
	}
}

static void reseal(uint8_t *buf)
{
	uint32_t total = vctl_get32(buf + 12);
	vctl_put32(buf + 72, vctl_crc32(buf + 128, total - 128));
	vctl_put32(buf + 124, vctl_crc32(buf, 124));
}

/* Offset of record i (0 = pool record). */
static size_t rec_off(const uint8_t *buf, int i)
{
	size_t off = 128;
	while (i-- > 0)
		off += vctl_get32(buf + off + 4);
	return off;
}

static int same(const struct vctl_mld *a, const struct vctl_mld *b)
{
	if (a->generation != b->generation || a->timestamp != b->timestamp ||
	    memcmp(&a->pool, &b->pool, sizeof(a->pool)) || a->nencl != b->nencl ||
	    a->ndisks != b->ndisks)
		return 0;
	for (uint32_t i = 0; i < a->nencl; i++)
		if (a->encl[i].id != b->encl[i].id || strcmp(a->encl[i].name, b->encl[i].name) ||
		    a->encl[i].mbps != b->encl[i].mbps || a->encl[i].iops != b->encl[i].iops)
			return 0;
	for (uint32_t i = 0; i < a->ndisks; i++) {
		const struct vctl_mld_disk *x = &a->disks[i], *y = &b->disks[i];
		if (x->index != y->index || x->encl != y->encl || x->state != y->state ||
		    x->flags != y->flags || memcmp(x->uuid, y->uuid, 16) || x->size != y->size ||
		    x->pseg_count != y->pseg_count || x->added != y->added ||
		    strcmp(x->name, y->name))
			return 0;
	}
	return 1;
}

static uint8_t buf[CAP], orig[CAP];
static size_t len;

/* Decodes a mutated copy; returns the code. */
static int try(struct vctl_err *e)
{
	struct vctl_mld d;
	int r = vctl_mld_decode(buf, len, 0, &d, e);
	vctl_mld_free(&d);
	return r;
}

static void reset(void)
{
	memcpy(buf, orig, len);
}


/* Hosts, domains and paths: layout, round trip, and each validation rule. */
static void add_access(struct vctl_mld *m)
{
	m->pool.next_id = 20;
	m->nvol = 1;
	m->vols = calloc(1, sizeof(*m->vols));
	struct vctl_mld_volume *v = &m->vols[0];
	v->id = 5;
	v->size = 1 << 30;
	v->raid = 1;
	v->width = 2;
	v->stripe = 64 * 1024;
	snprintf(v->name, sizeof(v->name), "vol");
	v->nl2 = vctl_volume_l2_blocks(&m->pool.geom, v->size);
	v->l2 = calloc(v->nl2, sizeof(*v->l2));
	m->nhosts = 2;
	m->hosts = calloc(2, sizeof(*m->hosts));
	m->hosts[0] = (struct vctl_mld_host){.id = 6, .uid = 1001};
	snprintf(m->hosts[0].name, sizeof(m->hosts[0].name), "a");
	m->hosts[1] = (struct vctl_mld_host){.id = 7, .uid = 1001, .gid = 9, .flags = VCTL_HOST_F_GID};
	snprintf(m->hosts[1].name, sizeof(m->hosts[1].name), "a-9");
	m->ndomains = 1;
	m->domains = calloc(1, sizeof(*m->domains));
	m->domains[0] = (struct vctl_mld_domain){.id = 8, .max_iops = 200, .max_mbps = 7,
						 .flags = VCTL_ACCESS_RO};
	snprintf(m->domains[0].name, sizeof(m->domains[0].name), "slow");
	m->npaths = 2;
	m->paths = calloc(2, sizeof(*m->paths));
	m->paths[0] = (struct vctl_mld_path){.id = 9, .host = 6, .volume = 5, .created = 77};
	m->paths[1] = (struct vctl_mld_path){.id = 10, .host = 7, .volume = 5, .domain = 8,
					     .flags = VCTL_ACCESS_RO};
}

/* Validates m after fn changed a copy of it; returns the code. */
static int rule(const struct vctl_mld *m, void (*fn)(struct vctl_mld *), struct vctl_err *e)
{
	struct vctl_mld x;
	if (vctl_mld_dup(m, &x) < 0)
		return -ENOMEM;
	fn(&x);
	int r = vctl_mld_validate(&x, e);
	vctl_mld_free(&x);
	return r;
}

static void path_host_gone(struct vctl_mld *m) { m->paths[0].host = 99 % 20; }
static void path_volume_gone(struct vctl_mld *m) { m->paths[0].volume = 11; }
static void path_domain_gone(struct vctl_mld *m) { m->paths[1].domain = 12; }
static void path_twice(struct vctl_mld *m) { m->paths[1].host = 6; }
static void uid_twice(struct vctl_mld *m) { m->hosts[1].flags = 0, m->hosts[1].gid = 0; }
static void gid_no_flag(struct vctl_mld *m) { m->hosts[1].flags = 0; }
static void id_shared(struct vctl_mld *m) { m->hosts[0].id = 5, m->paths[0].host = 5; }
static void id_beyond(struct vctl_mld *m) { m->paths[1].id = 20; }
static void id_zero(struct vctl_mld *m) { m->domains[0].id = 0, m->paths[1].domain = 0; }
static void named_default(struct vctl_mld *m) { snprintf(m->domains[0].name, 8, "default"); }
static void iops_absurd(struct vctl_mld *m) { m->domains[0].max_iops = VCTL_MAX_IOPS + 1; }
static void mbps_absurd(struct vctl_mld *m) { m->domains[0].max_mbps = VCTL_MAX_MBPS + 1; }
static void path_flags(struct vctl_mld *m) { m->paths[0].flags = 2; }
static void host_flags(struct vctl_mld *m) { m->hosts[0].flags = 4; }
static void host_name_twice(struct vctl_mld *m) { snprintf(m->hosts[1].name, 2, "a"); }
static void host_bad_name(struct vctl_mld *m) { snprintf(m->hosts[1].name, 4, "a/b"); }
static void other_gid(struct vctl_mld *m) { m->hosts[0].flags = VCTL_HOST_F_GID, m->hosts[0].gid = 10; }

static void test_access(void)
{
	struct vctl_mld m, d;
	struct vctl_err e = {0};
	sample(&m, 3, 1);
	add_access(&m);
	ok(vctl_mld_encode(&m, buf, CAP, &len, &e) == 0, "access: encode: %s", e.msg);
	/* pool, enclosure, 3 disks, volume, then hosts, domain, paths */
	size_t h0 = rec_off(buf, 6), d0 = rec_off(buf, 8), p0 = rec_off(buf, 9);
	ok(vctl_get16(buf + h0) == 8 && vctl_get32(buf + h0 + 4) == 96 &&
		   vctl_get16(buf + d0) == 9 && vctl_get32(buf + d0 + 4) == 104 &&
		   vctl_get16(buf + p0) == 10 && vctl_get32(buf + p0 + 4) == 56,
	   "host, domain and path records: types 8, 9, 10, lengths 96, 104, 56");
	ok(vctl_get64(buf + h0 + 8) == 6 && vctl_get32(buf + h0 + 16) == 1001 &&
		   !memcmp(buf + h0 + 8 + 24, "a", 2),
	   "host record: id at 0, uid at 8, name at 24");
	size_t h1 = h0 + 96;
	ok(vctl_get32(buf + h1 + 8 + 12) == 9 && vctl_get32(buf + h1 + 8 + 16) == VCTL_HOST_F_GID,
	   "host record: gid at 12, flags at 16");
	ok(vctl_get64(buf + d0 + 8 + 8) == 200 && vctl_get64(buf + d0 + 8 + 16) == 7 &&
		   vctl_get32(buf + d0 + 8 + 24) == VCTL_ACCESS_RO && !memcmp(buf + d0 + 8 + 32, "slow", 5),
	   "domain record: max_iops at 8, max_mbps at 16, flags at 24, name at 32");
	size_t p1 = p0 + 56;
	ok(vctl_get64(buf + p1 + 8) == 10 && vctl_get64(buf + p1 + 16) == 7 &&
		   vctl_get64(buf + p1 + 24) == 5 && vctl_get64(buf + p1 + 32) == 8 &&
		   vctl_get64(buf + p0 + 8 + 32) == 77 && vctl_get32(buf + p1 + 8 + 40) == VCTL_ACCESS_RO,
	   "path record: id, host, volume, domain, created, flags");
	ok(vctl_mld_decode(buf, len, 0, &d, &e) == 0 && d.nhosts == 2 && d.ndomains == 1 &&
		   d.npaths == 2 && !memcmp(d.hosts, m.hosts, 2 * sizeof(*m.hosts)) &&
		   !memcmp(d.domains, m.domains, sizeof(*m.domains)) &&
		   !memcmp(d.paths, m.paths, 2 * sizeof(*m.paths)),
	   "access: round trip: %s", e.msg);
	ok(vctl_mld_host_for(&d, 1001, 9) == &d.hosts[1] && vctl_mld_host_for(&d, 1001, 3) == &d.hosts[0] &&
		   !vctl_mld_host_for(&d, 1002, 9),
	   "host_for: uid and gid first, then uid alone");
	ok(!strcmp(vctl_mld_domain_name(&d, 0), "default") && !strcmp(vctl_mld_domain_name(&d, 8), "slow"),
	   "domain 0 is the default domain");
	vctl_mld_free(&d);
	memcpy(orig, buf, len);

	reset();
	vctl_put32(buf + h0 + 8 + 20, 1); /* reserved */
	reseal(buf);
	ok(try(&e) == -VCTL_E_CORRUPT, "host record: reserved field set: %s", e.msg);
	reset();
	vctl_put32(buf + p0 + 4, 64);
	reseal(buf);
	ok(try(&e) == -VCTL_E_CORRUPT && strstr(e.msg, "expected 56"), "path record of 64 bytes: %s",
	   e.msg);
	reset();
	buf[d0 + 8 + 32 + 10] = 'x'; /* a byte after the name's NUL */
	reseal(buf);
	ok(try(&e) == -VCTL_E_CORRUPT, "domain name padding not NUL: %s", e.msg);

	static const struct {
		void (*fn)(struct vctl_mld *);
		const char *what, *msg;
	} rules[] = {
		{path_host_gone, "a path to no host", "which is no host"},
		{path_volume_gone, "a path to no volume", "which is no volume"},
		{path_domain_gone, "a path in no domain", "which is no domain"},
		{path_twice, "two paths joining one host and volume", "two paths join"},
		{uid_twice, "two hosts bound to one uid", "same uid"},
		{gid_no_flag, "a gid without the GID flag", "no GID flag"},
		{id_shared, "a host with a volume's id", "is both"},
		{id_beyond, "an id at next_id", "not in 1 .. next_id"},
		{id_zero, "id 0", "not in 1 .. next_id"},
		{named_default, "a domain record named default", "bad name"},
		{iops_absurd, "max_iops beyond the limit", "limits"},
		{mbps_absurd, "max_mbps beyond the limit", "limits"},
		{path_flags, "unknown path flags", "unknown flags"},
		{host_flags, "unknown host flags", "unknown flags"},
		{host_name_twice, "two hosts of one name", "two hosts are named a"},
		{host_bad_name, "a bad host name", "bad name"},
	};
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		vctl_err_clear(&e);
		int r = rule(&m, rules[i].fn, &e);
		ok(r == -VCTL_E_CORRUPT && strstr(e.msg, rules[i].msg), "refused: %s: %s", rules[i].what,
		   e.msg);
	}
	ok(rule(&m, other_gid, &e) == 0, "the same uid with two gids is two bindings: %s", e.msg);

	struct vctl_mld dup;
	ok(vctl_mld_dup(&m, &dup) == 0 && dup.paths != m.paths && dup.npaths == 2 &&
		   !memcmp(dup.hosts, m.hosts, 2 * sizeof(*m.hosts)),
	   "dup copies hosts, domains and paths");
	vctl_mld_free(&dup);
	vctl_mld_free(&m);
}

/* Requirements (type 11): layout, round trip, and each validation rule. */
static void add_reqs(struct vctl_mld *m)
{
	m->nreqs = 1;
	m->reqs = calloc(1, sizeof(*m->reqs));
	m->reqs[0] = (struct vctl_mld_req){.volume = 5, .mbps = 600, .iops = 7, .fit = VCTL_FIT_FIRST,
					   .narrays = 2, .arrays = {10, 20}};
}
static void req_volume_gone(struct vctl_mld *m) { m->reqs[0].volume = 6; }
static void req_twice(struct vctl_mld *m)
{
	m->reqs = realloc(m->reqs, 2 * sizeof(*m->reqs));
	m->reqs[1] = m->reqs[0];
	m->nreqs = 2;
}
static void req_no_rate(struct vctl_mld *m) { m->reqs[0].mbps = m->reqs[0].iops = 0; }
static void req_mbps_absurd(struct vctl_mld *m) { m->reqs[0].mbps = VCTL_MAX_MBPS + 1; }
static void req_iops_absurd(struct vctl_mld *m) { m->reqs[0].iops = VCTL_MAX_IOPS + 1; }
static void req_fit(struct vctl_mld *m) { m->reqs[0].fit = 3; }
static void req_no_arrays(struct vctl_mld *m) { m->reqs[0].narrays = 0; }
static void req_17_arrays(struct vctl_mld *m) { m->reqs[0].narrays = 17; }
static void req_array_gone(struct vctl_mld *m) { m->reqs[0].arrays[1] = 11; }
static void req_array_twice(struct vctl_mld *m) { m->reqs[0].arrays[1] = 10; }

static void test_reqs(void)
{
	struct vctl_mld m, d;
	struct vctl_err e = {0};
	sample(&m, 6, 3);
	add_access(&m);
	free(m.hosts);
	free(m.domains);
	free(m.paths);
	m.hosts = NULL;
	m.domains = NULL;
	m.paths = NULL;
	m.nhosts = m.ndomains = m.npaths = 0;
	add_reqs(&m);
	ok(vctl_mld_encode(&m, buf, CAP, &len, &e) == 0, "requirements: encode: %s", e.msg);
	/* pool, 3 enclosures, 6 disks, volume, then the requirement */
	size_t q0 = rec_off(buf, 11);
	ok(vctl_get16(buf + q0) == 11 && vctl_get32(buf + q0 + 4) == 104 && q0 + 104 == len,
	   "requirement record: type 11, length 104, last");
	ok(vctl_get64(buf + q0 + 8) == 5 && vctl_get64(buf + q0 + 16) == 600 &&
		   vctl_get64(buf + q0 + 24) == 7 && vctl_get32(buf + q0 + 32) == VCTL_FIT_FIRST &&
		   vctl_get32(buf + q0 + 36) == 2 && vctl_get32(buf + q0 + 40) == 10 &&
		   vctl_get32(buf + q0 + 44) == 20 && vctl_get32(buf + q0 + 48) == 0,
	   "requirement record: volume at 0, mbps 8, iops 16, fit 24, narrays 28, arrays 32");
	ok(vctl_mld_decode(buf, len, 0, &d, &e) == 0 && d.nreqs == 1 &&
		   !memcmp(&d.reqs[0], &m.reqs[0], sizeof(d.reqs[0])),
	   "requirements: round trip: %s", e.msg);
	vctl_mld_free(&d);
	memcpy(orig, buf, len);
	vctl_put32(buf + q0 + 8 + 32 + 4 * 5, 30);
	vctl_put32(buf + 72, vctl_crc32(buf + 128, len - 128));
	vctl_put32(buf + 124, vctl_crc32(buf, 124));
	ok(vctl_mld_decode(buf, len, 0, &d, &e) == -VCTL_E_CORRUPT && strstr(e.msg, "unused array slot"),
	   "refused: an unused array slot set: %s", e.msg);
	vctl_mld_free(&d);
	memcpy(buf, orig, len);
	vctl_put32(buf + q0 + 4, 96);
	ok(vctl_mld_decode(buf, len, VCTL_DECODE_IGNORE_CRC, &d, &e) == -VCTL_E_CORRUPT,
	   "refused: a requirement record of the wrong length: %s", e.msg);
	vctl_mld_free(&d);
	ok(vctl_req_share(600, 2, 0) == 300 && vctl_req_share(7, 2, 0) == 4 &&
		   vctl_req_share(7, 2, 1) == 3 && vctl_req_share(5, 0, 0) == 0,
	   "shares: even, the first one more, none over no arrays");

	static const struct {
		void (*fn)(struct vctl_mld *);
		const char *what, *msg;
	} rules[] = {
		{req_volume_gone, "a requirement of no volume", "which is no volume"},
		{req_twice, "two requirements of one volume", "requirements for 1 volumes"},
		{req_no_rate, "neither MB/s nor IOPS", "neither"},
		{req_mbps_absurd, "mbps beyond the limit", "beyond the limits"},
		{req_iops_absurd, "iops beyond the limit", "beyond the limits"},
		{req_fit, "an unknown fit", "unknown fit"},
		{req_no_arrays, "no arrays", "names 0 arrays"},
		{req_17_arrays, "17 arrays", "names 17 arrays"},
		{req_array_gone, "an array that is no enclosure", "which is no enclosure"},
		{req_array_twice, "an array twice", "twice"},
	};
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		vctl_err_clear(&e);
		int r = rule(&m, rules[i].fn, &e);
		ok(r == -VCTL_E_CORRUPT && strstr(e.msg, rules[i].msg), "refused: %s: %s", rules[i].what,
		   e.msg);
	}
	struct vctl_mld dup;
	ok(vctl_mld_dup(&m, &dup) == 0 && dup.reqs != m.reqs && dup.nreqs == 1 &&
		   !memcmp(dup.reqs, m.reqs, sizeof(*m.reqs)),
	   "dup copies requirements");
	vctl_mld_free(&dup);
	vctl_mld_free(&m);
}

/* Refusals no other test reaches: counts beyond the limits, a header
 * whose two lengths disagree, a short volume record, cursors and jobs on
 * snapclones. */
static void no_disks(struct vctl_mld *m) { m->ndisks = 0; }
static void too_many_enclosures(struct vctl_mld *m)
{
	struct vctl_mld_encl *e = calloc(VCTL_MAX_DISKS + 1, sizeof(*e));
	for (uint32_t i = 0; i < VCTL_MAX_DISKS + 1; i++) {
		e[i].id = i < m->nencl ? m->encl[i].id : 100000 + i;
		snprintf(e[i].name, sizeof(e[i].name), "x%u", i);
	}
	free(m->encl);
	m->encl = e;
	m->nencl = VCTL_MAX_DISKS + 1;
}
static void clone_cursor_past_end(struct vctl_mld *m)
{
	m->vols[0].flags |= VCTL_VOL_CLONE;
	m->vols[0].cursor = (m->vols[0].size >> 16) + 1;
}
static void restripe_a_clone(struct vctl_mld *m)
{
	m->vols[0].flags |= VCTL_VOL_CLONE;
	m->njobs = 1;
	m->jobs = calloc(1, sizeof(*m->jobs));
	m->jobs[0] = (struct vctl_mld_job){.id = 11, .volume = 5, .kind = VCTL_JOB_RESTRIPE,
					   .state = VCTL_JOB_RUNNING, .raid = VCTL_RAID0,
					   .width = 1, .stripe = 64 * 1024};
}
static void domain_flags(struct vctl_mld *m) { m->domains[0].flags = 0x10; }
static void too_many_hosts(struct vctl_mld *m)
{
	struct vctl_mld_host *h = calloc(VCTL_MAX_ACCESS_RECORDS + 1, sizeof(*h));
	for (uint32_t i = 0; i < VCTL_MAX_ACCESS_RECORDS + 1; i++)
		h[i] = (struct vctl_mld_host){.id = 6, .uid = i};
	free(m->hosts);
	m->hosts = h;
	m->nhosts = VCTL_MAX_ACCESS_RECORDS + 1;
}

static void test_rare(void)
{
	struct vctl_mld m, d;
	struct vctl_err e = {0};
	sample(&m, 6, 3);
	add_access(&m);
	ok(vctl_mld_validate(&m, &e) == 0, "rare: the sample is valid: %s", e.msg);
	static const struct {
		void (*fn)(struct vctl_mld *);
		const char *what, *msg;
	} rules[] = {
		{no_disks, "no disk records", "0 disks"},
		{too_many_enclosures, "1025 enclosures", "1025 enclosures"},
		{clone_cursor_past_end, "a snapclone's cursor past its end", "copy cursor"},
		{restripe_a_clone, "a restripe of a snapclone", "still being copied"},
		{domain_flags, "unknown domain flags", "unknown flags 0x10"},
		{too_many_hosts, "65537 hosts", "65537 hosts"},
	};
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		vctl_err_clear(&e);
		int r = rule(&m, rules[i].fn, &e);
		ok(r == -VCTL_E_CORRUPT && strstr(e.msg, rules[i].msg), "refused: %s: %s",
		   rules[i].what, e.msg);
	}

	/* On disk, the 65537th host record is refused as it is read. */
	struct vctl_mld big;
	ok(vctl_mld_dup(&m, &big) == 0, "rare: dup");
	too_many_hosts(&big);
	size_t cap = 256 * 1024 + (size_t)(VCTL_MAX_ACCESS_RECORDS + 1) * 96, blen;
	uint8_t *bbuf = malloc(cap);
	vctl_err_clear(&e);
	ok(bbuf && vctl_mld_encode(&big, bbuf, cap, &blen, &e) == 0, "rare: encode 65537 hosts: %s",
	   e.msg);
	ok(vctl_mld_decode(bbuf, blen, 0, &d, &e) == -VCTL_E_CORRUPT &&
		   strstr(e.msg, "more than 65536 records of type 8"),
	   "a 65537th host record: %s", e.msg);
	vctl_mld_free(&d);
	free(bbuf);
	vctl_mld_free(&big);

	vctl_err_clear(&e);
	ok(vctl_mld_encode(&m, buf, CAP, &len, &e) == 0, "rare: encode: %s", e.msg);
	memcpy(orig, buf, len);
	vctl_put64(buf + 64, vctl_get64(buf + 64) + 8);
	reseal(buf);
	ok(try(&e) == -VCTL_E_CORRUPT && strstr(e.msg, "payload length disagrees"),
	   "header length and payload length disagree: %s", e.msg);

	/* The volume record (after the pool, 3 enclosure and 6 disk
	 * records) cut to its 8-byte header and 8 bytes. */
	reset();
	size_t vo = rec_off(buf, 10);
	ok(vctl_get16(buf + vo) == VCTL_REC_VOLUME, "rare: record 10 is the volume");
	vctl_put32(buf + vo + 4, 16);
	reseal(buf);
	ok(try(&e) == -VCTL_E_CORRUPT && strstr(e.msg, "record 10 is truncated"),
	   "a volume record too short for its fields: %s", e.msg);

	reset();
	vctl_put32(buf + 16, 0x80);
	reseal(buf);
	ok(try(&e) == -VCTL_E_VERSION && strstr(e.msg, "unknown incompatible features 0x80"),
	   "an incompat bit: %s", e.msg);

	reset();
	vctl_put16(buf + vo, 99);
	reseal(buf);
	ok(try(&e) == -VCTL_E_VERSION && strstr(e.msg, "unknown record type 99"),
	   "record type 99: %s", e.msg);
	vctl_mld_free(&m);
}

int main(void)
{
	struct vctl_mld m, d;
	struct vctl_err e = {0};
	sample(&m, 6, 3);
	ok(vctl_mld_encode(&m, buf, CAP, &len, &e) == 0, "encode: %s", e.msg);
	memcpy(orig, buf, len);
	ok(len == 128 + 88 + 3 * 96 + 6 * 320, "length %zu = header + pool + 3 enclosures + 6 disks",
	   len);
	ok(vctl_get16(buf + rec_off(buf, 0)) == VCTL_REC_POOL &&
		   vctl_get32(buf + rec_off(buf, 0) + 4) == 88,
	   "pool record first, 88 bytes");
	ok(vctl_get32(buf + rec_off(buf, 1) + 4) == 96 && vctl_get32(buf + rec_off(buf, 4) + 4) == 320,
	   "enclosure records 96 bytes, disk records 320 bytes");
	ok(vctl_get64(buf + 48) == 9 && vctl_get32(buf + 28) == 10, "generation and record count in the header");

	ok(vctl_mld_decode(buf, len, 0, &d, &e) == 0, "decode: %s", e.msg);
	ok(same(&m, &d), "round trip");
	vctl_mld_free(&d);

	uint8_t uuid[16];
	uint64_t gen;
	ok(vctl_mld_peek(buf, len, uuid, &gen, NULL) == 0 && gen == 9 && uuid[0] == 0x10, "peek");

	/* A decode of the same bytes in a larger buffer (a whole slot) works. */
	ok(vctl_mld_decode(buf, CAP, 0, &d, &e) == 0, "decode from a slot-sized buffer");
	vctl_mld_free(&d);

	reset();
	buf[200] ^= 4;
	ok(try(&e) == -VCTL_E_CORRUPT && strstr(e.msg, "payload crc"), "payload damage: %s", e.msg);
	reset();
	buf[50] ^= 4;
	ok(try(&e) == -VCTL_E_CORRUPT && strstr(e.msg, "header crc"), "header damage: %s", e.msg);
	reset();
	buf[128 + 8 + 16] ^= 4; /* the pool's `created`: no rule but the crc */
	ok(vctl_mld_decode(buf, len, VCTL_DECODE_IGNORE_CRC, &d, &e) == 0 &&
		   d.payload_crc_stored != d.payload_crc_computed,
	   "IGNORE_CRC decodes and reports the mismatch");
	vctl_mld_free(&d);

	reset();
	vctl_put32(buf + 28, 100000);
	reseal(buf);
	ok(try(&e) == -VCTL_E_CORRUPT && strstr(e.msg, "record count"), "impossible record count: %s",
	   e.msg);

	reset();
	vctl_put32(buf + 28, 9);
	reseal(buf);
	ok(try(&e) == -VCTL_E_CORRUPT, "a record left over after the count: %s", e.msg);

	reset();
	vctl_put16(buf + rec_off(buf, 3), 77);
	reseal(buf);
	ok(try(&e) == -VCTL_E_VERSION && strstr(e.msg, "unknown record type"), "unknown record: %s",
	   e.msg);

	reset();
	vctl_put16(buf + rec_off(buf, 3) + 2, 2);
	reseal(buf);
	ok(try(&e) == -VCTL_E_VERSION, "future record version: %s", e.msg);

	reset();
	vctl_put32(buf + rec_off(buf, 3) + 4, 92);
	reseal(buf);
	ok(try(&e) == -VCTL_E_CORRUPT, "record length not a multiple of 8: %s", e.msg);

	reset();
	vctl_put32(buf + rec_off(buf, 3) + 4, 1u << 30);
	reseal(buf);
	ok(try(&e) == -VCTL_E_CORRUPT, "record length beyond the MLD: %s", e.msg);

	reset();
	vctl_put16(buf + rec_off(buf, 0), VCTL_REC_DISK);
	vctl_put16(buf + rec_off(buf, 4), VCTL_REC_POOL);
	reseal(buf);
	ok(try(&e) == -VCTL_E_CORRUPT, "first record not the pool: %s", e.msg);

	reset();
	vctl_put32(buf + 12, vctl_get32(buf + 12) + 8);
	vctl_put64(buf + 64, vctl_get64(buf + 64) + 8);
	len += 8;
	memset(buf + len - 8, 0, 8);
	reseal(buf);
	ok(try(&e) == -VCTL_E_CORRUPT, "bytes after the last record: %s", e.msg);
	len -= 8;

	reset();
	vctl_put32(buf + rec_off(buf, 5) + 8, 0); /* disk 1 gets index 0 */
	reseal(buf);
	ok(try(&e) == -VCTL_E_CORRUPT && strstr(e.msg, "twice"), "duplicate disk index: %s", e.msg);

	reset();
	vctl_put32(buf + rec_off(buf, 4) + 8 + 4, 555);
	reseal(buf);
	ok(try(&e) == -VCTL_E_CORRUPT && strstr(e.msg, "unknown enclosure"),
	   "disk in an unknown enclosure: %s", e.msg);

	reset();
	vctl_put32(buf + rec_off(buf, 4) + 8 + 8, 9);
	reseal(buf);
	ok(try(&e) == -VCTL_E_CORRUPT, "unknown disk state: %s", e.msg);

	reset();
	for (int i = 4; i < 10; i++)
		vctl_put32(buf + rec_off(buf, i) + 8 + 12, 0);
	reseal(buf);
	ok(try(&e) == -VCTL_E_CORRUPT && strstr(e.msg, "quorum"), "no quorum disk: %s", e.msg);

	reset();
	memcpy(buf + rec_off(buf, 5) + 8 + 16, buf + rec_off(buf, 4) + 8 + 16, 16);
	reseal(buf);
	ok(try(&e) == -VCTL_E_CORRUPT && strstr(e.msg, "UUID"), "two disks, one UUID: %s", e.msg);

	reset();
	memcpy(buf + rec_off(buf, 2) + 8 + 24, "e0", 2);
	reseal(buf);
	ok(try(&e) == -VCTL_E_CORRUPT, "duplicate enclosure name: %s", e.msg);

	reset();
	buf[32] ^= 1;
	reseal(buf);
	ok(try(&e) == -VCTL_E_CORRUPT, "header and pool record disagree on the UUID: %s", e.msg);

	reset();
	vctl_put32(buf + rec_off(buf, 0) + 8 + 24, 12);
	reseal(buf);
	ok(try(&e) == -VCTL_E_CORRUPT, "quorum target beyond the disks: %s", e.msg);

	reset();
	ok(vctl_mld_decode(buf, len - 1, 0, &d, &e) == -VCTL_E_CORRUPT, "truncated: %s", e.msg);
	vctl_mld_free(&d);

	/* Every single-byte change is caught (by a crc or a rule). */
	int caught = 0, total = 0;
	for (size_t i = 0; i < len; i += 5) {
		reset();
		buf[i] ^= 0x20;
		total++;
		caught += try(NULL) < 0;
	}
	ok(caught == total, "%d of %d byte changes rejected", caught, total);

	uint8_t small[600];
	ok(vctl_mld_encode(&m, small, sizeof(small), &len, &e) == -ENOSPC && strstr(e.msg, "slot"),
	   "an MLD that does not fit is refused: %s", e.msg);

	/* A restripe job: its record round-trips, and each rule is enforced. */
	m.nvol = 1;
	m.vols = calloc(1, sizeof(*m.vols));
	struct vctl_mld_volume *v = &m.vols[0];
	*v = (struct vctl_mld_volume){.id = 5, .size = 64u << 20, .raid = VCTL_RAID0, .width = 4,
				      .stripe = 65536};
	snprintf(v->name, sizeof(v->name), "v");
	v->nl2 = vctl_volume_l2_blocks(&m.pool.geom, v->size);
	v->l2 = calloc(v->nl2, sizeof(*v->l2));
	m.njobs = 1;
	m.jobs = calloc(1, sizeof(*m.jobs));
	struct vctl_mld_job *j = &m.jobs[0];
	*j = (struct vctl_mld_job){.id = 6, .volume = 5, .created = 1700000002, .cursor = 17,
				   .rate = 1 << 20, .kind = VCTL_JOB_RESTRIPE,
				   .state = VCTL_JOB_CANCELLING, .raid = VCTL_RAID0, .width = 3,
				   .stripe = 32768};
	ok(vctl_mld_encode(&m, buf, CAP, &len, &e) == 0 && vctl_mld_decode(buf, len, 0, &d, &e) == 0,
	   "a job record encodes and decodes: %s", e.msg);
	ok(d.njobs == 1 && !memcmp(&d.jobs[0], j, sizeof(*j)), "the job record round-trips");
	vctl_mld_free(&d);
	struct {
		const char *what, *msg;
		struct vctl_mld_job bad;
	} cases[] = {
		{"zero id", "bad id", {.id = 0}},
		{"a volume's id", "bad id", {.id = 5}},
		{"id beyond next_id", "bad id", {.id = 77}},
		{"unknown kind", "unknown kind", {.kind = 9}},
		{"unknown state", "unknown state", {.state = 3}},
		{"missing volume", "does not exist", {.volume = 9}},
		{"cursor past the end", "past the end", {.cursor = 257}},
		{"the volume's own layout", "the layout it has", {.width = 4, .stripe = 65536}},
		{"a bad layout", "job 6", {.stripe = 3000}},
	};
	struct vctl_mld_job good = *j;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		*j = good;
		const struct vctl_mld_job *b = &cases[i].bad;
		if (!strcmp(cases[i].what, "zero id") || b->id)
			j->id = b->id;
		if (b->kind)
			j->kind = b->kind;
		if (b->state)
			j->state = b->state;
		if (b->volume)
			j->volume = b->volume;
		if (b->cursor)
			j->cursor = b->cursor;
		if (b->width)
			j->width = b->width;
		if (b->stripe)
			j->stripe = b->stripe;
		int r = vctl_mld_validate(&m, &e);
		ok(r < 0 && strstr(e.msg, cases[i].msg), "job record with %s refused: %s", cases[i].what,
		   e.msg);
	}
	*j = good;
	ok(vctl_mld_validate(&m, &e) == 0, "the job record is valid again: %s", e.msg);

	/* Level and evacuate: pool jobs, the disk in raid's place. */
	struct vctl_mld_job *pj = calloc(3, sizeof(*pj));
	pj[0] = good;
	pj[1] = (struct vctl_mld_job){.id = 7, .kind = VCTL_JOB_LEVEL, .state = VCTL_JOB_RUNNING,
				      .cursor = 3, .rate = 4096};
	pj[2] = (struct vctl_mld_job){.id = 8, .kind = VCTL_JOB_EVACUATE, .state = VCTL_JOB_RUNNING,
				      .disk = m.disks[m.ndisks - 1].index};
	free(m.jobs);
	m.jobs = pj;
	m.njobs = 3;
	m.pool.next_id = 9;
	ok(vctl_mld_encode(&m, buf, CAP, &len, &e) == 0 && vctl_mld_decode(buf, len, 0, &d, &e) == 0,
	   "level and evacuate jobs encode and decode: %s", e.msg);
	ok(d.njobs == 3 && !memcmp(d.jobs, pj, 3 * sizeof(*pj)) && d.jobs[2].disk == pj[2].disk,
	   "level and evacuate jobs round-trip");
	vctl_mld_free(&d);
	struct {
		const char *what, *msg;
		unsigned k;
		struct vctl_mld_job bad;
	} pcases[] = {
		{"a level job naming a volume", "names a volume", 1, {.volume = 5}},
		{"a cancelling level job", "cannot be cancelling", 1, {.state = VCTL_JOB_CANCELLING}},
		{"a level job with a layout", "unused fields", 1, {.width = 2}},
		{"an evacuation of no disk", "which does not exist", 2, {.disk = 99}},
		{"an evacuation with a stripe", "unused fields", 2, {.stripe = 4096}},
		{"a second level job", "appears twice", 2, {.kind = VCTL_JOB_LEVEL, .disk = 0}},
	};
	for (size_t i = 0; i < sizeof(pcases) / sizeof(pcases[0]); i++) {
		struct vctl_mld_job saved = pj[pcases[i].k], *b = &pcases[i].bad, *t = &pj[pcases[i].k];
		if (b->volume)
			t->volume = b->volume;
		if (b->state)
			t->state = b->state;
		if (b->width)
			t->width = b->width;
		if (b->stripe)
			t->stripe = b->stripe;
		if (b->kind) {
			t->kind = b->kind;
			t->disk = b->disk;
		} else if (b->disk) {
			t->disk = b->disk;
		}
		int r = vctl_mld_validate(&m, &e);
		ok(r < 0 && strstr(e.msg, pcases[i].msg), "%s refused: %s", pcases[i].what, e.msg);
		pj[pcases[i].k] = saved;
	}
	pj[1] = pj[2];
	pj[1].id = 7;
	ok(vctl_mld_validate(&m, &e) < 0 && strstr(e.msg, "appears twice"),
	   "two evacuations of one disk refused: %s", e.msg);
	pj[1].disk = m.disks[0].index;
	ok(vctl_mld_validate(&m, &e) == 0, "evacuations of two disks are valid: %s", e.msg);

	/* Migrate: a volume's job; the volume must be placed by a requirement. */
	struct vctl_mld_job ev = pj[1];
	pj[1] = (struct vctl_mld_job){.id = 7, .kind = VCTL_JOB_MIGRATE, .state = VCTL_JOB_RUNNING,
				      .volume = good.volume, .cursor = 2};
	ok(vctl_mld_validate(&m, &e) < 0 && strstr(e.msg, "which has no requirement"),
	   "a migration of a volume without a requirement refused: %s", e.msg);
	m.reqs = calloc(1, sizeof(*m.reqs));
	m.reqs[0] = (struct vctl_mld_req){.volume = good.volume, .mbps = 10, .fit = VCTL_FIT_BEST,
					  .narrays = 1, .arrays = {m.encl[0].id}};
	m.nreqs = 1;
	ok(vctl_mld_validate(&m, &e) == 0, "a migration of a placed volume is valid: %s", e.msg);
	ok(vctl_mld_encode(&m, buf, CAP, &len, &e) == 0 && vctl_mld_decode(buf, len, 0, &d, &e) == 0 &&
	   d.njobs == 3 && !memcmp(&d.jobs[1], &pj[1], sizeof(pj[1])),
	   "a migrate job round-trips: %s", e.msg);
	vctl_mld_free(&d);
	pj[1].volume = 999;
	ok(vctl_mld_validate(&m, &e) < 0 && strstr(e.msg, "which does not exist"),
	   "a migration of no volume refused: %s", e.msg);
	pj[1].volume = good.volume;
	pj[1].state = VCTL_JOB_CANCELLING;
	ok(vctl_mld_validate(&m, &e) < 0 && strstr(e.msg, "cannot be cancelling"),
	   "a cancelling migration refused: %s", e.msg);
	pj[1] = ev;
	free(m.reqs);
	m.reqs = NULL;
	m.nreqs = 0;

	struct vctl_mld dup;
	ok(vctl_mld_dup(&m, &dup) == 0 && same(&m, &dup) && dup.disks != m.disks, "dup");
	ok(dup.njobs == 3 && dup.jobs != m.jobs && !memcmp(dup.jobs, m.jobs, 3 * sizeof(*m.jobs)),
	   "dup copies the jobs");
	vctl_mld_free(&dup);
	vctl_mld_free(&m);
	test_access();
	test_reqs();
	test_rare();
	return tap_done();
}
