/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "guest-agent.h"
#include "parse-util.h"

#define REPLY_DEPTH 8   /* {"return":[{"ip-addresses":[{...}]}]} needs 5 */
#define NAMES_MAX   128 /* bytes of the interface names listed in a message, with the NUL */

static int command(json_object *o, char **ret) {
        const char *s = o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN) : NULL;

        if (!s)
                return -ENOMEM;
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

static json_object *execute(const char *name, json_object *args) {
        json_object *o = json_object_new_object();

        if (!o)
                return NULL;
        json_object_object_add(o, "execute", json_object_new_string(name));
        if (args)
                json_object_object_add(o, "arguments", args);
        return o;
}

int guest_agent_interfaces_command(char **ret) {
        _cleanup_(json_object_putp) json_object *o = execute("guest-network-get-interfaces", NULL);

        return command(o, ret);
}

static bool ifname_valid(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n >= GUEST_AGENT_IFNAME_MAX || streq(s, ".") || streq(s, ".."))
                return false;
        for (; *s; s++)
                if (*s == '/' || *s == ':' || (unsigned char) *s <= ' ' || *s == 0x7f)
                        return false;
        return true;
}

/* guest-exec of ethtool with 'n' arguments, its output captured. */
static int ethtool_exec_command(const char *const *argv, size_t n, char **ret) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        json_object *args, *arg;

        args = json_object_new_object();
        arg = json_object_new_array();
        if (!args || !arg) {
                json_object_put(args);
                json_object_put(arg);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++)
                json_object_array_add(arg, json_object_new_string(argv[i]));
        json_object_object_add(args, "path", json_object_new_string("ethtool"));
        json_object_object_add(args, "arg", arg);
        json_object_object_add(args, "capture-output", json_object_new_boolean(true));
        o = execute("guest-exec", args);
        if (!o) {
                json_object_put(args);
                return -ENOMEM;
        }
        return command(o, ret);
}

int guest_agent_ethtool_command(const char *dev, unsigned pairs, char **ret) {
        char n[16];

        if (!dev || !ifname_valid(dev) || pairs == 0)
                return -EINVAL;
        (void) snprintf(n, sizeof(n), "%u", pairs);
        return ethtool_exec_command((const char *const[]){"-L", dev, "combined", n}, 4, ret);
}

int guest_agent_ethtool_show_command(const char *dev, char **ret) {
        if (!dev || !ifname_valid(dev))
                return -EINVAL;
        return ethtool_exec_command((const char *const[]){"-l", dev}, 2, ret);
}

int guest_agent_ethtool_stats_command(const char *dev, char **ret) {
        if (!dev || !ifname_valid(dev))
                return -EINVAL;
        return ethtool_exec_command((const char *const[]){"-S", dev}, 2, ret);
}

int guest_agent_exec_status_command(int64_t pid, char **ret) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        json_object *args = json_object_new_object();

        if (!args)
                return -ENOMEM;
        json_object_object_add(args, "pid", json_object_new_int64(pid));
        o = execute("guest-exec-status", args);
        if (!o) {
                json_object_put(args);
                return -ENOMEM;
        }
        return command(o, ret);
}

/* The "return" member of a reply. */
static int reply_return(const char *what, const char *reply, size_t len, json_object **ret_doc,
                json_object **ret_value, char **ret_error) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        json_object *v;
        int r;

        if (!reply)
                return -EINVAL;
        if (len > GUEST_AGENT_REPLY_MAX)
                return parse_error(ret_error, -E2BIG, "%s reply: larger than %u bytes", what,
                                GUEST_AGENT_REPLY_MAX);
        r = json_parse_bounded(what, reply, len, REPLY_DEPTH, &o, ret_error);
        if (r < 0)
                return r;
        if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, "return", &v))
                return parse_error(ret_error, -EINVAL, "%s reply: no \"return\"", what);
        *ret_value = v;
        *ret_doc = TAKE_PTR(o);
        return 0;
}

