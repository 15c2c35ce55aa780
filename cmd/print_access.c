#include "print_access.h"

#include <stdio.h>

static uint32_t count_paths(const struct vctl_mld *m, uint64_t host, uint64_t domain)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < m->npaths; i++)
		n += (host && m->paths[i].host == host) || (domain && m->paths[i].domain == domain);
	return n;
}

static const char *access_name(uint32_t flags)
{
	return flags & VCTL_ACCESS_RO ? "ro" : "rw";
}

void print_host_header(struct out *o)
{
	out_text(o, "%-6s %-20s %10s %10s %6s\n", "ID", "NAME", "UID", "GID", "PATHS");
}

void print_host(struct out *o, const struct vctl_mld *m, const struct vctl_mld_host *h)
{
	out_obj(o, NULL);
	out_u64(o, "id", "%-6llu ", h->id);
	out_str(o, "name", "%-20s ", h->name);
	out_u64(o, "uid", "%10llu ", h->uid);
	if (h->flags & VCTL_HOST_F_GID)
		out_u64(o, "gid", "%10llu ", h->gid);
	else
		out_str(o, "gid", "%10s ", NULL); /* any gid: null, "-" */
	out_u64(o, "paths", "%6llu\n", count_paths(m, h->id, 0));
	out_obj_end(o);
}

void print_domain_header(struct out *o)
{
	out_text(o, "%-6s %-20s %10s %10s %-6s %6s\n", "ID", "NAME", "MAX_IOPS", "MAX_MBPS",
		 "ACCESS", "PATHS");
}

/* 0 is "unlimited": JSON 0, text "-". */
static void print_limit(struct out *o, const char *key, uint64_t v)
{
	if (v || o->json)
		out_u64(o, key, "%10llu ", v);
	else
		out_text(o, "%10s ", "-");
}

void print_domain(struct out *o, const struct vctl_mld *m, const struct vctl_mld_domain *d)
{
	out_obj(o, NULL);
	out_u64(o, "id", "%-6llu ", d->id);
	out_str(o, "name", "%-20s ", d->name);
	print_limit(o, "max_iops", d->max_iops);
	print_limit(o, "max_mbps", d->max_mbps);
	out_str(o, "access", "%-6s ", access_name(d->flags));
	out_u64(o, "paths", "%6llu\n", count_paths(m, 0, d->id));
	out_obj_end(o);
}

void print_path_header(struct out *o)
{
	out_text(o, "%-6s %-20s %-20s %-16s %s\n", "ID", "HOST", "VOLUME", "DOMAIN", "ACCESS");
}

/* The access a path gives: ro if it or its domain says so. */
static const char *effective(const struct vctl_mld *m, const struct vctl_mld_path *p)
{
	const struct vctl_mld_domain *d = p->domain ? vctl_mld_domain_by_id(m, p->domain) : NULL;
	return access_name(p->flags | (d ? d->flags : 0));
}

void print_path(struct out *o, const struct vctl_mld *m, const struct vctl_mld_path *p)
{
	const struct vctl_mld_host *h = vctl_mld_host_by_id(m, p->host);
	const struct vctl_mld_volume *v = vctl_mld_volume_by_id(m, p->volume);
	out_obj(o, NULL);
	out_u64(o, "id", "%-6llu ", p->id);
	out_str(o, "host", "%-20s ", h ? h->name : "?");
	out_str(o, "volume", "%-20s ", v ? v->name : "?");
	out_str(o, "domain", "%-16s ", vctl_mld_domain_name(m, p->domain));
	out_str(o, "access", "%s\n", effective(m, p));
	out_str(o, "path_access", NULL, access_name(p->flags));
	out_u64(o, "created", NULL, p->created);
	out_obj_end(o);
}

void print_access_records(struct out *o, const struct vctl_mld *m)
{
	out_arr(o, "hosts");
	for (uint32_t i = 0; i < m->nhosts; i++) {
		const struct vctl_mld_host *h = &m->hosts[i];
		out_obj(o, NULL);
		out_u64(o, "id", "host record\n  id             %llu\n", h->id);
		out_u64(o, "uid", "  uid            %llu\n", h->uid);
		out_u64(o, "gid", "  gid            %llu\n", h->gid);
		out_hex(o, "flags", "  flags          %s", h->flags);
		out_text(o, "%s\n", h->flags & VCTL_HOST_F_GID ? " (gid)" : "");
		out_str(o, "name", "  name           %s\n", h->name);
		out_obj_end(o);
	}
	out_arr_end(o);
	out_arr(o, "domains");
	for (uint32_t i = 0; i < m->ndomains; i++) {
		const struct vctl_mld_domain *d = &m->domains[i];
		out_obj(o, NULL);
		out_u64(o, "id", "domain record\n  id             %llu\n", d->id);
		out_u64(o, "max_iops", "  max_iops       %llu\n", d->max_iops);
		out_u64(o, "max_mbps", "  max_mbps       %llu\n", d->max_mbps);
		out_hex(o, "flags", "  flags          %s", d->flags);
		out_text(o, "%s\n", d->flags & VCTL_ACCESS_RO ? " (ro)" : "");
		out_str(o, "name", "  name           %s\n", d->name);
		out_obj_end(o);
	}
	out_arr_end(o);
	out_arr(o, "paths");
	for (uint32_t i = 0; i < m->npaths; i++) {
		const struct vctl_mld_path *p = &m->paths[i];
		out_obj(o, NULL);
		out_u64(o, "id", "path record\n  id             %llu\n", p->id);
		out_u64(o, "host", "  host           %llu\n", p->host);
		out_u64(o, "volume", "  volume         %llu\n", p->volume);
		out_u64(o, "domain", "  domain         %llu\n", p->domain);
		out_u64(o, "created", "  created        %llu\n", p->created);
		out_hex(o, "flags", "  flags          %s", p->flags);
		out_text(o, "%s\n", p->flags & VCTL_ACCESS_RO ? " (ro)" : "");
		out_obj_end(o);
	}
	out_arr_end(o);
}
