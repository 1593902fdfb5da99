/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "macro.h"
#include "ownership.h"

static const char *const owner_table[_OWNER_MAX] = {
                [OWNER_VNICD] = "vnicd",
                [OWNER_LIBVIRT] = "libvirt",
                [OWNER_UNMANAGED] = "unmanaged",
                [OWNER_NONE] = "none",
};

static const char *const owned_part_table[_OWNED_PART_MAX] = {
                [OWNED_PART_HOST_DEVICE] = "host-device",
                [OWNED_PART_BRIDGE_PORT] = "bridge-port",
                [OWNED_PART_UPLINK] = "uplink",
};

const char *owner_to_string(Owner o) {
        return o >= 0 && o < _OWNER_MAX ? owner_table[o] : NULL;
}

const char *owned_part_to_string(OwnedPart p) {
        return p >= 0 && p < _OWNED_PART_MAX ? owned_part_table[p] : NULL;
}

_printf_(4, 5) static void set_part(OwnershipDecision *d, OwnedPart p, Owner o, const char *format, ...) {
        va_list ap;

        d->parts[p].owner = o;
        va_start(ap, format);
        (void) vsnprintf(d->parts[p].reason, sizeof(d->parts[p].reason), format, ap);
        va_end(ap);
}

_printf_(3, 4) static void set_nic(OwnershipDecision *d, Owner o, const char *format, ...) {
        va_list ap;

        d->owner = o;
        va_start(ap, format);
        (void) vsnprintf(d->reason, sizeof(d->reason), format, ap);
        va_end(ap);
}

/* Not managed: every part says so with the NIC's reason. */
_printf_(2, 3) static void unmanaged(OwnershipDecision *d, const char *format, ...) {
        va_list ap;

        d->owner = OWNER_UNMANAGED;
        va_start(ap, format);
        (void) vsnprintf(d->reason, sizeof(d->reason), format, ap);
        va_end(ap);
        for (OwnedPart p = 0; p < _OWNED_PART_MAX; p++)
                set_part(d, p, OWNER_UNMANAGED, "NIC not managed: %s", d->reason);
}

/* "on the interface", "from portgroup 'eng' of network 'lan'", "from network 'lan'". */
static const char *trust_origin(const ResolvedInterface *nic, char *buf, size_t size) {
        switch (nic->trust_origin) {
        case SETTING_ORIGIN_INTERFACE:
                (void) snprintf(buf, size, "on the interface");
                break;
        case SETTING_ORIGIN_PORTGROUP:
                (void) snprintf(buf, size, "from portgroup '%s' of network '%s'", nic->portgroup,
                                nic->network);
                break;
        case SETTING_ORIGIN_NETWORK:
                (void) snprintf(buf, size, "from network '%s'", nic->network);
                break;
        default:
                (void) snprintf(buf, size, "not set");
        }
        return buf;
}

static void decide_macvtap(const ResolvedInterface *nic, OwnershipDecision *d) {
        const char *dev = nic->target_dev,
                   *lower = nic->source_dev[0] ? nic->source_dev : "its lower device";
        char origin[DOMAIN_NAME_MAX * 2 + 48];

        (void) trust_origin(nic, origin, sizeof(origin));
        set_part(d, OWNED_PART_BRIDGE_PORT, OWNER_NONE, "a macvtap has no bridge port");

        if (nic->trust_guest_rx_filters) {
                set_nic(d, OWNER_LIBVIRT,
                                "trusted macvtap (trustGuestRxFilters='yes' %s): libvirt syncs %s, vnicd "
                                "reports",
                                origin, dev);
                set_part(d, OWNED_PART_HOST_DEVICE, OWNER_LIBVIRT,
                                "libvirt copies the guest's MAC, multicast list and modes to %s: vnicd "
                                "never writes it",
                                dev);
                set_part(d, OWNED_PART_UPLINK, OWNER_LIBVIRT,
                                "what %s passes to %s (its MAC, promiscuous mode) follows libvirt's sync: "
                                "reported, not "
                                "written",
                                dev, lower);
                return;
        }

        set_nic(d, OWNER_VNICD,
                        "untrusted macvtap (trustGuestRxFilters %s): libvirt ignores the guest's filter, "
                        "vnicd's policy applies",
                        nic->trust_origin == SETTING_ORIGIN_NONE ? "not set" : "'no'");
        set_part(d, OWNED_PART_HOST_DEVICE, OWNER_VNICD, "vnicd programs %s under its trust policy", dev);
        set_part(d, OWNED_PART_UPLINK, OWNER_VNICD, "vnicd explains what %s passes to %s", dev, lower);
}

