/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "macro.h"
#include "qmp-message.h"
#include "rx-filter.h"

/* The whole path of bytes from QEMU's socket: QmpReader splits them into lines, each line goes to
 * qmp_message_parse(), and a reply goes on to rx_filter_list_parse() as the daemon does with
 * query-rx-filter. The input is the stream itself; its first two bytes also pick the reader's line
 * bound and the size of the pieces it is fed in, so seeds stay plain QMP text. */

static void check_line(const char *line, size_t len) {
        _cleanup_(qmp_message_done) QmpMessage m = {};
        _cleanup_free_ char *error = NULL;
        int r;

        r = qmp_message_parse(line, len, &m, &error);
        if (r < 0) {
                if (!error)
                        abort(); /* every refusal says why */
                return;
        }
        if (m.type < 0 || m.type >= _QMP_MESSAGE_TYPE_MAX || !qmp_message_type_to_string(m.type))
                abort();

        if (m.type == QMP_MESSAGE_RETURN) {
                _cleanup_free_ RxFilter *list = NULL;
                _cleanup_free_ char *rx_error = NULL, *status = NULL;
                size_t n = 0;

                if (!m.return_json)
                        abort();
                /* query-status's reply, as the daemon reads it */
                r = qmp_message_return_member_string(&m, "status", &status);
                if (r >= 0 && (!status || strlen(status) > QMP_STRING_MAX))
                        abort();
                /* query-cpus-fast's, likewise */
                {
                        _cleanup_free_ QmpVcpu *vcpus = NULL;
                        _cleanup_free_ char *vcpu_error = NULL;
                        size_t n_vcpus = 0;

                        r = qmp_message_return_vcpus(&m, &vcpus, &n_vcpus, &vcpu_error);
                        if (r < 0 ? !vcpu_error && r != -ENOMEM : n_vcpus > QMP_VCPUS_MAX)
                                abort();
                        for (size_t i = 0; r >= 0 && i < n_vcpus; i++)
                                if (vcpus[i].thread_id <= 0)
                                        abort();
                }
                r = rx_filter_list_parse(m.return_json, strlen(m.return_json), &list, &n, &rx_error);
                if (r < 0 ? !rx_error : n > RX_FILTER_LIST_MAX)
                        abort();
        } else if (m.type == QMP_MESSAGE_EVENT) {
                if (!m.event || strlen(m.event) > QMP_STRING_MAX)
                        abort();
        } else if (m.type == QMP_MESSAGE_ERROR) {
                if (!m.error_class || !m.error_desc)
                        abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        size_t max_line = 0, chunk = size, off = 0;
        QmpReader reader;

        if (size >= 1 && data[0] >= 0x80)
                max_line = (size_t) (data[0] - 0x7f) * 4; /* 4..512: small enough to overflow */
        if (size >= 2)
                chunk = 1 + data[1] % 97;

        qmp_reader_init(&reader, max_line);
        while (off < size) {
                size_t n = MIN(chunk, size - off);
                const char *line;
                size_t len;
                int r;

                if (qmp_reader_feed(&reader, data + off, n) < 0)
                        break;
                off += n;

                while ((r = qmp_reader_next_line(&reader, &line, &len)) != 0) {
                        if (r == -E2BIG)
                                continue;
                        if (r != 1 || len > reader.max_line || line[len] != 0)
                                abort();
                        check_line(line, len);
                }
                /* what is held is bounded by the line limit, whatever came in */
                if (reader.len - reader.start > reader.max_line + 2)
                        abort();
        }
        qmp_reader_done(&reader);
        return 0;
}
