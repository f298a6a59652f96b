// The only C in Sluice: calls Swift cannot make because their C declarations
// are variadic (each function is a one-line, non-variadic forwarder: prctl,
// libcurl's setopt and getinfo), and system headers the Glibc module leaves out.
#ifndef CSLUICE_SHIM_H
#define CSLUICE_SHIM_H

#include <sys/prctl.h>

// Linux headers Swift's Glibc module does not export; included here so Swift
// sees their declarations (no functions of ours): the HTTP server's event loop.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

/// accept(2) with flags, so an accepted socket is non-blocking and close-on-exec
/// from birth (no window in which a spawned child could inherit it). glibc
/// declares it only under _GNU_SOURCE, which the Glibc module is built without.
extern int accept4(int sockfd, struct sockaddr *addr, socklen_t *addrlen, int flags);

/// Asks the kernel to send `signal` to the calling process when its parent
/// thread exits (prctl(2), PR_SET_PDEATHSIG). Returns 0 or -1 with errno set.
static inline int sluice_set_parent_death_signal(int signal) {
    return prctl(PR_SET_PDEATHSIG, (unsigned long)signal, 0UL, 0UL, 0UL);
}

/// Sets the calling thread's timer slack (prctl(2), PR_SET_TIMERSLACK) to
/// `nanoseconds`: how late the kernel may wake its timed sleeps to batch
/// wake-ups (50 µs by default). Returns 0 or -1 with errno set.
static inline int sluice_set_timer_slack(unsigned long nanoseconds) {
    return prctl(PR_SET_TIMERSLACK, nanoseconds, 0UL, 0UL, 0UL);
}

/// libcurl's variadic entry points, called through the pointers the worker
/// finds with dlsym (no libcurl headers or link-time dependency: it is loaded
/// at run time, see HTTPExecutor). One forwarder per argument type.
typedef int (*sluice_curl_easy_setopt_fn)(void *handle, int option, ...);
typedef int (*sluice_curl_easy_getinfo_fn)(void *handle, int info, ...);

static inline int sluice_curl_setopt_long(void *setopt, void *handle, int option, long value) {
    return ((sluice_curl_easy_setopt_fn)setopt)(handle, option, value);
}

static inline int sluice_curl_setopt_pointer(void *setopt, void *handle, int option, const void *value) {
    return ((sluice_curl_easy_setopt_fn)setopt)(handle, option, value);
}

/// curl_off_t is 64-bit on every platform Swift runs on.
static inline int sluice_curl_setopt_offset(void *setopt, void *handle, int option, long long value) {
    return ((sluice_curl_easy_setopt_fn)setopt)(handle, option, value);
}

static inline int sluice_curl_getinfo_long(void *getinfo, void *handle, int info, long *value) {
    return ((sluice_curl_easy_getinfo_fn)getinfo)(handle, info, value);
}

#endif
