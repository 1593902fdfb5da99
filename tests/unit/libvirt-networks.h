/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Network XML as 'virsh net-dumpxml' prints it, shared by the domain XML and ownership tests. */

static const char net_lan[] = "<network>\n"
                              "  <name>lan</name>\n"
                              "  <uuid>7c80536e-8688-49df-ae58-717f1e4f179f</uuid>\n"
                              "  <forward mode='bridge'/>\n"
                              "  <bridge name='br1'/>\n"
                              "  <portgroup name='eng' default='yes'>\n"
                              "  </portgroup>\n"
                              "  <portgroup name='guests' trustGuestRxFilters='yes'>\n"
                              "  </portgroup>\n"
                              "</network>\n";

static const char net_pool[] = "<network trustGuestRxFilters='yes'>\n"
                               "  <name>pool</name>\n"
                               "  <uuid>4622e96e-c4aa-4d8e-8fff-5692eb3c07b8</uuid>\n"
                               "  <forward dev='dummy1' mode='bridge'>\n"
                               "    <interface dev='dummy1'/>\n"
                               "  </forward>\n"
                               "</network>\n";
