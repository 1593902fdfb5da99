/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libvirt/libvirt-qemu.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "domain-xml-queues.h"
#include "libvirt-conn.h"
#include "libvirt-queues.h"
#include "nic-queues.h"
#include "nic.h"

typedef struct QueuesJob {
        Nic *nic;
        virDomainPtr domain;
        EtherAddr macs[2]; /* configured, then the guest's own: the agent reports what the guest uses */
        size_t n_macs;
        bool agent_slot;             /* holds the one guest-agent slot (loop thread only) */
        unsigned long long deadline; /* CLOCK_MONOTONIC usec: the job's agent commands end by then */
        LibvirtQueuesResult result;
} QueuesJob;

/* Guest-agent jobs queued or running: 0 or 1. Taken and given back on the loop thread only (submit,
 * done, free), so it needs no lock. */
static unsigned agent_jobs;

static void agent_slot_release(QueuesJob *j) {
        if (!j->agent_slot)
                return;
        agent_jobs--;
        j->agent_slot = false;
}

static void queues_job_free(void *data) {
        QueuesJob *j = data;

        agent_slot_release(j);
        if (j->domain)
                virDomainFree(j->domain);
        nic_unref(j->nic);
        free(j->result.stats);
        free(j->result.error);
        free(j);
}

_printf_(2, 3) static void job_fail(QueuesJob *j, const char *format, ...) {
        va_list ap;

        free(j->result.error);
        va_start(ap, format);
        if (vasprintf(&j->result.error, format, ap) < 0)
                j->result.error = NULL;
        va_end(ap);
        j->result.r = -EIO;
}

static void next_boot_run(QueuesJob *j) {
        _cleanup_free_ char *xml = NULL, *edited = NULL, *error = NULL;
        int r;

        r = virDomainIsPersistent(j->domain);
        if (r == 0) {
                j->result.permanent = true;
                return job_fail(j,
                                "the domain is transient: it has no persistent XML (virsh define it first)");
        }
        if (r < 0)
                return job_fail(j, "cannot tell whether the domain is persistent: %s",
                                virGetLastErrorMessage());
        /* SECURE: what is defined again keeps the passwords an XML without them would drop. */
        xml = virDomainGetXMLDesc(j->domain, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE);
        if (!xml)
                return job_fail(j, "cannot read the persistent domain XML: %s", virGetLastErrorMessage());
        r = domain_xml_set_queues(
                        xml, strlen(xml), &j->macs[0], j->result.pairs, &edited, &j->result.old, &error);
        if (r < 0)
                return job_fail(j, "%s", error ?: "cannot edit the persistent domain XML");
        if (r == 0)
                return;
        virDomainPtr d = virDomainDefineXML(virDomainGetConnect(j->domain), edited);
        if (!d)
                return job_fail(j, "cannot define the edited persistent domain XML: %s",
                                virGetLastErrorMessage());
        virDomainFree(d);
        j->result.written = true;
}

unsigned libvirt_agent_command_timeout_sec(unsigned long long now, unsigned long long deadline) {
        if (now >= deadline)
                return 0;
        return (unsigned) MIN(
                        (deadline - now) / USEC_PER_SEC, (unsigned long long) LIBVIRT_AGENT_TIMEOUT_SEC);
}

/* One agent command, within what is left of the job's time; NULL and the job failed when libvirt or
 * the agent said no, or no time is left. */
static char *agent(QueuesJob *j, const char *command, const char *what) {
        unsigned timeout = libvirt_agent_command_timeout_sec(now_usec(CLOCK_MONOTONIC), j->deadline);
        char *reply;

        if (timeout == 0) {
                job_fail(j, "%s not sent: the guest agent job's %d s are spent (%u command(s) sent)", what,
                                LIBVIRT_AGENT_JOB_SEC, j->result.agent_calls);
                j->result.r = -ETIMEDOUT;
                return NULL;
        }
        j->result.agent_calls++;
        reply = virDomainQemuAgentCommand(j->domain, command, (int) timeout, 0);
        if (!reply)
                job_fail(j, "%s: %s", what, virGetLastErrorMessage());
        return reply;
}

/* The guest's name of the NIC, by MAC, into j->result.dev. */
static int find_dev(QueuesJob *j) {
        _cleanup_free_ char *cmd = NULL, *reply = NULL, *error = NULL;
        int r = -ENOENT;

        if (guest_agent_interfaces_command(&cmd) < 0) {
                job_fail(j, "out of memory");
                return -ENOMEM;
        }
        reply = agent(j, cmd, "guest-network-get-interfaces");
        if (!reply)
                return -EIO;
        /* Several interfaces with a MAC (-ENOTUNIQ) end the search: acting on one of them could
         * change another NIC's queues. */
        for (size_t i = 0; i < j->n_macs && r == -ENOENT; i++)
                r = guest_agent_parse_interfaces(reply, strlen(reply), &j->macs[i], j->result.dev, &error);
        if (r == -ENOENT) {
                job_fail(j, "the guest agent reports no interface with the NIC's MAC");
                return r;
        }
        if (r < 0) {
                job_fail(j, "%s", error ?: "the guest agent's interfaces cannot be read");
                j->result.r = r;
                return r;
        }
        return 0;
}

