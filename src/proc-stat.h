/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Parsers of the kernel's per-task text files: /proc/<pid>/stat and /proc/<pid>/task/<tid>/stat
 * (proc(5)), and the Tgid line of /proc/<tid>/status. Pure: they read the bytes given, nothing
 * else. Any process can name itself anything (prctl PR_SET_NAME), so the name is parsed as the
 * kernel prints it, between the first '(' and the LAST ')', and is bounded. */

#define PROC_COMM_MAX 64 /* with the NUL: TASK_COMM_LEN is 16, kernel thread names up to 64 */

typedef struct ProcStat {
        pid_t pid;                /* field 1 */
        char comm[PROC_COMM_MAX]; /* field 2, without the parentheses; may hold ' ', '(' and ')' */
        char state;               /* field 3: 'R', 'S', 'D', 'Z', 'I', ... */
        pid_t ppid;               /* field 4: 2 (kthreadd) for a kernel thread */
        uint64_t utime;           /* field 14, clock ticks (sysconf(_SC_CLK_TCK)) */
        uint64_t stime;           /* field 15, clock ticks */
        int processor;            /* field 39: the CPU it last ran on; -1 when the line is shorter */
} ProcStat;

/* Parses one stat line of 'len' bytes ('text' need not be NUL-terminated; a NUL ends it). Fields up
 * to stime are required, later ones are read as far as they go. Returns 0 and fills 'ret'; -EINVAL
 * for anything else (no parentheses, a field missing or not a number, a pid or ppid out of range),
 * -E2BIG for a name of PROC_COMM_MAX bytes or more. 'ret' untouched on failure. */
int proc_stat_parse(const char *text, size_t len, ProcStat *ret);

/* The thread group (process) a task belongs to, from the "Tgid:" line of /proc/<tid>/status
 * ('len' bytes). Returns 0, -ENODATA when there is no such line, -EINVAL when it is not a pid
 * above 0. 'ret' untouched on failure. */
int proc_status_tgid(const char *text, size_t len, pid_t *ret);

/* The real uid of a task, the first of the four numbers (real, effective, saved set, filesystem)
 * of the "Uid:" line of /proc/<pid>/status ('len' bytes). Returns 0, -ENODATA when there is no
 * such line, -EINVAL when it does not hold four uids. 'ret' untouched on failure. */
int proc_status_uid(const char *text, size_t len, uid_t *ret);
