/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

#include <netlink/attr.h>
#include <netlink/msg.h>

#include "bridge.h"
#include "macro.h"
#include "netlink-util.h"
#include "vlan-set.h"

/* A port's VLANs travel in IFLA_AF_SPEC as struct bridge_vlan_info {flags, vid} entries, the
 * layout of iproute2's `bridge vlan` (bridge/vlan.c): a range is an entry with RANGE_BEGIN and one
 * with RANGE_END, both with the range's PVID/UNTAGGED flags. The kernel (br_afspec(),
 * br_process_vlan_info()) takes any number of entries and ranges per message, checks each VID is
 * 1..4094, refuses a range with PVID, and stops at the first error; for a VID the port has,
 * RTM_SETLINK replaces its flags (__vlan_add_flags()), which is how PVID and untagged move. */

#define VLAN_ENTRY_SPACE (NLA_HDRLEN + NLA_ALIGN(sizeof(struct bridge_vlan_info)))

static bool vid_valid(unsigned vid) {
        return vid >= 1 && vid <= VLAN_VID_MAX;
}

int bridge_port_vlans_add(BridgePortVlans *v, const BridgeVlan *e) {
        int r;

        if (!v || !e)
                return -EINVAL;
        if (!vid_valid(e->vid))
                return -ERANGE;

        r = vlan_set_add(&v->vids, e->vid);
        if (r < 0)
                return r;
        if (e->untagged) {
                r = vlan_set_add(&v->untagged, e->vid);
                if (r < 0)
                        return r;
        }
        if (e->pvid)
                v->pvid = e->vid;
        return 0;
}

bool bridge_port_vlans_equal(const BridgePortVlans *a, const BridgePortVlans *b) {
        return a->pvid == b->pvid && vlan_set_equal(&a->vids, &b->vids) &&
               vlan_set_equal(&a->untagged, &b->untagged);
}

/* Adds VIDs 'begin'..'end' with their flags to 'v'. */
static int vlans_add_range(BridgePortVlans *v, unsigned begin, unsigned end, uint16_t flags) {
        for (unsigned vid = begin; vid <= end; vid++) {
                BridgeVlan e = {
                                .vid = vid,
                                .pvid = flags & BRIDGE_VLAN_INFO_PVID,
                                .untagged = flags & BRIDGE_VLAN_INFO_UNTAGGED,
                };
                int r;

                r = bridge_port_vlans_add(v, &e);
                if (r < 0)
                        return r;
        }
        return 0;
}

int bridge_vlans_parse(const struct nlattr *af_spec, BridgePortVlans *ret) {
        const struct bridge_vlan_info *begin = NULL;
        BridgePortVlans v = {};
        struct nlattr *a;
        int rem;

        /* A dump with RTEXT_FILTER_BRVLAN lists every VID; notifications (and
         * RTEXT_FILTER_BRVLAN_COMPRESSED) use ranges, never across a change of flags or the PVID.
         * Other entries (tunnel info, MRP, ...) are not ours. */
        nla_for_each_nested(a, (struct nlattr *) af_spec, rem) {
                const struct bridge_vlan_info *vi;

                if (nla_type(a) != IFLA_BRIDGE_VLAN_INFO)
                        continue;
                if (nla_len(a) < (int) sizeof(struct bridge_vlan_info))
                        return -EBADMSG;
                vi = nla_data(a);
                if (!vid_valid(vi->vid))
                        return -EBADMSG;

                if (vi->flags & BRIDGE_VLAN_INFO_RANGE_BEGIN) {
                        if (begin || (vi->flags & (BRIDGE_VLAN_INFO_RANGE_END | BRIDGE_VLAN_INFO_PVID)))
                                return -EBADMSG;
                        begin = vi;
                        continue;
                }

                if (vi->flags & BRIDGE_VLAN_INFO_RANGE_END) {
                        if (!begin || vi->vid <= begin->vid)
                                return -EBADMSG;
                        if (vlans_add_range(&v, begin->vid, vi->vid, begin->flags) < 0)
                                return -EBADMSG;
                        begin = NULL;
                        continue;
                }

                if (begin)
                        return -EBADMSG;
                /* One PVID per port: a second one is a message we do not understand. */
                if ((vi->flags & BRIDGE_VLAN_INFO_PVID) && v.pvid != 0 && v.pvid != vi->vid)
                        return -EBADMSG;
                if (vlans_add_range(&v, vi->vid, vi->vid, vi->flags) < 0)
                        return -EBADMSG;
        }
        if (begin)
                return -EBADMSG;

        *ret = v;
        return 0;
}

/* Returns the message's IFLA_AF_SPEC, opening it when the message has none. An IFLA_AF_SPEC that
 * is not the last attribute cannot be extended: -EINVAL. */
