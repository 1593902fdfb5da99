/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdio.h>

#include "describe-reader.h"
#include "macro.h"
#include "render.h"
#include "table.h"

/* 'vnicctl explain': what went into each of a NIC's decisions (its settings with where each came
 * from, the guest's filter, the host device, the load figures) and the rule that made each. It
 * only reads the document: every reason is the daemon's, so explain and show never disagree. */

#define EXPLAIN_KEY_WIDTH 27

static void line(FILE *f, const char *key, const char *value, const char *why) {
        (void) fprintf(f, "  %-*s ", EXPLAIN_KEY_WIDTH, key);
        fputs_escaped(value ?: "-", f);
        if (why) {
                (void) fputs("  (", f);
                fputs_escaped(why, f);
                (void) fputc(')', f);
        }
        (void) fputc('\n', f);
}

static void explain_settings(json_object *n, FILE *f) {
        json_object *a = describe_array(n, "settings");

        (void) fputs("Settings (strongest layer wins: metadata, [Interface], libvirt, [Manager])\n", f);
        if (!a)
                line(f, "-", NULL, "not in the document: a vnicd older than this vnicctl");
        for (size_t i = 0; i < describe_array_length(a); i++) {
                json_object *e = describe_array_get_object(a, i);
                const char *v = describe_str(e, "value");

                if (!e)
                        continue;
                line(f, describe_str(e, "key") ?: "?", v, describe_str(e, "origin"));
        }
}

static void explain_inputs(json_object *n, FILE *f) {
        json_object *asked = describe_object(n, "asked");
        int64_t k;
        char buf[256];

        (void) fputs("Inputs\n", f);
        line(f, "host device", describe_str(n, "host_device"), describe_str(n, "host_device_origin"));
        line(f, "owner", describe_str(n, "owner"), describe_str(n, "owner_reason"));
        line(f, "configured MAC", describe_str(n, "configured_mac"), NULL);
        if (!asked) {
                line(f, "guest asked", NULL, "QEMU's filter not read yet");
                return;
        }
        line(f, "guest asked: MAC", describe_str(asked, "mac"), NULL);
        k = (int64_t) describe_array_length(describe_array(asked, "multicast_table"));
        (void) snprintf(buf, sizeof(buf), "%" PRIi64 " groups, mode %s%s", k,
                        describe_str(asked, "multicast") ?: "-",
                        describe_bool(asked, "multicast_overflow") > 0 ? ", overflow" : "");
        line(f, "guest asked: multicast", buf, NULL);
        line(f, "guest asked: VLANs", describe_str(asked, "vlans"), NULL);
        line(f, "guest asked: promiscuous", describe_bool(asked, "promiscuous") > 0 ? "yes" : "no", NULL);
}

static void explain_decisions(json_object *n, FILE *f) {
        json_object *a = describe_array(n, "decisions");

        (void) fputs("Decisions (field: action, wanted on the host, the rule)\n", f);
        if (describe_array_count_objects(a) == 0) {
                line(f, "-", "none yet", describe_str(n, "state"));
                return;
        }
        for (size_t i = 0; i < describe_array_length(a); i++) {
                json_object *e = describe_array_get_object(a, i);
                char buf[256];

                if (!e)
                        continue;
                const char *wanted = describe_str(e, "wanted");

                (void) snprintf(buf, sizeof(buf), "%s, wanted %s", describe_str(e, "action") ?: "-",
                                !wanted     ? "-"
                                : wanted[0] ? wanted
                                            : "none");
                line(f, describe_str(e, "field") ?: "?", buf, describe_str(e, "reason"));
        }
}

static void explain_uplinks(json_object *n, FILE *f) {
        json_object *bridge = describe_object(n, "bridge"), *up = describe_object(n, "uplink");
        json_object *a = describe_array(bridge, "uplinks");

        if (up) {
                (void) fputs("Uplink\n", f);
                line(f, describe_str(up, "name") ?: "?",
                                describe_bool(up, "promiscuous") > 0 ? "promiscuous" : "not promiscuous",
                                describe_str(up, "reason"));
        }
        if (describe_array_count_objects(a) == 0)
                return;
        (void) fputs("Uplinks of the bridge\n", f);
        for (size_t i = 0; i < describe_array_length(a); i++) {
                json_object *e = describe_array_get_object(a, i);

                if (e)
                        line(f, describe_str(e, "name") ?: "?",
                                        describe_bool(e, "promiscuous") > 0 ? "promiscuous"
                                                                            : "not promiscuous",
                                        describe_str(e, "reason"));
        }
}

static const char *count_or_unknown(json_object *o, const char *key, char *buf, size_t size) {
        int64_t v;

        if (describe_int(o, key, &v) < 0)
                return "unknown";
        (void) snprintf(buf, size, "%" PRIi64, v);
        return buf;
}

