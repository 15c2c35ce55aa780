/* Printers shared by several commands, so each structure is printed one way
 * (and by its fmt/FORMAT.md field names) everywhere. */
#ifndef VCTL_CMD_PRINT_H
#define VCTL_CMD_PRINT_H

#include "fmt/geom.h"
#include "output.h"

void print_geometry(struct out *o, const struct vctl_geom *g);



#include "lib/pool.h"

/* One disk as `status` and `disk list` show it (a table row in text). */
void print_disk_header(struct out *o);
void print_disk(struct out *o, const struct vctl_pool *p, const struct vctl_mld_disk *d);

struct vctl_volume_info;
/* A volume as `list` (a table row) and `show` (detailed) print it. */
void print_volume_header(struct out *o);
void print_volume(struct out *o, const struct vctl_volume_info *v, bool detailed);
/* Its requirement as an object {mbps, iops, fit, arrays} (null: none). */
void print_requirement(struct out *o, const struct vctl_volume_info *v, bool detailed);

/* One array as `array list` and `monitor` show it (a table row). */
struct vctl_array_info;
void print_array_header(struct out *o);
void print_array(struct out *o, const struct vctl_array_info *a);

/* The arrays of a migration plan: a JSON array of names; text "e0, e1". */
struct vctl_migrate_plan;
void print_plan_arrays(struct out *o, const char *key, const struct vctl_migrate_plan *pl);

/* A layout as an object {raid, width, stripe_size}; text: fmt applied to
 * "raid0 3 x 64.0 KiB". */
struct vctl_rsd_layout;
void print_layout(struct out *o, const char *key, const char *fmt,
		  const struct vctl_rsd_layout *l);
#endif
