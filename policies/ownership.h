/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>

#include "network-xml.h"

/* Who owns the host settings behind one guest NIC (DESIGN.md, "Ownership of host state"). A
 * macvtap whose guest libvirt trusts (type='direct' with trustGuestRxFilters='yes', from the
 * interface, its portgroup or its network) is synced by libvirt itself: vnicd reads and reports
 * it, and what it does to the uplink, but never writes it. vnicd owns untrusted macvtaps, taps in
 * Linux bridges (their FDB entries, VLANs and port flags) and the uplink effects of both. Anything
 * else (vhost-user, user-mode, SR-IOV, Open vSwitch ports, non-virtio models, a tap in no bridge)
 * is not managed. Pure: no I/O, no globals. */

typedef enum Owner {
        OWNER_VNICD,     /* vnicd decides and writes it */
        OWNER_LIBVIRT,   /* libvirt writes it; vnicd only reads and reports */
        OWNER_UNMANAGED, /* vnicd leaves it alone, whoever set it up */
        OWNER_NONE,      /* the part does not exist for this NIC (a macvtap has no bridge port) */
        _OWNER_MAX,
        _OWNER_INVALID = -EINVAL,
} Owner;

typedef enum OwnedPart {
        OWNED_PART_HOST_DEVICE, /* the macvtap or tap: MAC, promiscuous, allmulti, multicast list */
        OWNED_PART_BRIDGE_PORT, /* the tap's port: FDB entries, VLANs, port flags */
        OWNED_PART_UPLINK,      /* the uplink's filters and promiscuity, as far as this NIC moves them */
        _OWNED_PART_MAX,
        _OWNED_PART_INVALID = -EINVAL,
} OwnedPart;

#define OWNERSHIP_REASON_MAX 256

typedef struct PartOwnership {
        Owner owner;
        char reason[OWNERSHIP_REASON_MAX];
} PartOwnership;

typedef struct OwnershipDecision {
        Owner owner; /* the NIC as a whole: LIBVIRT, VNICD or UNMANAGED */
        char reason[OWNERSHIP_REASON_MAX];
        PartOwnership parts[_OWNED_PART_MAX];
} OwnershipDecision;

/* Decides for 'nic', as network_resolve_interface() returned it. For type='ethernet' the caller
 * may put the bridge the tap is in (from the kernel) into nic->bridge first: such a tap is then
 * treated as a bridge port. Returns 0 and fills 'ret'; -EINVAL for NULL arguments. */
int ownership_decide(const ResolvedInterface *nic, OwnershipDecision *ret);

const char *owner_to_string(Owner o);
const char *owned_part_to_string(OwnedPart p);
