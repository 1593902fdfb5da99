/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include "ether-addr.h"

/* The one edit vnicd makes to a domain's persistent XML (MultiqueueApply=next-boot): the queue
 * pairs of one virtio <interface>, as <driver queues='N'/>. Everything else of the document is
 * left as it was; libvirt re-formats it anyway when the result is defined. */

/* In 'xml' ('len' bytes, a libvirt <domain>, as virDomainGetXMLDesc(VIR_DOMAIN_XML_INACTIVE) gives
 * it), finds the one <devices><interface> whose <mac address> is 'mac' and sets queues='queues' on
 * its <driver> (added when missing). '*ret_old' gets the queues it had (0: none). Returns 1 and the
 * new document in '*ret_xml' (malloc'ed) when it changed, 0 (and '*ret_xml' NULL) when it already had
 * 'queues' (no queues= is one pair: libvirt drops queues='1'); -ENOENT when no interface or several have that MAC, -EINVAL for XML libvirt_xml_read()
 * refuses or queues outside 1..DOMAIN_QUEUES_MAX, -E2BIG, -ENOMEM; '*ret_error' then says why. */
int domain_xml_set_queues(const char *xml, size_t len, const EtherAddr *mac, unsigned queues, char **ret_xml,
                unsigned *ret_old, char **ret_error);
