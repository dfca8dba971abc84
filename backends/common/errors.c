/* Error strings and fatal/misuse reporting. */
#include <stdarg.h>
#include <string.h>

#include "goc_internal.h"

const char *goc_strerror(int err) {
    switch (err) {
    case 0: return "success";
    case -EPIPE: return "channel closed";
    case -EAGAIN: return "would block (try once: not ready)";
    case -ETIMEDOUT: return "deadline expired";
    case -EINVAL: return "invalid argument";
    case -ENOMEM: return "out of memory";
    case -ECANCELED: return "context canceled";
    case -EDEADLK: return "deadlock: all tasks are asleep";
    case -EBUSY: return "busy (mutex held)";
    case -EPERM: return "not permitted (unlock of unlocked mutex)";
    case -EBADF: return "bad file descriptor";
    case -ESHUTDOWN: return "runtime not running";
    default: return err < 0 ? strerror(-err) : "not an error code";
    }
}

void goc__fatal(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("goc: fatal: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    goc_tasks_report(stderr);
    abort();
}

void goc__misuse(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("goc: misuse: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
#ifdef GOC_DEBUG
    abort();
#endif
}
