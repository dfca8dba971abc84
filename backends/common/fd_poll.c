/* goc_fd_wait for the thread backends: the task is a thread, so poll(2). */
#include <poll.h>

#include "goc_internal.h"

int goc_fd_wait(int fd, int events, goc_time deadline) {
    if (fd < 0 || events == 0 || (events & ~(GOC_READ | GOC_WRITE))) return -EINVAL;
    struct pollfd p = {.fd = fd, .events = (short)(((events & GOC_READ) ? POLLIN : 0) |
                                                   ((events & GOC_WRITE) ? POLLOUT : 0))};
    int kind = goc__deadline_kind(deadline);
    goc__wait_begin("fd wait", (const void *)(intptr_t)fd, kind == GOC_DL_NEVER ? GOC_NEVER : deadline);
    int ret;
    for (;;) {
        int timeout_ms = -1;
        if (kind == GOC_DL_NOW) timeout_ms = 0;
        else if (kind == GOC_DL_AT) {
            goc_time left = deadline - goc_now();
            timeout_ms = left <= 0 ? 0 : (int)((left + 999999) / 1000000); /* round up: never early */
            if (left > (goc_time)INT32_MAX * 1000000) timeout_ms = INT32_MAX;
        }
        int r = poll(&p, 1, timeout_ms);
        if (r < 0) {
            if (errno == EINTR) continue;
            ret = -errno;
            break;
        }
        if (r > 0) {
            ret = (p.revents & POLLNVAL) ? -EBADF : 0;
            break;
        }
        if (kind == GOC_DL_NOW) { ret = -EAGAIN; break; }
        if (kind == GOC_DL_AT && goc_now() >= deadline) { ret = -ETIMEDOUT; break; }
    }
    goc__wait_end();
    return ret;
}