static void explain_queues(json_object *n, FILE *f) {
        json_object *q = describe_object(n, "queues"), *v;
        char a[32], b[160], g[512];
        int64_t k, boot;

        if (!q)
                return;
        (void) fputs("Queue pairs\n", f);
        line(f, "max", count_or_unknown(q, "max", a, sizeof(a)), describe_str(q, "max_source"));
        line(f, "active", count_or_unknown(q, "active", a, sizeof(a)), describe_str(q, "active_source"));
        line(f, "vCPUs", count_or_unknown(q, "vcpus", a, sizeof(a)), NULL);
        line(f, "load samples", count_or_unknown(q, "samples", a, sizeof(a)), NULL);
        if (json_object_object_get_ex(q, "packet_rate", &v) && v) {
                (void) snprintf(b, sizeof(b), "%.0f packets/s", json_object_get_double(v));
                line(f, "packet rate", b, NULL);
        }
        if (json_object_object_get_ex(q, "avg_frame", &v) && v) {
                (void) snprintf(b, sizeof(b), "%.0f bytes", json_object_get_double(v));
                line(f, "average frame", b, NULL);
        }
        if (render_guest_stats(q, g, sizeof(g)))
                line(f, "guest's queues", g, "MultiqueueGuestStats=yes: ethtool -S in the guest while busy");
        if (json_object_object_get_ex(q, "worker_busy_max", &v)) {
                if (v)
                        (void) snprintf(b, sizeof(b), "%.0f%%", json_object_get_double(v) * 100);
                line(f, "busiest vhost worker", v ? b : NULL, v ? NULL : "no vhost worker figures");
        }
        if (describe_int(q, "recommended", &k) < 0) {
                line(f, "recommended", NULL, describe_str(q, "reason"));
                return;
        }
        /* The rule chain: each rule passed over and why, then the one that decided. */
        for (size_t i = 0; i < describe_array_length(describe_array(q, "passed_over")); i++) {
                json_object *e = describe_array_get_object(describe_array(q, "passed_over"), i);

                if (!e)
                        continue;
                (void) snprintf(b, sizeof(b), "%s: does not apply", describe_str(e, "rule") ?: "?");
                line(f, i == 0 ? "rule chain" : "", b, describe_str(e, "why"));
        }
        (void) snprintf(b, sizeof(b), "%" PRIi64 " by rule %s%s", k, describe_str(q, "rule") ?: "-",
                        describe_bool(q, "held") > 0 ? " (held down)" : "");
        line(f, "recommended", b, describe_str(q, "reason"));
        if (describe_int(q, "next_boot", &boot) >= 0 && boot > k) {
                (void) snprintf(b, sizeof(b), "%" PRIi64, boot);
                line(f, "next boot", b,
                                "<driver queues> for the next boot: the load needs more pairs than this "
                                "boot's max allows");
        }
        (void) snprintf(b, sizeof(b), "1 (multiqueue off) and %s (min(vCPUs, max))",
                        count_or_unknown(q, "static_cap", a, sizeof(a)));
        line(f, "static choices", b, NULL);
        line(f, "command", describe_str(q, "command"), NULL);
        if ((v = describe_object(q, "action")) && describe_str(v, "mode")) {
                (void) snprintf(b, sizeof(b), "%s, %s%s%s", describe_str(v, "mode"),
                                describe_str(v, "state") ?: "-", describe_str(v, "when") ? " at " : "",
                                describe_str(v, "when") ?: "");
                line(f, "action", b, describe_str(v, "detail"));
        }
}

static void explain_refusals(json_object *n, FILE *f) {
        json_object *a = describe_array(n, "refusals");

        if (describe_array_count_objects(a) == 0)
                return;
        (void) fputs("Refusals (field: what was asked, how often, the rule)\n", f);
        for (size_t i = 0; i < describe_array_length(a); i++) {
                json_object *e = describe_array_get_object(a, i);
                char buf[160], c[32];

                if (!e)
                        continue;
                (void) snprintf(buf, sizeof(buf), "%s: refused %s time(s)", describe_str(e, "asked") ?: "-",
                                count_or_unknown(e, "count", c, sizeof(c)));
                line(f, describe_str(e, "field") ?: "?", buf, describe_str(e, "rule"));
        }
}

int render_explain(json_object *nic, FILE *f) {
        if (!json_object_is_type(nic, json_type_object))
                return -EBADMSG;
        (void) fprintf(f, "%s/%s: %s, %s\n", describe_str(nic, "guest") ?: "?",
                        describe_str(nic, "name") ?: "?", describe_str(nic, "state") ?: "-",
                        describe_bool(nic, "in_sync") > 0 ? "in sync" : "not in sync");
        if (describe_str(nic, "config_error"))
                line(f, "configuration refused", describe_str(nic, "config_error"), NULL);
        explain_settings(nic, f);
        explain_inputs(nic, f);
        explain_decisions(nic, f);
        explain_uplinks(nic, f);
        explain_queues(nic, f);
        explain_refusals(nic, f);
        return ferror(f) ? -EIO : 0;
}
