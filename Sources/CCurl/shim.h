#ifndef BOOKSHELF_CCURL_SHIM_H
#define BOOKSHELF_CCURL_SHIM_H

#include <curl/curl.h>
/* The HTTP client drives curl_multi_socket_action from its own epoll set, woken by an eventfd;
   Swift's Glibc module does not export these headers. */
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <pthread.h>
/* Names the client's thread for ps and perf; glibc declares it only under _GNU_SOURCE. */
extern int pthread_setname_np(pthread_t thread, const char *name);

/* curl_easy_setopt, curl_multi_setopt and curl_easy_getinfo are variadic;
   Swift cannot call them, so each argument type gets a typed wrapper. */
static inline CURLcode bs_curl_easy_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode bs_curl_easy_setopt_ptr(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode bs_curl_easy_setopt_str(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode bs_curl_easy_setopt_off(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode bs_curl_easy_setopt_write(CURL *h, CURLoption o,
    size_t (*f)(char *, size_t, size_t, void *)) { return curl_easy_setopt(h, o, f); }
static inline CURLcode bs_curl_easy_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode bs_curl_easy_getinfo_ptr(CURL *h, CURLINFO i, void **v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode bs_curl_easy_getinfo_double(CURL *h, CURLINFO i, double *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLMcode bs_curl_multi_setopt_long(CURLM *m, CURLMoption o, long v) { return curl_multi_setopt(m, o, v); }
static inline CURLMcode bs_curl_multi_setopt_ptr(CURLM *m, CURLMoption o, void *v) { return curl_multi_setopt(m, o, v); }
static inline CURLMcode bs_curl_multi_setopt_socketfunction(CURLM *m, curl_socket_callback f) { return curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, f); }

#endif