static int vlan_fill_af_spec(struct nl_msg *m, struct nlattr **ret) {
        struct nlmsghdr *nlh = nlmsg_hdr(m);
        struct nlattr *a, *last = NULL, *af_spec = NULL;
        int rem;

        nlmsg_for_each_attr(a, nlh, sizeof(struct ifinfomsg), rem) {
                if (nla_type(a) == IFLA_AF_SPEC)
                        af_spec = a;
                last = a;
        }
        if (af_spec) {
                if (af_spec != last)
                        return -EINVAL;
                *ret = af_spec;
                return 0;
        }

        af_spec = nla_nest_start(m, IFLA_AF_SPEC | NLA_F_NESTED);
        if (!af_spec)
                return -EMSGSIZE;
        *ret = af_spec;
        return 0;
}

static int vlan_put(struct nl_msg *m, uint16_t vid, uint16_t flags) {
        struct bridge_vlan_info vi = {.flags = flags, .vid = vid};
        int r;

        r = nla_put(m, IFLA_BRIDGE_VLAN_INFO, sizeof(vi), &vi);
        if (r < 0)
                return nl_error_to_errno(r);
        return 0;
}

/* Appends 'n' checked ranges to the IFLA_AF_SPEC of a message whose header is in place. */
static int vlan_fill_ranges(struct nl_msg *m, const VlanRange *r, size_t n, uint16_t flags) {
        struct nlattr *af_spec;
        int k;

        /* Room for the worst case first, so the puts below cannot fail half-way and the nest
         * pointer stays valid. */
        if (n > (SIZE_MAX - NLA_HDRLEN) / (2 * VLAN_ENTRY_SPACE))
                return -EMSGSIZE;
        k = netlink_message_reserve(m, NLA_HDRLEN + n * 2 * VLAN_ENTRY_SPACE);
        if (k < 0)
                return k;

        k = vlan_fill_af_spec(m, &af_spec);
        if (k < 0)
                return k;

        for (size_t i = 0; i < n; i++) {
                if (r[i].begin == r[i].end) {
                        k = vlan_put(m, r[i].begin, flags);
                        if (k < 0)
                                return k;
                        continue;
                }
                k = vlan_put(m, r[i].begin, flags | BRIDGE_VLAN_INFO_RANGE_BEGIN);
                if (k < 0)
                        return k;
                k = vlan_put(m, r[i].end, flags | BRIDGE_VLAN_INFO_RANGE_END);
                if (k < 0)
                        return k;
        }

        /* Sets the nest's length to everything after it, the entries of earlier calls included;
         * an IFLA_AF_SPEC larger than 64 KiB cannot be expressed. */
        k = nla_nest_end(m, af_spec);
        if (k < 0)
                return nl_error_to_errno(k);
        return 0;
}

static int vlan_fill_header(struct nl_msg *m, int ifindex, bool add) {
        struct ifinfomsg *ifi;

        /* No IFLA_BRIDGE_FLAGS: for a port the kernel then acts on its master bridge, as
         * `bridge vlan add ... master` (the default). */
        return netlink_fill_ifinfo(m, add ? RTM_SETLINK : RTM_DELLINK, 0, AF_BRIDGE, ifindex, &ifi);
}

int bridge_vlan_fill(struct nl_msg *m, int ifindex, bool add, const VlanRange *r, size_t n, bool pvid,
                bool untagged) {
        uint16_t flags = 0;
        int k;

        if (!m || !r || n == 0)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (!vid_valid(r[i].begin) || !vid_valid(r[i].end) || r[i].begin > r[i].end)
                        return -EINVAL;
        /* The kernel ignores flags on a deletion; asking for them is a caller's mistake. */
        if (!add && (pvid || untagged))
                return -EINVAL;
        if (pvid && (n != 1 || r[0].begin != r[0].end))
                return -EINVAL;

        k = vlan_fill_header(m, ifindex, add);
        if (k < 0)
                return k;

        if (pvid)
                flags |= BRIDGE_VLAN_INFO_PVID;
        if (untagged)
                flags |= BRIDGE_VLAN_INFO_UNTAGGED;
        return vlan_fill_ranges(m, r, n, flags);
}

/* Appends the VIDs of 's' as ranges with 'flags'; nothing for an empty set. */
static int vlan_fill_set(struct nl_msg *m, const VlanSet *s, uint16_t flags) {
        _cleanup_free_ VlanRange *r = NULL;
        size_t n;

        n = vlan_set_to_ranges(s, NULL, 0);
        if (n == 0)
                return 0;
        r = new0(VlanRange, n);
        if (!r)
                return -ENOMEM;
        (void) vlan_set_to_ranges(s, r, n);
        return vlan_fill_ranges(m, r, n, flags);
}

static bool vlans_valid(const BridgePortVlans *v) {
        VlanSet outside = v->untagged;

        vlan_set_subtract(&outside, &v->vids);
        return vlan_set_is_empty(&outside) && (v->pvid == 0 || vlan_set_contains(&v->vids, v->pvid));
}