/* Runs 'cmd' (a guest-exec of ethtool) and waits for it to exit with 0; 'what' names it in errors.
 * Its whole standard output in '*ret_stdout' (NULL: not wanted). The status is on the heap: it holds
 * up to GUEST_AGENT_STDOUT_MAX of output. */
static int run_ethtool(QueuesJob *j, const char *cmd, const char *what, char **ret_stdout) {
        _cleanup_free_ char *status_cmd = NULL, *reply = NULL, *error = NULL;
        _cleanup_free_ GuestExecStatus *st = new0(GuestExecStatus, 1);
        int64_t pid;

        if (!st) {
                job_fail(j, "out of memory");
                return -ENOMEM;
        }
        reply = agent(j, cmd, "guest-exec ethtool");
        if (!reply)
                return -EIO;
        j->result.exec_usec = now_usec(CLOCK_MONOTONIC); /* ethtool runs now, or has run */
        if (guest_agent_parse_exec(reply, strlen(reply), &pid, &error) < 0) {
                job_fail(j, "%s", error ?: "guest-exec: bad reply");
                return -EIO;
        }
        if (guest_agent_exec_status_command(pid, &status_cmd) < 0) {
                job_fail(j, "out of memory");
                return -ENOMEM;
        }
        /* A worker thread may wait: ethtool takes milliseconds; bounded all the same, by the job's
         * deadline. */
        for (bool first = true; !st->exited; first = false) {
                if (!first)
                        (void) nanosleep(&(struct timespec){.tv_nsec = 200 * 1000 * 1000}, NULL);
                if (libvirt_agent_command_timeout_sec(now_usec(CLOCK_MONOTONIC), j->deadline) == 0) {
                        job_fail(j, "%s did not exit in the guest within the guest agent job's %d s", what,
                                        LIBVIRT_AGENT_JOB_SEC);
                        j->result.r = -ETIMEDOUT;
                        return -ETIMEDOUT;
                }
                reply = mfree(reply);
                reply = agent(j, status_cmd, "guest-exec-status");
                if (!reply)
                        return -EIO;
                if (guest_agent_parse_exec_status(reply, strlen(reply), st, &error) < 0) {
                        job_fail(j, "%s", error ?: "guest-exec-status: bad reply");
                        return -EIO;
                }
        }
        if (st->signal > 0) {
                job_fail(j, "%s was killed by signal %d in the guest", what, st->signal);
                return -EIO;
        }
        if (st->exitcode != 0) {
                job_fail(j, "%s failed in the guest (exit code %d): %s", what, st->exitcode,
                                st->err[0]   ? st->err
                                : st->out[0] ? st->out
                                             : "no output");
                return -EIO;
        }
        if (!ret_stdout)
                return 0;
        if (st->stdout_cut) {
                job_fail(j, "%s: more output than %u bytes", what, GUEST_AGENT_STDOUT_MAX - 1);
                return -E2BIG;
        }
        *ret_stdout = strdup(st->stdout_text);
        if (!*ret_stdout) {
                job_fail(j, "out of memory");
                return -ENOMEM;
        }
        return 0;
}

/* 'ethtool -l DEV' in the guest into j->result.channels. */
static int read_channels(QueuesJob *j) {
        _cleanup_free_ char *cmd = NULL, *out = NULL, *error = NULL;
        char what[64];
        int r;

        if (guest_agent_ethtool_show_command(j->result.dev, &cmd) < 0) {
                job_fail(j, "out of memory");
                return -ENOMEM;
        }
        (void) snprintf(what, sizeof(what), "ethtool -l %s", j->result.dev);
        r = run_ethtool(j, cmd, what, &out);
        if (r < 0)
                return r;
        r = ethtool_channels_parse(out, strlen(out), &j->result.channels, &error);
        if (r < 0) {
                job_fail(j, "%s", error ?: "ethtool -l output cannot be read");
                return r;
        }
        j->result.has_channels = true;
        return 0;
}

