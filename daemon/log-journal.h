/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "log.h"

/* Sends log lines with their fields to the journal when running under systemd; else stderr. */
void log_setup_daemon(void);
