/* Hosts, domains and paths as their list commands and `dump mld` print
 * them, by their fmt/FORMAT.md field names. */
#ifndef VCTL_CMD_PRINT_ACCESS_H
#define VCTL_CMD_PRINT_ACCESS_H

#include "fmt/mld.h"
#include "output.h"

void print_host_header(struct out *o);
void print_host(struct out *o, const struct vctl_mld *m, const struct vctl_mld_host *h);
void print_domain_header(struct out *o);
void print_domain(struct out *o, const struct vctl_mld *m, const struct vctl_mld_domain *d);
void print_path_header(struct out *o);
void print_path(struct out *o, const struct vctl_mld *m, const struct vctl_mld_path *p);
/* `dump mld`: every field of every record, one per line in text. */
void print_access_records(struct out *o, const struct vctl_mld *m);

#endif