static void decide_bridge_port(const ResolvedInterface *nic, OwnershipDecision *d) {
        const char *dev = nic->target_dev, *br = nic->bridge;

        if (streq(nic->virtualport, "openvswitch")) {
                unmanaged(d, "Open vSwitch port on %s: its VLANs and flows belong to OVS", br);
                return;
        }

        /* libvirt 9.0 does nothing for a trusted tap but a QoS filter: the port stays vnicd's. */
        set_nic(d, OWNER_VNICD, "tap in bridge %s%s: vnicd owns its port", br,
                        nic->trust_guest_rx_filters
                                        ? " (trustGuestRxFilters='yes' makes libvirt sync nothing on a tap)"
                                        : "");
        set_part(d, OWNED_PART_HOST_DEVICE, OWNER_VNICD,
                        "tap %s: the guest's filter is applied on its bridge port", dev);
        set_part(d, OWNED_PART_BRIDGE_PORT, OWNER_VNICD,
                        "vnicd programs the FDB entries, VLANs and flags of %s on %s", dev, br);
        set_part(d, OWNED_PART_UPLINK, OWNER_VNICD, "vnicd explains the filters of %s's other ports", br);
}

int ownership_decide(const ResolvedInterface *nic, OwnershipDecision *ret) {
        OwnershipDecision d = {};
        const char *type;

        if (!nic || !ret)
                return -EINVAL;

        type = nic->type_name[0] ? nic->type_name : "?";
        switch (nic->type) {
        case DOMAIN_INTERFACE_DIRECT:
        case DOMAIN_INTERFACE_BRIDGE:
                break;
        case DOMAIN_INTERFACE_ETHERNET:
                if (nic->bridge[0])
                        break;
                unmanaged(&d, "type='ethernet': tap %s is in no bridge, whoever set it up owns it",
                                nic->target_dev[0] ? nic->target_dev : "(unnamed)");
                *ret = d;
                return 0;
        case DOMAIN_INTERFACE_VHOSTUSER:
                unmanaged(&d, "type='vhostuser': no host device, the vhost-user backend switches its "
                              "frames");
                *ret = d;
                return 0;
        case DOMAIN_INTERFACE_USER:
                unmanaged(&d, "type='user': QEMU's user-mode network, no host device");
                *ret = d;
                return 0;
        case DOMAIN_INTERFACE_HOSTDEV:
                unmanaged(&d, "SR-IOV VF passed to the guest (type='%s'): no host device to program", type);
                *ret = d;
                return 0;
        default:
                unmanaged(&d, "type='%s': not a host device vnicd programs", type);
                *ret = d;
                return 0;
        }

        /* query-rx-filter and NIC_RX_FILTER_CHANGED exist for virtio-net only. */
        if (strncmp(nic->model, "virtio", 6) != 0) {
                if (nic->model[0])
                        unmanaged(&d, "model '%s': only virtio-net reports the guest's receive filter",
                                        nic->model);
                else
                        unmanaged(&d, "no <model>: QEMU's default NIC is not virtio-net");
        } else if (!nic->target_dev[0])
                unmanaged(&d, "no <target dev=> in the domain XML: the domain is not running");
        else if (nic->type == DOMAIN_INTERFACE_DIRECT)
                decide_macvtap(nic, &d);
        else if (!nic->bridge[0])
                unmanaged(&d, "tap %s: the domain XML names no bridge", nic->target_dev);
        else
                decide_bridge_port(nic, &d);

        *ret = d;
        return 0;
}
