/* vctl check --intents: every RStore a volume owns data in, against the
 * volume's intent (--separate enclosure: the halves of each mirror, the
 * members of each raid5 set, on disks of distinct enclosures; a
 * requirement (--mbps/--iops): every member on a disk of the arrays chosen
 * for it, except while a migration job moves it onto them). */
#include <errno.h>
#include <stdlib.h>

#include "array.h"
#include "check.h"
#include "state.h"

static const char *encl_of(const struct vctl_pool *p, uint32_t member, uint32_t *id)
{
	const struct vctl_mld_disk *d = vctl_mld_disk_by_index(&p->mld, vctl_member_disk(member));
	const struct vctl_mld_encl *e = d ? vctl_mld_encl_by_id(&p->mld, d->encl) : NULL;
	*id = d ? d->encl : UINT32_MAX;
	return e ? e->name : "?";
}

/* One RStore of volume v: 0, a problem added, or -ENOMEM. */
static int check_rstore(const struct vctl_pool *p, const struct vctl_mld_volume *v, uint32_t id,
			struct vctl_check_report *rep)
{
	const struct vctl_rsd *r = vctl_rsd_get(p, id);
	uint32_t ea, eb;
	const struct vctl_mld_req *q = vctl_mld_req_of(&p->mld, v->id);
	if (q && vctl_mld_job_of(&p->mld, v->id, VCTL_JOB_MIGRATE))
		q = NULL; /* on its way there */
	for (unsigned c = 0; q && c < r->nmembers; c++) {
		const char *name = encl_of(p, r->m[c], &ea);
		bool in = false;
		for (uint32_t k = 0; k < q->narrays; k++)
			in = in || q->arrays[k] == ea;
		if (!in)
			return vctl_check_add(rep,
					      "volume %s: RStore %u: member %u is on disk %u in array %s, outside the arrays chosen for its requirement",
					      v->name, id, c, vctl_member_disk(r->m[c]), name);
	}
	if (!(v->flags & VCTL_VOL_SEPARATE))
		return 0;
	if (r->raid == VCTL_RAID1 || r->raid == VCTL_RAID10) {
		for (unsigned c = 0; c + 1 < r->nmembers; c += 2) {
			const char *name = encl_of(p, r->m[c], &ea);
			encl_of(p, r->m[c + 1], &eb);
			if (ea == eb)
				return vctl_check_add(rep,
						      "volume %s: RStore %u: both halves of mirror %u are in enclosure %s (disks %u and %u), against its intent (--separate enclosure)",
						      v->name, id, c / 2, name, vctl_member_disk(r->m[c]),
						      vctl_member_disk(r->m[c + 1]));
		}
	} else if (r->raid == VCTL_RAID5) {
		for (unsigned a = 0; a < r->nmembers; a++)
			for (unsigned b = a + 1; b < r->nmembers; b++) {
				const char *name = encl_of(p, r->m[a], &ea);
				encl_of(p, r->m[b], &eb);
				if (ea == eb)
					return vctl_check_add(rep,
							      "volume %s: RStore %u: members %u and %u are both in enclosure %s, against its intent (--separate enclosure)",
							      v->name, id, a, b, name);
			}
	}
	return 0;
}

struct intents_ctx {
	const struct vctl_mld_volume *v;
	struct vctl_check_report *rep;
};

static int check_one(const struct vctl_pool *p, uint32_t id, void *arg)
{
	struct intents_ctx *c = arg;
	return check_rstore(p, c->v, id, c->rep);
}

int vctl_check_intents(const struct vctl_pool *p, struct vctl_check_report *rep)
{
	if (!p->st)
		return 0;
	uint8_t *seen = malloc(p->st->nrsd / 8 + 1);
	if (!seen)
		return -ENOMEM;
	int r = 0;
	for (uint32_t i = 0; r == 0 && i < p->mld.nvol; i++) {
		const struct vctl_mld_volume *v = &p->mld.vols[i];
		if (!((v->flags & VCTL_VOL_SEPARATE) || vctl_mld_req_of(&p->mld, v->id)))
			continue;
		struct intents_ctx c = {v, rep};
		r = vctl_volume_rsds(p, v, seen, check_one, &c);
	}
	free(seen);
	return r;
}