/* Appends 'name' to the list 'names' of NAMES_MAX bytes for a message, ", ..." once it is full. */
static void names_add(char names[static NAMES_MAX], const char *name) {
        size_t used = strlen(names);

        if (used >= 5 && streq(names + used - 5, ", ..."))
                return;
        if (used + strlen(", ") + strlen(name) + strlen(", ...") < NAMES_MAX)
                (void) snprintf(names + used, NAMES_MAX - used, "%s%s", used ? ", " : "", name);
        else
                (void) snprintf(names + used, NAMES_MAX - used, ", ...");
}

int guest_agent_parse_interfaces(const char *reply, size_t len, const EtherAddr *mac,
                char ret_name[static GUEST_AGENT_IFNAME_MAX], char **ret_error) {
        _cleanup_(json_object_putp) json_object *doc = NULL;
        const char *what = "guest-network-get-interfaces";
        char names[NAMES_MAX] = "", first[GUEST_AGENT_IFNAME_MAX] = "";
        size_t n, matches = 0;
        json_object *list;
        int r;

        if (!mac)
                return -EINVAL;
        r = reply_return(what, reply, len, &doc, &list, ret_error);
        if (r < 0)
                return r;
        if (!json_object_is_type(list, json_type_array))
                return parse_error(ret_error, -EINVAL, "%s reply: \"return\" is not a list", what);
        n = json_object_array_length(list);
        if (n > GUEST_AGENT_INTERFACES_MAX)
                return parse_error(ret_error, -E2BIG, "%s reply: more than %u interfaces", what,
                                GUEST_AGENT_INTERFACES_MAX);
        /* Every entry is looked at: a bond's slaves (and its VLANs, a bridge over it) carry the same
         * MAC, and which of them is the NIC the guest does not say. */
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(list, i), *name, *hw;
                const char *s;
                EtherAddr a;

                /* Interfaces without a hardware address (lo on some agents, tunnels) are skipped. */
                if (!json_object_is_type(e, json_type_object) ||
                                !json_object_object_get_ex(e, "name", &name) ||
                                !json_object_is_type(name, json_type_string) ||
                                !json_object_object_get_ex(e, "hardware-address", &hw) ||
                                !json_object_is_type(hw, json_type_string))
                        continue;
                if (ether_addr_from_string(json_object_get_string(hw), &a) < 0 || !ether_addr_equal(&a, mac))
                        continue;
                s = json_object_get_string(name);
                if (!ifname_valid(s)) {
                        char buf[EXCERPT_MAX];

                        return parse_error(ret_error, -EINVAL, "%s reply: \"%s\" is not an interface name",
                                        what, string_excerpt(s, strlen(s), buf));
                }
                if (matches++ == 0)
                        (void) snprintf(first, sizeof(first), "%s", s);
                names_add(names, s);
        }
        if (matches == 0)
                return -ENOENT;
        if (matches > 1) {
                char m[ETHER_ADDR_STRING_MAX];

                return parse_error(ret_error, -ENOTUNIQ,
                                "several guest interfaces have MAC %s: %s; not acting",
                                ether_addr_to_string(mac, m), names);
        }
        (void) snprintf(ret_name, GUEST_AGENT_IFNAME_MAX, "%s", first);
        return 0;
}

int guest_agent_parse_exec(const char *reply, size_t len, int64_t *ret_pid, char **ret_error) {
        _cleanup_(json_object_putp) json_object *doc = NULL;
        json_object *v, *pid;
        int r;

        r = reply_return("guest-exec", reply, len, &doc, &v, ret_error);
        if (r < 0)
                return r;
        if (!json_object_is_type(v, json_type_object) || !json_object_object_get_ex(v, "pid", &pid) ||
                        !json_object_is_type(pid, json_type_int) || json_object_get_int64(pid) <= 0)
                return parse_error(ret_error, -EINVAL, "guest-exec reply: no positive \"pid\"");
        *ret_pid = json_object_get_int64(pid);
        return 0;
}

