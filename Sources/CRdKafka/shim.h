#ifndef BOOKSHELF_CRDKAFKA_SHIM_H
#define BOOKSHELF_CRDKAFKA_SHIM_H

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

/* Swift cannot import macros that contain casts. */
static const int32_t bookshelf_rdk_partition_ua = RD_KAFKA_PARTITION_UA;
static const int64_t bookshelf_rdk_offset_beginning = RD_KAFKA_OFFSET_BEGINNING;
static const int64_t bookshelf_rdk_offset_end = RD_KAFKA_OFFSET_END;
static const int bookshelf_rdk_msg_f_copy = RD_KAFKA_MSG_F_COPY;
static const int bookshelf_rdk_purge_all = RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT;

/* One produce call with typed arguments instead of rd_kafka_producev's
 * variadics: key, value and header values are copied by librdkafka, `opaque`
 * comes back in the delivery report. The caller owns (and must destroy) the
 * returned error; NULL means the message was enqueued. */
static inline rd_kafka_error_t *
bookshelf_rdk_produce(rd_kafka_t *rk, const char *topic, int32_t partition,
                      const void *key, size_t key_size,
                      const void *value, size_t value_size,
                      const char *const *header_names,
                      const void *const *header_values,
                      const size_t *header_sizes, size_t header_count,
                      void *opaque) {
        rd_kafka_vu_t vus[6 + header_count];
        size_t n = 0;
        vus[n].vtype = RD_KAFKA_VTYPE_TOPIC;
        vus[n++].u.cstr = topic;
        vus[n].vtype = RD_KAFKA_VTYPE_PARTITION;
        vus[n++].u.i32 = partition;
        vus[n].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
        vus[n++].u.i = RD_KAFKA_MSG_F_COPY;
        vus[n].vtype = RD_KAFKA_VTYPE_VALUE;
        vus[n].u.mem.ptr = (void *)value;
        vus[n++].u.mem.size = value_size;
        if (key != NULL) {
                vus[n].vtype = RD_KAFKA_VTYPE_KEY;
                vus[n].u.mem.ptr = (void *)key;
                vus[n++].u.mem.size = key_size;
        }
        vus[n].vtype = RD_KAFKA_VTYPE_OPAQUE;
        vus[n++].u.ptr = opaque;
        for (size_t i = 0; i < header_count; i++) {
                vus[n].vtype = RD_KAFKA_VTYPE_HEADER;
                vus[n].u.header.name = header_names[i];
                vus[n].u.header.val = header_values[i];
                vus[n++].u.header.size = (ssize_t)header_sizes[i];
        }
        return rd_kafka_produceva(rk, vus, n);
}

/* Names the calling thread (Linux keeps 15 bytes) for ps, top and perf. pthread_setname_np needs
   _GNU_SOURCE, which Swift's Glibc module does not define, and prctl is variadic. */
#ifdef __linux__
#include <sys/prctl.h>
#endif
static inline void bookshelf_name_current_thread(const char *name) {
#ifdef __linux__
    prctl(PR_SET_NAME, name, 0, 0, 0);
#else
    (void)name;
#endif
}

#endif
