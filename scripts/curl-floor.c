/* The floor of the gateway's upstream side, for `bench-gateway.py --floors`: one thread drives libcurl's multi
 * interface (the socket API over epoll, as Sources/BookshelfHTTPClient does) with CONCURRENCY keep-alive GETs to URL in
 * flight, adding each easy handle again as soon as its transfer ends, and copying each body as a client would.
 * After one second of warm-up it counts for SECONDS and prints requests/s and this process's CPU (user + system)
 * per request.   usage: curl-floor URL CONCURRENCY SECONDS */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>

struct transfer { char *body; size_t length, capacity; };

static int epoll_set;

static size_t on_body(char *data, size_t size, size_t count, void *context) {
    struct transfer *transfer = context;
    size_t bytes = size * count;
    if (transfer->length + bytes > transfer->capacity) {
        size_t capacity = (transfer->length + bytes) * 2;
        char *grown = realloc(transfer->body, capacity);
        if (!grown) return 0;
        transfer->body = grown;
        transfer->capacity = capacity;
    }
    memcpy(transfer->body + transfer->length, data, bytes);
    transfer->length += bytes;
    return bytes;
}

static size_t on_header(char *data, size_t size, size_t count, void *context) {
    (void)data; (void)context;
    return size * count;
}

static int on_socket(CURL *easy, curl_socket_t socket, int what, void *context, void *socket_context) {
    (void)easy; (void)context; (void)socket_context;
    struct epoll_event event = { .data.fd = socket };
    if (what == CURL_POLL_REMOVE) return epoll_ctl(epoll_set, EPOLL_CTL_DEL, socket, &event), 0;
    event.events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
    if (epoll_ctl(epoll_set, EPOLL_CTL_MOD, socket, &event) != 0) epoll_ctl(epoll_set, EPOLL_CTL_ADD, socket, &event);
    return 0;
}

static double now(void) {
    struct timespec time;
    clock_gettime(CLOCK_MONOTONIC, &time);
    return time.tv_sec + time.tv_nsec / 1e9;
}

static double cpu_seconds(void) {
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s URL CONCURRENCY SECONDS\n", argv[0]);
        return 2;
    }
    const char *url = argv[1];
    int concurrency = atoi(argv[2]);
    double seconds = atof(argv[3]);
    if (concurrency < 1 || seconds <= 0) {
        fprintf(stderr, "CONCURRENCY and SECONDS must be positive\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURLM *multi = curl_multi_init();
    epoll_set = epoll_create1(EPOLL_CLOEXEC);
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long)concurrency * 2);
    curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    struct transfer *transfers = calloc(concurrency, sizeof *transfers);
    struct curl_slist *headers = curl_slist_append(NULL, "X-Request-Id: 3f2b8c1e-9d4a-4b7e-8f10-2a6c5d9e0b71");
    for (int index = 0; index < concurrency; index++) {
        CURL *easy = curl_easy_init();
        curl_easy_setopt(easy, CURLOPT_URL, url);
        curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(easy, CURLOPT_PROXY, "");
        curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L);
        curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(easy, CURLOPT_WRITEDATA, &transfers[index]);
        curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(easy, CURLOPT_PRIVATE, &transfers[index]);
        curl_multi_add_handle(multi, easy);
    }
    long finished = 0, failed = 0, counted_from = 0;
    int running = 0;
    double start = now(), counting_since = 0, cpu_since = 0;
    struct epoll_event events[64];
    for (;;) {
        double time = now();
        if (counting_since == 0 && time - start >= 1) {
            counting_since = time;
            cpu_since = cpu_seconds();
            counted_from = finished;
        }
        if (counting_since != 0 && time - counting_since >= seconds) break;
        CURLMsg *message;
        int left;
        while ((message = curl_multi_info_read(multi, &left))) {
            if (message->msg != CURLMSG_DONE) continue;
            CURL *easy = message->easy_handle;
            struct transfer *transfer;
            long status = 0;
            curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&transfer);
            curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
            if (message->data.result != CURLE_OK || status != 200) failed++;
            finished++;
            transfer->length = 0;
            curl_multi_remove_handle(multi, easy);
            curl_multi_add_handle(multi, easy);
        }
        long timeout = -1;
        curl_multi_timeout(multi, &timeout);
        int ready = epoll_wait(epoll_set, events, 64, timeout < 0 ? 100 : (int)timeout);
        for (int index = 0; index < ready; index++) {
            uint32_t got = events[index].events;
            int mask = (got & (EPOLLIN | EPOLLHUP) ? CURL_CSELECT_IN : 0) | (got & EPOLLOUT ? CURL_CSELECT_OUT : 0)
                | (got & EPOLLERR ? CURL_CSELECT_ERR : 0);
            curl_multi_socket_action(multi, events[index].data.fd, mask, &running);
        }
        if (ready == 0) curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running);
    }
    long requests = finished - counted_from;
    double elapsed = now() - counting_since, cpu = cpu_seconds() - cpu_since;
    if (requests == 0) {
        fprintf(stderr, "no request finished in %.0f s\n", seconds);
        return 1;
    }
    printf("%.0f requests/s, %.1f us CPU/request, %ld failed\n", requests / elapsed, cpu * 1e6 / requests, failed);
    return failed == 0 ? 0 : 1;
}
