/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>
#include <string.h>

#include "ethtool-channels.h"
#include "fuzz.h"
#include "guest-agent.h"
#include "macro.h"

/* A qemu-guest-agent reply (the guest writes it) into each of its parsers; checks that a failure
 * says why and a success gives what the contract promises. */

static void check_string(const char *s, size_t size) {
        size_t n = strnlen(s, size);

        if (n >= size)
                abort();
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) s[i] < ' ' || s[i] == 0x7f)
                        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const EtherAddr mac = {{0x52, 0x54, 0x00, 0x12, 0x34, 0x52}};
        _cleanup_free_ char *e1 = NULL, *e2 = NULL, *e3 = NULL, *e4 = NULL, *cmd = NULL;
        EthtoolChannels ch;
        char name[GUEST_AGENT_IFNAME_MAX];
        GuestExecStatus st;
        int64_t pid;
        int r;

        r = guest_agent_parse_interfaces((const char *) data, size, &mac, name, &e1);
        if (r < 0 && r != -ENOENT && r != -ENOMEM && !e1)
                abort();
        if (r == 0) {
                if (!name[0] || strnlen(name, sizeof(name)) >= sizeof(name))
                        abort();
                /* A name the parser takes makes a command. */
                if (guest_agent_ethtool_command(name, 2, &cmd) < 0)
                        abort();
        }

        r = guest_agent_parse_exec((const char *) data, size, &pid, &e2);
        if ((r < 0 && r != -ENOMEM && !e2) || (r == 0 && pid <= 0))
                abort();

        r = guest_agent_parse_exec_status((const char *) data, size, &st, &e3);
        if (r < 0 && r != -ENOMEM && !e3)
                abort();
        if (r == 0) {
                check_string(st.err, sizeof(st.err));
                check_string(st.out, sizeof(st.out));
                if (strnlen(st.stdout_text, sizeof(st.stdout_text)) >= sizeof(st.stdout_text))
                        abort();
                /* What a guest's ethtool printed goes to its parser as it is. */
                (void) ethtool_channels_parse(st.stdout_text, strlen(st.stdout_text), &ch, &e4);
        }
        return 0;
}
