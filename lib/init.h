#ifndef VCTL_LIB_INIT_H
#define VCTL_LIB_INIT_H

#include <stdbool.h>
#include <stdint.h>

#include "fmt/mld.h"

struct vctl_init_target {
	/* from the caller (FILE form) */
	char *given;                         /* path as typed */
	char enclosure[VCTL_NAME_MAX + 1];   /* "" = default */
	/* filled by planning */
	char name[VCTL_DISK_NAME_MAX + 1];   /* entry in the pool directory */
	char *real;                          /* the file or device itself */
	bool create;                         /* a new image file */
	bool link;                           /* symlinked into the pool directory */
	bool blockdev;
	uint64_t size;
	uint32_t index;
	bool quorum;
	char found[160];                     /* what was on it ("" = nothing) */
	int fd;
};

struct vctl_init_opts {
	/* --disks form (ndisks > 0) */
	uint32_t ndisks;
	uint64_t disk_size;
	uint32_t nencl;
	/* FILE form */
	struct vctl_init_target *targets;
	uint32_t ntargets;
	/* both */
	uint32_t pseg_size;     /* 0 = default */
	uint32_t rseg_size;     /* 0 = default */
	uint32_t lmap_entries;  /* 0 = default */
	uint64_t mld_slot_size; /* 0 = default */
	uint32_t quorum;        /* 0 = default */
	bool force;
	bool no_act;
};

struct vctl_init_result {
	struct vctl_mld mld; /* what was (or, with no_act, would be) written */
	struct vctl_init_target *targets;
	uint32_t ntargets;
	uint32_t overwritten; /* targets whose contents --force overrode */
};

/* Creates a pool in `dir` (made if missing). Refuses, writing nothing, if a
 * target holds anything recognisable (unless force) or is unusable. */
int vctl_pool_init(const char *dir, const struct vctl_init_opts *o,
		   struct vctl_init_result *res, struct vctl_err *err);
void vctl_init_result_free(struct vctl_init_result *res);

/* A new random (version 4) UUID. */
void vctl_uuid_generate(uint8_t u[16]);

/* Default number of MLD copies for a pool of n disks. */
uint32_t vctl_default_quorum(uint32_t ndisks);

#endif