/* 'ethtool -S DEV' in the guest into j->result.stats. */
static int read_stats(QueuesJob *j) {
        _cleanup_free_ char *cmd = NULL, *out = NULL, *error = NULL;
        _cleanup_free_ EthtoolStats *stats = new0(EthtoolStats, 1);
        char what[64];
        int r;

        if (!stats || guest_agent_ethtool_stats_command(j->result.dev, &cmd) < 0) {
                job_fail(j, "out of memory");
                return -ENOMEM;
        }
        (void) snprintf(what, sizeof(what), "ethtool -S %s", j->result.dev);
        r = run_ethtool(j, cmd, what, &out);
        if (r < 0)
                return r;
        r = ethtool_stats_parse(out, strlen(out), stats, &error);
        if (r < 0) {
                job_fail(j, "%s", error ?: "ethtool -S output cannot be read");
                return r;
        }
        j->result.stats = TAKE_PTR(stats);
        return 0;
}

static void guest_agent_run(QueuesJob *j) {
        _cleanup_free_ char *cmd = NULL;
        char what[64];

        if (find_dev(j) < 0)
                return;
        if (guest_agent_ethtool_command(j->result.dev, j->result.pairs, &cmd) < 0)
                return job_fail(j, "out of memory");
        (void) snprintf(what, sizeof(what), "ethtool -L %s combined %u", j->result.dev, j->result.pairs);
        if (run_ethtool(j, cmd, what, NULL) < 0)
                return;
        if (j->result.confirm && read_channels(j) < 0) {
                _cleanup_free_ char *e = TAKE_PTR(j->result.error);

                return job_fail(j, "%s ran in the guest, but %s", what, e ?: "ethtool -l failed");
        }
}

static void agent_read_run(QueuesJob *j) {
        if (find_dev(j) < 0)
                return;
        (void) read_channels(j);
}

static void queues_job_run(void *data) {
        QueuesJob *j = data;

        j->deadline = now_usec(CLOCK_MONOTONIC) + LIBVIRT_AGENT_JOB_SEC * USEC_PER_SEC;
        if (j->result.lever == LIBVIRT_QUEUES_NEXT_BOOT)
                next_boot_run(j);
        else if (j->result.lever == LIBVIRT_QUEUES_GUEST_AGENT)
                guest_agent_run(j);
        else if (j->result.lever == LIBVIRT_QUEUES_AGENT_STATS) {
                if (find_dev(j) >= 0)
                        (void) read_stats(j);
        } else
                agent_read_run(j);
}

static void queues_job_done(void *data) {
        QueuesJob *j = data;

        /* Given back first: what the result starts (the lever after a read) may take it at once. */
        agent_slot_release(j);
        if (j->result.lever == LIBVIRT_QUEUES_AGENT_READ)
                nic_queues_agent_done(j->nic, &j->result);
        else if (j->result.lever == LIBVIRT_QUEUES_AGENT_STATS)
                nic_queues_guest_stats_done(j->nic, &j->result);
        else
                nic_queues_action_done(j->nic, &j->result);
}

static int queues_submit(LibvirtConn *lc, Nic *n, LibvirtQueuesLever lever, unsigned pairs, bool confirm) {
        LibvirtWorker *w = libvirt_conn_worker(lc);
        QueuesJob *j;
        int r;

        if (!w || !n->guest || !n->guest->domain)
                return -ENOTCONN;
        if (!n->has_interface || !n->iface.has_mac)
                return -EINVAL;
        if (lever != LIBVIRT_QUEUES_NEXT_BOOT && agent_jobs > 0)
                return -EBUSY; /* one guest-agent job at a time: the other worker stays free */
        j = new0(QueuesJob, 1);
        if (!j)
                return -ENOMEM;
        if (lever != LIBVIRT_QUEUES_NEXT_BOOT) {
                j->agent_slot = true;
                agent_jobs++;
        }
        j->nic = nic_ref(n);
        j->domain = n->guest->domain;
        (void) virDomainRef(j->domain);
        j->macs[j->n_macs++] = n->iface.mac;
        if (n->has_asked && !ether_addr_equal(&n->asked.main_mac, &n->iface.mac))
                j->macs[j->n_macs++] = n->asked.main_mac;
        j->result.lever = lever;
        j->result.pairs = pairs;
        j->result.confirm = confirm;
        r = libvirt_worker_submit(w, NULL, queues_job_run, queues_job_done, queues_job_free, j);
        if (r < 0)
                queues_job_free(j);
        return r;
}

int libvirt_queues_apply(LibvirtConn *lc, Nic *n, LibvirtQueuesLever lever, unsigned pairs, bool confirm) {
        if (lever == LIBVIRT_QUEUES_AGENT_READ || lever == LIBVIRT_QUEUES_AGENT_STATS)
                return -EINVAL;
        return queues_submit(lc, n, lever, pairs, confirm);
}

int libvirt_queues_read(LibvirtConn *lc, Nic *n) {
        return queues_submit(lc, n, LIBVIRT_QUEUES_AGENT_READ, 0, false);
}

int libvirt_queues_read_stats(LibvirtConn *lc, Nic *n) {
        return queues_submit(lc, n, LIBVIRT_QUEUES_AGENT_STATS, 0, false);
}
