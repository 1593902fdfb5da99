/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/* /proc/interrupts: the kernel prints one line per IRQ, "  25:  0  12  PCI-MSI 49152-edge  NAME",
 * the IRQ number and ':', a count per CPU, the chip, the hardware IRQ and trigger, then the names
 * of the handlers ("virtio2-input.0", "eth0-TxRx-3"), several joined by ", " for a shared IRQ. */

#define PROC_INTERRUPTS_NAME_MAX 64 /* a handler name longer than this is cut */

/* Finds IRQ 'irq' in 'text' ('len' bytes, need not be NUL-terminated) and copies the name of its
 * last handler (the last blank-separated word of its line) into 'buf' ('size' bytes, at most
 * PROC_INTERRUPTS_NAME_MAX used), cut short if needed, bytes outside printable ASCII replaced with
 * '?'. Returns 0; -ENOENT when the IRQ has no line or a line without a handler name (nothing
 * written then); -EINVAL for NULL arguments or 'size' 0. Lines that do not start with a number and
 * ':' (the CPU header, NMI, LOC ...) are skipped. */
int proc_interrupts_name(const char *text, size_t len, unsigned irq, char *buf, size_t size);
