/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "describe-reader.h"
#include "macro.h"
#include "render.h"
#include "table.h"

/* The placement of a guest's vhost workers and of the queue IRQs of the uplink they go with, for
 * 'vnicctl show' (a Placement block) and 'vnicctl explain' (its inputs and each rule). Both read
 * the document's "placement" and the guest's: the reasons are the daemon's. */

#define KEY_WIDTH 13 /* as the rest of 'vnicctl show' */

static void field_start(FILE *f, const char *key) {
        (void) fprintf(f, "%*s: ", KEY_WIDTH, key);
}

static json_object *find_uplink(json_object *doc, const char *name) {
        json_object *uplinks = describe_array(describe_object(doc, "placement"), "uplinks");

        for (size_t i = 0; name && i < describe_array_length(uplinks); i++) {
                json_object *u = describe_array_get_object(uplinks, i);

                if (u && streq_ptr(describe_str(u, "name"), name))
                        return u;
        }
        return NULL;
}

/* "CPUS (now CUR, applied)", "left alone (now CUR)", "CPUS (now CUR, not applied: ERROR)". */
static void print_item_cpus(json_object *it, FILE *f) {
        const char *wanted = describe_str(it, "wanted"), *current = describe_str(it, "current");
        const char *error = describe_str(it, "error");

        if (wanted) {
                (void) fputs("CPUs ", f);
                fputs_escaped(wanted, f);
        } else
                (void) fputs("left alone", f);
        (void) fputs(" (now ", f);
        fputs_escaped(current ?: "-", f);
        if (wanted)
                (void) fputs(describe_bool(it, "applied") > 0 ? ", applied" : ", not applied", f);
        if (error) {
                (void) fputs(": ", f);
                fputs_escaped(error, f);
        }
        (void) fputs(")", f);
}

static void print_threads(json_object *gp, FILE *f) {
        json_object *threads = describe_array(gp, "vcpu_threads");

        for (size_t i = 0; i < describe_array_length(threads); i++) {
                json_object *t = describe_array_get_object(threads, i);
                int64_t tid;

                if (!t || describe_int(t, "tid", &tid) < 0)
                        continue;
                (void) fprintf(f, "%s%" PRIi64 " CPUs ", i > 0 ? ", " : "", tid);
                fputs_escaped(describe_str(t, "cpus") ?: "-", f);
        }
        if (describe_array_length(threads) == 0)
                (void) fputs("none known", f);
}

/* A CPU list of the document; "" is the empty set. */
static void print_cpus(json_object *o, const char *key, FILE *f) {
        const char *s = describe_str(o, key);

        fputs_escaped(!s ? "-" : *s ? s : "none", f);
}

static void print_uplink_summary(json_object *u, FILE *f) {
        int64_t node, changes;

        (void) fputs("uplink ", f);
        fputs_escaped(describe_str(u, "name") ?: "-", f);
        (void) fprintf(f, " (%s), ", describe_str(u, "mode") ?: "-");
        if (describe_int(u, "numa_node", &node) >= 0) {
                (void) fprintf(f, "NUMA node %" PRIi64 " CPUs ", node);
                fputs_escaped(describe_str(u, "node_cpus") ?: "-", f);
        } else
                (void) fputs("NUMA node unknown", f);
        if (describe_int(u, "changes", &changes) >= 0)
                (void) fprintf(f, ", %" PRIi64 " write%s", changes, changes == 1 ? "" : "s");
        if (describe_str(u, "last_change")) {
                (void) fputs(", last ", f);
                fputs_escaped(describe_str(u, "last_change"), f);
        }
}

