/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Every fuzz target defines this. With -Dfuzz=true libFuzzer calls it; otherwise fuzz-main.c
 * replays a corpus through it. It must return 0 and must not keep state between calls. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