/* Whether 'vid' has other flags (untagged, PVID) in 'a' than in 'b'. */
static bool vid_flags_differ(const BridgePortVlans *a, const BridgePortVlans *b, unsigned vid) {
        return vlan_set_contains(&a->untagged, vid) != vlan_set_contains(&b->untagged, vid) ||
               (vid == a->pvid) != (vid == b->pvid);
}

int bridge_vlan_fill_port(struct nl_msg *m, int ifindex, const BridgePortVlans *want,
                const BridgePortVlans *have, bool add_phase) {
        VlanSet change, plain, untagged;
        uint16_t pvid_flags;
        size_t n;
        int k;

        if (!m || !want || !have)
                return -EINVAL;
        if (vlan_set_contains(&want->vids, 0) || vlan_set_contains(&want->vids, VLAN_VID_COUNT - 1) ||
                        want->pvid > VLAN_VID_MAX)
                return -ERANGE;
        if (!vlans_valid(want))
                return -EINVAL;

        k = vlan_fill_header(m, ifindex, add_phase);
        if (k < 0)
                return k;

        if (!add_phase) {
                change = have->vids;
                vlan_set_subtract(&change, &want->vids);
                k = vlan_fill_set(m, &change, 0);
                if (k < 0)
                        return k;
                return (int) vlan_set_count(&change);
        }

        /* A VID changes when 'have' lacks it or has it with other flags: untagged or not, PVID or
         * not. The old PVID, if it stays, is sent again without the flag. */
        change = want->vids;
        vlan_set_subtract(&change, &have->vids);
        for (unsigned vid = 1; vid <= VLAN_VID_MAX; vid++)
                if (vlan_set_contains(&want->vids, vid) && vlan_set_contains(&have->vids, vid) &&
                                vid_flags_differ(want, have, vid))
                        (void) vlan_set_add(&change, vid);
        n = vlan_set_count(&change);

        untagged = change;
        vlan_set_intersect(&untagged, &want->untagged);
        plain = change;
        vlan_set_subtract(&plain, &want->untagged);
        if (want->pvid != 0) {
                vlan_set_remove(&untagged, want->pvid);
                vlan_set_remove(&plain, want->pvid);
        }

        k = vlan_fill_set(m, &plain, 0);
        if (k < 0)
                return k;
        k = vlan_fill_set(m, &untagged, BRIDGE_VLAN_INFO_UNTAGGED);
        if (k < 0)
                return k;

        /* The PVID last: whatever the entries before did to the old one, the port ends with this
         * one (the kernel moves the PVID to the VID that last came with the flag). */
        if (want->pvid != 0 && vlan_set_contains(&change, want->pvid)) {
                VlanRange p = {want->pvid, want->pvid};

                pvid_flags = BRIDGE_VLAN_INFO_PVID;
                if (vlan_set_contains(&want->untagged, want->pvid))
                        pvid_flags |= BRIDGE_VLAN_INFO_UNTAGGED;
                k = vlan_fill_ranges(m, &p, 1, pvid_flags);
                if (k < 0)
                        return k;
        }
        return (int) n;
}

int bridge_link_fill_vlan_filtering(struct nl_msg *m, int bridge_ifindex, bool on) {
        struct nlattr *linkinfo, *data;
        struct ifinfomsg *ifi;
        int k;

        k = netlink_fill_ifinfo(m, RTM_NEWLINK, 0, AF_UNSPEC, bridge_ifindex, &ifi);
        if (k < 0)
                return k;
        if (nlmsg_find_attr(nlmsg_hdr(m), sizeof(struct ifinfomsg), IFLA_LINKINFO))
                return -EINVAL;

        /* The kind must be the link's own: for an existing link with IFLA_INFO_DATA, rtnl_newlink()
         * hands the data to that kind's changelink(), and a bridge without VLAN filtering support
         * answers -EOPNOTSUPP there. */
        linkinfo = nla_nest_start(m, IFLA_LINKINFO | NLA_F_NESTED);
        if (!linkinfo)
                return -EMSGSIZE;
        k = nla_put_string(m, IFLA_INFO_KIND, "bridge");
        if (k < 0)
                return nl_error_to_errno(k);
        data = nla_nest_start(m, IFLA_INFO_DATA | NLA_F_NESTED);
        if (!data)
                return -EMSGSIZE;
        k = nla_put_u8(m, IFLA_BR_VLAN_FILTERING, on);
        if (k < 0)
                return nl_error_to_errno(k);
        k = nla_nest_end(m, data);
        if (k < 0)
                return nl_error_to_errno(k);
        k = nla_nest_end(m, linkinfo);
        if (k < 0)
                return nl_error_to_errno(k);
        return 0;
}