int render_show_placement(json_object *doc, json_object *g, FILE *f) {
        json_object *gp = describe_object(g, "placement"), *u, *irqs, *workers;
        const char *uplink;

        if (!gp)
                return 0; /* a daemon without placement */
        uplink = describe_str(gp, "uplink");
        u = find_uplink(doc, uplink);
        field_start(f, "Placement");
        if (u)
                print_uplink_summary(u, f);
        else {
                (void) fputs("none (", f);
                fputs_escaped(describe_str(gp, "reason") ?: "-", f);
                (void) fputc(')', f);
        }
        (void) fputc('\n', f);
        field_start(f, "vCPU threads");
        print_threads(gp, f);
        (void) fputc('\n', f);
        workers = describe_array(gp, "workers");
        for (size_t i = 0; i < describe_array_length(workers); i++) {
                json_object *w = describe_array_get_object(workers, i);
                int64_t tid;

                if (!w || describe_int(w, "tid", &tid) < 0)
                        continue;
                field_start(f, "Worker");
                (void) fprintf(f, "%" PRIi64 " ", tid);
                print_item_cpus(w, f);
                (void) fputc('\n', f);
        }
        irqs = describe_array(u, "irqs");
        for (size_t i = 0; i < describe_array_length(irqs); i++) {
                json_object *q = describe_array_get_object(irqs, i);
                int64_t irq;

                if (!q || describe_int(q, "irq", &irq) < 0)
                        continue;
                field_start(f, "Uplink IRQ");
                (void) fprintf(f, "%" PRIi64 " ", irq);
                fputs_escaped(describe_str(q, "name") ?: "-", f);
                (void) fputc(' ', f);
                print_item_cpus(q, f);
                (void) fputc('\n', f);
        }
        if (describe_str(u, "irqbalance")) {
                field_start(f, "irqbalance");
                fputs_escaped(describe_str(u, "irqbalance"), f);
                (void) fputc('\n', f);
        }
        return ferror(f) ? -EIO : 0;
}

static void explain_item(const char *what, json_object *it, FILE *f) {
        (void) fprintf(f, "  %s: ", what);
        print_item_cpus(it, f);
        (void) fputs("\n    rule ", f);
        fputs_escaped(describe_str(it, "rule") ?: "-", f);
        (void) fputs(": ", f);
        fputs_escaped(describe_str(it, "reason") ?: "-", f);
        (void) fputc('\n', f);
}

int render_explain_placement(json_object *doc, json_object *g, FILE *f) {
        json_object *p = describe_object(doc, "placement"), *gp = describe_object(g, "placement"), *u;
        json_object *items;
        char what[96];

        if (!p || !gp)
                return 0;
        u = find_uplink(doc, describe_str(gp, "uplink"));
        (void) fputs("Placement inputs\n  uplink: ", f);
        if (u)
                print_uplink_summary(u, f);
        else
                (void) fputs("none", f);
        (void) fputs("\n  why this uplink: ", f);
        fputs_escaped(describe_str(gp, "reason") ?: "-", f);
        if (u) {
                (void) fputs("\n  its NUMA node: ", f);
                fputs_escaped(describe_str(u, "reason") ?: "-", f);
        }
        (void) fputs("\n  online CPUs: ", f);
        print_cpus(p, "online_cpus", f);
        (void) fputs(", reserved (ReservedCPUs=): ", f);
        print_cpus(p, "reserved_cpus", f);
        (void) fputs(", isolated: ", f);
        print_cpus(p, "isolated_cpus", f);
        (void) fputs("\n  pinned vCPUs of all guests: ", f);
        print_cpus(p, "pinned_vcpus", f);
        (void) fputs("\n  this guest's vCPU threads: ", f);
        print_threads(gp, f);
        (void) fprintf(f, " (%s)\n",
                        describe_bool(gp, "vcpus_pinned") > 0 ? "pinned" : "not pinned: cannot be avoided");
        if (u && describe_str(u, "irqbalance")) {
                (void) fputs("  irqbalance: ", f);
                fputs_escaped(describe_str(u, "irqbalance"), f);
                (void) fputc('\n', f);
        }
        (void) fputs("Placement rules\n", f);
        items = describe_array(gp, "workers");
        for (size_t i = 0; i < describe_array_length(items); i++) {
                json_object *w = describe_array_get_object(items, i);
                int64_t tid = 0;

                if (!w)
                        continue;
                (void) describe_int(w, "tid", &tid);
                (void) snprintf(what, sizeof(what), "vhost worker %" PRIi64, tid);
                explain_item(what, w, f);
        }
        items = describe_array(u, "irqs");
        for (size_t i = 0; i < describe_array_length(items); i++) {
                json_object *q = describe_array_get_object(items, i);
                int64_t irq = 0;

                if (!q)
                        continue;
                (void) describe_int(q, "irq", &irq);
                (void) snprintf(what, sizeof(what), "IRQ %" PRIi64 " %s", irq,
                                describe_str(q, "name") ?: "-");
                explain_item(what, q, f);
        }
        if (describe_array_length(describe_array(gp, "workers")) == 0 && describe_array_length(items) == 0)
                (void) fputs("  nothing to place\n", f);
        return ferror(f) ? -EIO : 0;
}