static int base64_value(char c) {
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 26;
        if (c >= '0' && c <= '9')
                return c - '0' + 52;
        return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* The agent's base64 output, decoded as far as it fits into 'buf' of 'size' bytes (NUL-terminated,
 * '*ret_cut' set when it did not fit). 'lines': newlines and tabs are kept, for a parser; otherwise
 * trailing newlines go and the others become blanks, for a message. Other bytes that are not
 * printable become '?'. -EINVAL for what is not base64. */
static int decode_output(const char *s, char *buf, size_t size, bool lines, bool *ret_cut) {
        size_t n = 0;
        unsigned acc = 0, bits = 0;
        bool cut = false;

        for (; *s && *s != '='; s++) {
                int v = base64_value(*s);

                if (v < 0)
                        return -EINVAL;
                acc = (acc << 6) | (unsigned) v;
                bits += 6;
                if (bits >= 8) {
                        unsigned char c = (unsigned char) (acc >> (bits - 8));

                        bits -= 8;
                        acc &= (1u << bits) - 1;
                        if (n + 1 >= size)
                                cut = true;
                        else
                                buf[n++] = c == '\n' || (lines && c == '\t') || (c >= ' ' && c < 0x7f)
                                                           ? (char) c
                                                           : '?';
                }
        }
        for (; *s == '='; s++)
                ;
        if (*s)
                return -EINVAL;
        if (!lines) {
                while (n > 0 && buf[n - 1] == '\n')
                        n--;
                for (size_t i = 0; i < n; i++)
                        if (buf[i] == '\n')
                                buf[i] = ' ';
        }
        buf[n] = 0;
        if (ret_cut)
                *ret_cut = cut;
        return 0;
}

int guest_agent_parse_exec_status(const char *reply, size_t len, GuestExecStatus *ret, char **ret_error) {
        _cleanup_(json_object_putp) json_object *doc = NULL;
        GuestExecStatus st = {};
        json_object *v, *f;
        int r;

        r = reply_return("guest-exec-status", reply, len, &doc, &v, ret_error);
        if (r < 0)
                return r;
        if (!json_object_is_type(v, json_type_object) || !json_object_object_get_ex(v, "exited", &f) ||
                        !json_object_is_type(f, json_type_boolean))
                return parse_error(ret_error, -EINVAL, "guest-exec-status reply: no \"exited\"");
        st.exited = json_object_get_boolean(f);
        if (json_object_object_get_ex(v, "exitcode", &f)) {
                if (!json_object_is_type(f, json_type_int))
                        return parse_error(ret_error, -EINVAL, "guest-exec-status reply: bad \"exitcode\"");
                st.exitcode = (int) MAX(MIN(json_object_get_int64(f), (int64_t) 255), (int64_t) -1);
        }
        if (json_object_object_get_ex(v, "signal", &f)) {
                if (!json_object_is_type(f, json_type_int))
                        return parse_error(ret_error, -EINVAL, "guest-exec-status reply: bad \"signal\"");
                st.signal = (int) MAX(MIN(json_object_get_int64(f), (int64_t) 128), (int64_t) 0);
        }
        if (json_object_object_get_ex(v, "err-data", &f) &&
                        (!json_object_is_type(f, json_type_string) ||
                                        decode_output(json_object_get_string(f), st.err, sizeof(st.err),
                                                        false, NULL) < 0))
                return parse_error(
                                ret_error, -EINVAL, "guest-exec-status reply: \"err-data\" is not base64");
        if (json_object_object_get_ex(v, "out-data", &f) &&
                        (!json_object_is_type(f, json_type_string) ||
                                        decode_output(json_object_get_string(f), st.out, sizeof(st.out),
                                                        false, NULL) < 0 ||
                                        decode_output(json_object_get_string(f), st.stdout_text,
                                                        sizeof(st.stdout_text), true, &st.stdout_cut) < 0))
                return parse_error(
                                ret_error, -EINVAL, "guest-exec-status reply: \"out-data\" is not base64");
        if (st.exited && !json_object_object_get_ex(v, "exitcode", &f) && st.signal == 0)
                return parse_error(
                                ret_error, -EINVAL, "guest-exec-status reply: exited without \"exitcode\"");
        *ret = st;
        return 0;
}
