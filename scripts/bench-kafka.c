/* The raw librdkafka baseline of `make bench-kafka`: the same produce and replay work as Bookshelf's Kafka
 * layer, as a plain C loop with the same client settings.
 *
 *   bench-kafka produce BOOTSTRAP TOPIC COUNT VALUE_FILE   acknowledged records/s (idempotent, acks=all)
 *   bench-kafka replay  BOOTSTRAP TOPIC COUNT              records/s reading every partition from the start
 *
 * Prints one line: "<mode> <count> <seconds> <records/s>", and on standard error the CPU time the process
 * spent in the timed part (every thread, librdkafka's included), as `bookshelf-bench kafka` does.
 *
 * BENCH_KAFKA_CONF="name=value,name=value" adds librdkafka properties after the benchmark's own, e.g.
 * "linger.ms=0,batch.num.messages=1" to write one record per batch, as a service does under light traffic. */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static long delivered, failed;

static double now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* User plus system CPU seconds of the whole process so far. */
static double cpu(void) {
        struct rusage usage;
        getrusage(RUSAGE_SELF, &usage);
        return usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
}

static void report_cpu(const char *mode, double seconds, long events) {
        fprintf(stderr, "%s: cpu %.2f s, %.2f µs/event\n", mode, seconds, events > 0 ? seconds / events * 1e6 : 0);
}

static void die(const char *what, const char *why) {
        fprintf(stderr, "bench-kafka: %s: %s\n", what, why);
        exit(1);
}

static void set(rd_kafka_conf_t *conf, const char *name, const char *value) {
        char errstr[512];
        if (rd_kafka_conf_set(conf, name, value, errstr, sizeof errstr) != RD_KAFKA_CONF_OK)
                die(name, errstr);
}

/* The properties of BENCH_KAFKA_CONF, if set; they win over the benchmark's own. */
static void set_from_environment(rd_kafka_conf_t *conf) {
        const char *text = getenv("BENCH_KAFKA_CONF");
        if (!text || !*text) return;
        char *copy = strdup(text), *rest = copy, *pair;
        while ((pair = strsep(&rest, ","))) {
                char *equals = strchr(pair, '=');
                if (!equals) die("BENCH_KAFKA_CONF", "expected name=value pairs separated by commas");
                *equals = '\0';
                set(conf, pair, equals + 1);
        }
        free(copy);
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
        (void)rk, (void)opaque;
        if (m->err) failed++; else delivered++;
}

static void produce(const char *bootstrap, const char *topic, long count, const char *value_file) {
        FILE *f = fopen(value_file, "rb");
        if (!f) die(value_file, "cannot open");
        static char value[65536];
        size_t len = fread(value, 1, sizeof value, f);
        fclose(f);

        char errstr[512];
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        set(conf, "bootstrap.servers", bootstrap);
        set(conf, "enable.idempotence", "true");
        set(conf, "acks", "all");
        set(conf, "linger.ms", "5");
        set(conf, "queue.buffering.max.messages", "100000");
        set_from_environment(conf);
        rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
        rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
        if (!rk) die("rd_kafka_new", errstr);

        /* Connection, producer id and topic metadata are set up by a first message outside the timing,
         * as the Swift side does, so both measure steady-state throughput. */
        rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY("warm-up", 7), RD_KAFKA_V_VALUE(value, len),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        rd_kafka_flush(rk, 10000);
        if (delivered != 1) die("warm-up", "the first message was not delivered");
        delivered = 0;

        double start = now(), cpu_start = cpu();
        char key[32];
        for (long i = 0; i < count; i++) {
                int keylen = snprintf(key, sizeof key, "book-%ld", i % 1000);
                for (;;) {
                        rd_kafka_resp_err_t err = rd_kafka_producev(
                            rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, (size_t)keylen),
                            RD_KAFKA_V_VALUE(value, len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                            RD_KAFKA_V_HEADER("content-type", "application/cloudevents+json", -1), RD_KAFKA_V_END);
                        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
                        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) die("produce", rd_kafka_err2str(err));
                        rd_kafka_poll(rk, 10);
                }
                rd_kafka_poll(rk, 0);
        }
        rd_kafka_flush(rk, 60000);
        double seconds = now() - start;
        report_cpu("produce", cpu() - cpu_start, delivered);
        if (failed || delivered != count) fprintf(stderr, "bench-kafka: %ld delivered, %ld failed\n", delivered, failed);
        printf("produce %ld %.3f %.0f\n", delivered, seconds, delivered / seconds);
        rd_kafka_destroy(rk);
}

static void replay(const char *bootstrap, const char *topic, long count) {
        /* From before the client exists, as the Swift side times its consumer's creation too. */
        double start = now(), cpu_start = cpu();
        char errstr[512];
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        set(conf, "bootstrap.servers", bootstrap);
        set(conf, "group.id", "bench-kafka-c");
        set(conf, "enable.auto.commit", "false");
        set(conf, "fetch.wait.max.ms", "10");
        set_from_environment(conf);
        rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
        if (!rk) die("rd_kafka_new", errstr);
        rd_kafka_poll_set_consumer(rk);

        rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
        const struct rd_kafka_metadata *md;
        rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
        if (err) die("metadata", rd_kafka_err2str(err));
        int partitions = md->topics[0].partition_cnt;
        rd_kafka_metadata_destroy(md);
        rd_kafka_topic_destroy(rkt);
        rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(partitions);
        for (int p = 0; p < partitions; p++)
                rd_kafka_topic_partition_list_add(list, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
        err = rd_kafka_assign(rk, list);
        rd_kafka_topic_partition_list_destroy(list);
        if (err) die("assign", rd_kafka_err2str(err));

        long seen = 0;
        size_t bytes = 0;
        while (seen < count) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 1000);
                if (!m) continue;
                if (!m->err) {
                        seen++;
                        bytes += m->len;
                }
                rd_kafka_message_destroy(m);
        }
        double seconds = now() - start;
        report_cpu("replay", cpu() - cpu_start, seen);
        printf("replay %ld %.3f %.0f\n", seen, seconds, seen / seconds);
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
}

int main(int argc, char **argv) {
        if (argc == 6 && !strcmp(argv[1], "produce")) produce(argv[2], argv[3], atol(argv[4]), argv[5]);
        else if (argc == 5 && !strcmp(argv[1], "replay")) replay(argv[2], argv[3], atol(argv[4]));
        else die("usage", "bench-kafka produce BOOTSTRAP TOPIC COUNT VALUE_FILE | replay BOOTSTRAP TOPIC COUNT");
        return 0;
}
