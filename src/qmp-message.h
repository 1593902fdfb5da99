/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The QMP wire protocol: QEMU sends one JSON object per line ("\r\n"-terminated): a greeting,
 * then replies ("return" or "error", carrying the "id" we sent) interleaved with events at any
 * time. QmpReader splits the byte stream into lines with a bound; qmp_message_parse() turns one
 * line into a flat QmpMessage. Nothing here does I/O. */

#define QMP_LINE_MAX       (4u * 1024u * 1024u) /* 256 NICs of ~1 KiB; ~170 with "vlan":"all" (~24 KiB each) */
#define QMP_JSON_DEPTH_MAX 16                   /* as json-c counts: [1] is 2 deep, a reply line 5 */
#define QMP_STRING_MAX     4096                 /* event names, error texts, NIC paths */

typedef enum QmpMessageType {
        QMP_MESSAGE_GREETING,
        QMP_MESSAGE_RETURN,
        QMP_MESSAGE_ERROR,
        QMP_MESSAGE_EVENT,
        _QMP_MESSAGE_TYPE_MAX,
        _QMP_MESSAGE_TYPE_INVALID = -EINVAL,
} QmpMessageType;

typedef struct QmpMessage {
        QmpMessageType type;
        bool has_id; /* reply carried a numeric "id" (we always send numbers) */
        uint64_t id;
        char *event;             /* EVENT: event name, e.g. "NIC_RX_FILTER_CHANGED" */
        char *event_name;        /* EVENT: data.name (NIC id), when present */
        char *event_path;        /* EVENT: data.path (QOM path), when present */
        uint64_t timestamp_usec; /* EVENT: QEMU's timestamp (realtime), 0 if absent */
        char *error_class;       /* ERROR: "GenericError", … */
        char *error_desc;        /* ERROR: human text */
        char *return_json;       /* RETURN: the "return" value re-serialized (compact JSON) */
        unsigned version_major;  /* GREETING: QEMU version */
        unsigned version_minor;
        unsigned version_micro;
} QmpMessage;

/* Parses one line (without the line terminator; 'len' bytes, need not be NUL-terminated). Returns
 * 0 and fills 'ret' (free with qmp_message_done()), or a negative errno with a malloc'ed reason
 * in '*ret_error' when that is not NULL: -EINVAL for invalid JSON / not an object / unknown
 * message kind (or more than one) / missing or mistyped fields, -E2BIG for a line over
 * QMP_LINE_MAX or nesting over QMP_JSON_DEPTH_MAX, -ENAMETOOLONG for a string over QMP_STRING_MAX.
 * An "id" that is not a non-negative integer leaves 'has_id' false (we never send such ids); a
 * timestamp that is negative or out of range leaves 'timestamp_usec' 0. */
int qmp_message_parse(const char *line, size_t len, QmpMessage *ret, char **ret_error);
void qmp_message_done(QmpMessage *m);

const char *qmp_message_type_to_string(QmpMessageType t);

/* For a RETURN whose value is a JSON string (HMP's "human-monitor-command"): the decoded string,
 * malloc'ed. -EINVAL when the message is not that. A string with an embedded NUL ends there. */
int qmp_message_return_string(const QmpMessage *m, char **ret);

/* For a RETURN whose value is an object: its member 'key' as a malloc'ed string (query-status's
 * "status"). -EINVAL when the value is not an object or the member not a string, -ENAMETOOLONG
 * over QMP_STRING_MAX. */
int qmp_message_return_member_string(const QmpMessage *m, const char *key, char **ret);

/* One vCPU of query-cpus-fast: QEMU's index and the host thread that runs it. */
typedef struct QmpVcpu {
        unsigned cpu_index;
        int thread_id; /* a host TID; QEMU reports its own PID when vCPUs have no thread of their own */
} QmpVcpu;

#define QMP_VCPUS_MAX 4096 /* QEMU 7.2 allows at most 1024 (q35) or 288 (pc) per guest on x86 */

/* For the RETURN of query-cpus-fast: the vCPUs, a malloc'ed array (NULL when empty). -EINVAL with a
 * message in '*ret_error' (when not NULL) for anything but an array of objects with a non-negative
 * integer "cpu-index" and a positive "thread-id" below INT_MAX, or an index given twice; -E2BIG
 * past QMP_VCPUS_MAX. Other members are ignored. */
int qmp_message_return_vcpus(const QmpMessage *m, QmpVcpu **ret, size_t *ret_n, char **ret_error);

/* Builds a command line ready to write, "\r\n" included: {"execute":…,"arguments":{…},"id":N}.
 * 'args' is NULL or a NULL-terminated list of key, value pairs, all strings. An 'id' of 0 leaves
 * "id" out (a command passed through libvirt, which numbers commands itself). */
int qmp_command_build(const char *execute, const char *const *args, uint64_t id, char **ret);

typedef struct QmpReader {
        char *buf;
        size_t len; /* bytes held */
        size_t alloc;
        size_t max_line;
        bool discarding; /* skipping the rest of an over-long line */
        size_t start;    /* buf[0, start) was handed out already */
        size_t tail;     /* buf[start, tail) holds complete lines, buf[tail, len) a partial one */
} QmpReader;

/* 'max_line' of 0 means QMP_LINE_MAX. */
void qmp_reader_init(QmpReader *r, size_t max_line);
void qmp_reader_done(QmpReader *r);

/* Appends received bytes. -ENOMEM only (the bytes may then be partly taken: drop the connection).
 * Holds at most the complete lines not yet taken plus max_line + 2 bytes of the line arriving. */
int qmp_reader_feed(QmpReader *r, const void *data, size_t n);

/* Takes the next complete line out of the buffer: returns 1 and points '*ret_line'/'*ret_len' at it
 * (valid until the next qmp_reader_feed() or qmp_reader_next_line() call; terminator stripped,
 * NUL-terminated), 0 when no complete line is buffered, -E2BIG once for a line longer than
 * max_line (its bytes are dropped up to the next newline, so the stream resynchronises without
 * holding the whole line in memory; reported as soon as it is known, which may be before its
 * newline arrives). Blank lines are skipped. A line may contain NUL bytes: use '*ret_len'. */
int qmp_reader_next_line(QmpReader *r, const char **ret_line, size_t *ret_len);
