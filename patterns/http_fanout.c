/*
 * http_fanout: the article's HTTP server that fans each request out to
 * three lookups.
 *
 *     func handler(w http.ResponseWriter, r *http.Request) {
 *         results := make(chan string, 3)
 *         go func() { results <- fetchUser() }()
 *         go func() { results <- fetchProduct() }()
 *         go func() { results <- fetchAnalytics() }()
 *         for i := 0; i < 3; i++ { fmt.Fprintln(w, <-results) }
 *     }
 *     http.HandleFunc("/dashboard", handler); http.ListenAndServe(":8080", nil)
 *
 * net/http's part is written here: a small HTTP/1.1 server on 127.0.0.1
 * with keep-alive and pipelining, one task per connection (net/http's
 * goroutine per connection), non-blocking sockets and goc_fd_wait for every
 * wait (the coro backend parks the task on its netpoller; the thread
 * backends block the task's thread in poll). The answers are written in a
 * fixed order (user, product, analytics) rather than in arrival order so
 * that a body is reproducible; the cap-3 channel means a lookup never
 * blocks, even if its handler were gone.
 *
 * Robustness: the HTTP part (parsing in place from a fixed buffer of
 * PAT_HTTP_HEAD_MAX bytes, 431 when it does not fit, range-checked lengths
 * and numbers, bodies skipped, 4xx/5xx for malformed input) is pure code in
 * http_proto.c, fuzzed by patterns/fuzz/fuzz_http.c; this file does the I/O
 * and closes the connection after an error. SIGPIPE is avoided with
 * MSG_NOSIGNAL.
 *
 * Stopping (pat_http_wait): the control wait is one goc_fd_wait on an epoll
 * fd holding the user's stop_fd (a signalfd in the CLI) and the server's own
 * eventfd (pat_http_stop writes it). Then: `stopping` is set, the accept
 * task (which waits on an epoll fd holding the listening socket and that
 * same eventfd) sees it and exits; every live connection is shut down
 * (shutdown(2) makes its socket readable, which wakes its task, which sees
 * EOF or `stopping` and exits); the WaitGroup of connection tasks is waited
 * for; everything is closed and freed.
 *
 * Shared state (struct pat_http_server):
 *   conns list       guarded by mu; a connection is on it from before its
 *                    task starts until that task is about to close its fd,
 *                    so shutdown() under mu never hits a reused fd number.
 *   stopping         atomic flag, set by pat_http_stop (release: pairs
 *                    with the acquire loads in the accept and connection
 *                    tasks; nothing else is published through it).
 *   served           atomic counter of 2xx responses (relaxed: statistics).
 *   tasks            WaitGroup: the accept task and every connection task.
 *   everything else  set before the accept task is spawned, read-only after.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http_proto.h"
#include "patterns.h"

struct conn {
    struct conn *next, *prev; /* guarded by srv->mu */
    struct pat_http_server *srv;
    int fd;
    struct pat_http_parser p; /* unconsumed input; owned by the conn task */
};

struct pat_http_server {
    int lfd;          /* listening socket, non-blocking */
    int port;
    int stop_ev;      /* eventfd: written once to stop */
    int accept_ep;    /* epoll {lfd, stop_ev} for the accept task */
    int ctl_ep;       /* epoll {stop_fd, stop_ev} for pat_http_wait */
    int64_t delay_ns; /* scaled lookup delay */
    int64_t idle_ns;  /* scaled keep-alive idle limit */
    FILE *log;
    goc_mutex *mu;
    struct conn *conns; /* guarded by mu */
    _Atomic int stopping;
    _Atomic long served;
    goc_wg *tasks;
};

/* ------------------------------------------------------------ lookups -- */


struct lookup_answer {
    int kind;
    char text[60];
};

struct lookup_arg {
    goc_chan *results; /* cap 3 */
    long id;
    int kind;
    int64_t delay_ns;
};

static void lookup_task(void *p) {
    struct lookup_arg *a = p; /* lives in the handler's frame until it has all 3 answers */
    struct lookup_answer ans = {.kind = a->kind};
    if (a->delay_ns > 0) goc_sleep(goc_deadline(a->delay_ns));
    pat_http_lookup_text(a->id, a->kind, ans.text, sizeof ans.text);
    goc_chan_send(a->results, &ans, GOC_NEVER); /* cap 3: never blocks; last use of *a */
}

/* The article's handler: three tasks, three answers on a cap-3 channel.
 * Returns the body length, or a negative errno. */
static int dashboard(struct pat_http_server *srv, long id, char *body, size_t len) {
    goc_chan *results = goc_chan_make(sizeof(struct lookup_answer), PAT_HTTP_LK_N);
    if (!results) return -ENOMEM;
    struct lookup_arg args[PAT_HTTP_LK_N];
    int spawned = 0, rc = 0;
    for (int k = 0; k < PAT_HTTP_LK_N; k++) {
        args[k] = (struct lookup_arg){results, id, k, srv->delay_ns};
        if ((rc = goc_go(lookup_task, &args[k])) != 0) break;
        spawned++;
    }
    char texts[PAT_HTTP_LK_N][60];
    memset(texts, 0, sizeof texts);
    for (int i = 0; i < spawned; i++) {
        struct lookup_answer ans;
        int e = goc_chan_recv(results, &ans, GOC_NEVER);
        if (e) {
            rc = e;
            break;
        }
        if (ans.kind >= 0 && ans.kind < PAT_HTTP_LK_N) memcpy(texts[ans.kind], ans.text, sizeof ans.text);
    }
    goc_chan_free(results);
    if (rc) return rc;
    size_t off = 0;
    for (int k = 0; k < PAT_HTTP_LK_N; k++) {
        int n = snprintf(body + off, len - off, "%s\n", texts[k]);
        if (n < 0 || (size_t)n >= len - off) return -ENOSPC;
        off += (size_t)n;
    }
    return (int)off;
}

/* ---------------------------------------------------------- HTTP I/O -- */

static bool stopping(struct pat_http_server *srv) {
    /* acquire: pairs with the release store in pat_http_wait */
    return atomic_load_explicit(&srv->stopping, memory_order_acquire) != 0;
}

/* Writes all of buf; 0 or a negative errno. */
static int write_all(struct pat_http_server *srv, int fd, const char *buf, size_t len) {
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int rc = goc_fd_wait(fd, GOC_WRITE, goc_deadline(srv->idle_ns));
            if (rc) return rc;
            continue;
        }
        return n < 0 ? -errno : -EIO;
    }
    return 0;
}

static int respond(struct pat_http_server *srv, int fd, int code, const char *body, size_t body_len,
                   bool head_only, bool keep_alive, bool http10) {
    char out[1024];
    int n = pat_http_format_head(out, sizeof out, code, body_len, keep_alive, http10);
    if (n < 0) return -ENOSPC;
    if (!head_only && body_len > 0) {
        if ((size_t)n + body_len <= sizeof out) {
            memcpy(out + n, body, body_len);
            n += (int)body_len;
        } else {
            int rc = write_all(srv, fd, out, (size_t)n);
            if (rc) return rc;
            return write_all(srv, fd, body, body_len);
        }
    }
    return write_all(srv, fd, out, (size_t)n);
}

static int error_response(struct pat_http_server *srv, int fd, int code) {
    char body[64];
    int n = snprintf(body, sizeof body, "%d %s\n", code, pat_http_status_text(code));
    return respond(srv, fd, code, body, (size_t)n, false, false, false);
}

/* Routes a parsed request (pat_http_route) and answers it; returns the
 * status it answered, or a negative errno from the connection. */
static int route(struct pat_http_server *srv, int fd, struct pat_http_request *rq) {
    struct pat_http_route rt;
    int code = pat_http_route(rq, &rt);
    if (code != 200) return error_response(srv, fd, code) ? -EIO : code;
    char body[512];
    int n;
    if (rt.kind == PAT_HTTP_DASHBOARD) {
        n = dashboard(srv, rt.id, body, sizeof body);
        if (n < 0) return error_response(srv, fd, 500) ? -EIO : 500;
    } else {
        n = snprintf(body, sizeof body, "ok\n");
    }
    int rc = respond(srv, fd, 200, body, (size_t)n, rt.head_only, rq->keep_alive, rq->http10);
    if (rc) return rc;
    /* relaxed: a statistic read after the tasks are joined */
    atomic_fetch_add_explicit(&srv->served, 1, memory_order_relaxed);
    return 200;
}

/* Reads more into c->p.buf. >0 bytes read, 0 at EOF, negative errno. */
static ssize_t fill(struct conn *c) {
    struct pat_http_server *srv = c->srv;
    for (;;) {
        ssize_t n = recv(c->fd, c->p.buf + c->p.len, PAT_HTTP_HEAD_MAX - c->p.len, 0);
        if (n >= 0) return n;
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) return -errno;
        if (stopping(srv)) return 0;
        int rc = goc_fd_wait(c->fd, GOC_READ, goc_deadline(srv->idle_ns));
        if (rc) return rc;
    }
}

static void conn_task(void *p) {
    struct conn *c = p;
    struct pat_http_server *srv = c->srv;
    for (;;) {
        /* pat_http_next skips what was answered (the head, then the body
         * of a request with Content-Length) and parses the next head */
        struct pat_http_request rq;
        int code = 0;
        int st = pat_http_next(&c->p, &rq, &code);
        if (st == PAT_HTTP_NEED_MORE) {
            if (stopping(srv) && c->p.len == 0 && c->p.body_left == 0) break;
            ssize_t n = fill(c);
            if (n <= 0) break; /* EOF, error, idle timeout, or stopping */
            c->p.len += (size_t)n;
            continue;
        }
        if (st == PAT_HTTP_ERROR) {
            error_response(srv, c->fd, code);
            break;
        }
        int r = route(srv, c->fd, &rq);
        if (r < 0 || r >= 400 || !rq.keep_alive) break;
    }
    goc_mutex_lock(srv->mu);
    if (c->prev) c->prev->next = c->next;
    else srv->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    goc_mutex_unlock(srv->mu);
    /* Off the list: nobody else touches c->fd any more. Lingering close:
     * closing with unread input would send a reset that can destroy the
     * response still in flight (a 431 sent before the rest of a huge head
     * was read), so half-close, drain until the peer closes (at most 1 s
     * and 1 MiB), then close. */
    shutdown(c->fd, SHUT_WR);
    goc_time linger_until = goc_deadline(PAT_S);
    for (size_t drained = 0; drained < ((size_t)1 << 20);) {
        ssize_t n = recv(c->fd, c->p.buf, PAT_HTTP_HEAD_MAX, 0);
        if (n > 0) {
            drained += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
            goc_fd_wait(c->fd, GOC_READ, linger_until) == 0)
            continue;
        break;
    }
    close(c->fd);
    free(c);
    goc_wg_done(srv->tasks);
}

static void accept_task(void *p) {
    struct pat_http_server *srv = p;
    while (!stopping(srv)) {
        int fd = accept4(srv->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED) {
                goc_fd_wait(srv->accept_ep, GOC_READ, GOC_NEVER);
                continue;
            }
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                goc_sleep(goc_deadline(10 * PAT_MS)); /* out of resources: back off */
                continue;
            }
            break;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct conn *c = malloc(sizeof *c);
        if (!c) {
            close(fd);
            continue;
        }
        c->srv = srv;
        c->fd = fd;
        c->p.len = 0;
        c->p.pending = 0;
        c->p.body_left = 0;
        c->prev = NULL;
        goc_mutex_lock(srv->mu);
        c->next = srv->conns;
        if (srv->conns) srv->conns->prev = c;
        srv->conns = c;
        goc_mutex_unlock(srv->mu);
        goc_wg_add(srv->tasks, 1);
        if (goc_go(conn_task, c) != 0) {
            goc_mutex_lock(srv->mu);
            if (c->prev) c->prev->next = c->next;
            else srv->conns = c->next;
            if (c->next) c->next->prev = c->prev;
            goc_mutex_unlock(srv->mu);
            close(fd);
            free(c);
            goc_wg_done(srv->tasks);
            goc_sleep(goc_deadline(10 * PAT_MS));
        }
    }
    goc_wg_done(srv->tasks);
}

/* ---------------------------------------------------------- lifecycle -- */

static void srv_free(pat_http_server *s) {
    if (s->lfd >= 0) close(s->lfd);
    if (s->stop_ev >= 0) close(s->stop_ev);
    if (s->accept_ep >= 0) close(s->accept_ep);
    if (s->ctl_ep >= 0) close(s->ctl_ep);
    goc_mutex_free(s->mu);
    goc_wg_free(s->tasks);
    free(s);
}

static int ep_add(int ep, int fd) {
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

int pat_http_start(const pat_http_opts *o, pat_http_server **out) {
    if (!o || !out || o->port < 0 || o->port > 65535 || o->lookup_delay_ns < 0 || o->idle_timeout_ns < 0)
        return -EINVAL;
    struct in_addr addr;
    if (inet_pton(AF_INET, o->host ? o->host : "127.0.0.1", &addr) != 1) return -EINVAL;
    pat_http_server *s = calloc(1, sizeof *s);
    if (!s) return -ENOMEM;
    s->lfd = s->stop_ev = s->accept_ep = s->ctl_ep = -1;
    s->delay_ns = pat_scaled(o->lookup_delay_ns, o->time_scale);
    s->idle_ns = pat_scaled(o->idle_timeout_ns ? o->idle_timeout_ns : 30 * PAT_S, o->time_scale);
    s->log = o->log;
    atomic_init(&s->stopping, 0);
    atomic_init(&s->served, 0);
    int rc = 0;
    s->mu = goc_mutex_make();
    s->tasks = goc_wg_make();
    if (!s->mu || !s->tasks) {
        rc = -ENOMEM;
        goto fail;
    }
    s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    s->stop_ev = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    s->accept_ep = epoll_create1(EPOLL_CLOEXEC);
    s->ctl_ep = epoll_create1(EPOLL_CLOEXEC);
    if (s->lfd < 0 || s->stop_ev < 0 || s->accept_ep < 0 || s->ctl_ep < 0) {
        rc = -errno;
        goto fail;
    }
    int one = 1;
    setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)o->port), .sin_addr = addr};
    socklen_t sl = sizeof sa;
    if (bind(s->lfd, (struct sockaddr *)&sa, sizeof sa) || listen(s->lfd, 1024) ||
        getsockname(s->lfd, (struct sockaddr *)&sa, &sl)) {
        rc = -errno;
        goto fail;
    }
    s->port = ntohs(sa.sin_port);
    if ((rc = ep_add(s->accept_ep, s->lfd)) || (rc = ep_add(s->accept_ep, s->stop_ev)) ||
        (rc = ep_add(s->ctl_ep, s->stop_ev)) || (o->stop_fd >= 0 && (rc = ep_add(s->ctl_ep, o->stop_fd))))
        goto fail;
    goc_wg_add(s->tasks, 1);
    if ((rc = goc_go(accept_task, s)) != 0) {
        goc_wg_done(s->tasks);
        goto fail;
    }
    if (s->log) fprintf(s->log, "http_fanout (%s) listening on http://%s:%d/dashboard\n", goc_backend_name(),
                        o->host ? o->host : "127.0.0.1", s->port);
    if (s->log) fflush(s->log);
    *out = s;
    return 0;
fail:
    srv_free(s);
    return rc;
}

int pat_http_port(const pat_http_server *srv) { return srv ? srv->port : -EINVAL; }

long pat_http_served(const pat_http_server *srv) {
    return srv ? atomic_load_explicit(&((pat_http_server *)srv)->served, memory_order_relaxed) : 0;
}

void pat_http_stop(pat_http_server *srv) {
    if (!srv) return;
    uint64_t one = 1;
    /* The flag first: the accept task, woken by the eventfd, must find it
     * set (else it would loop on an always-readable epoll). release: pairs
     * with the acquire in stopping(). */
    atomic_store_explicit(&srv->stopping, 1, memory_order_release);
    /* An eventfd write is async-signal-safe; the counter stays non-zero, so
     * every epoll holding it stays readable from now on. */
    ssize_t n = write(srv->stop_ev, &one, sizeof one);
    (void)n;
}

int pat_http_wait(pat_http_server *srv) {
    if (!srv) return -EINVAL;
    int rc = goc_fd_wait(srv->ctl_ep, GOC_READ, GOC_NEVER);
    pat_http_stop(srv); /* sets `stopping`; wakes the accept task if stop_fd fired */
    goc_mutex_lock(srv->mu);
    for (struct conn *c = srv->conns; c; c = c->next) shutdown(c->fd, SHUT_RDWR);
    goc_mutex_unlock(srv->mu);
    /* The accept task may still add a connection it accepted just before it
     * saw `stopping`; that connection's task sees `stopping` at its first
     * empty read, so the wait below still ends. */
    goc_wg_wait(srv->tasks, GOC_NEVER);
    if (srv->log) {
        fprintf(srv->log, "http_fanout (%s) stopped after %ld requests\n", goc_backend_name(), pat_http_served(srv));
        fflush(srv->log);
    }
    srv_free(srv);
    return rc;
}

#ifdef GOC_PATTERN_MAIN
#include <pthread.h>
#include <signal.h>
#include <sys/signalfd.h>

struct cli {
    pat_http_opts o;
    int rc;
};

static void cli_root(void *p) {
    struct cli *c = p;
    pat_http_server *srv = NULL;
    c->rc = pat_http_start(&c->o, &srv);
    if (c->rc) return;
    c->rc = pat_http_wait(srv);
}

int main(int argc, char **argv) {
    struct cli c = {.o = {.port = 8080, .time_scale = 1.0, .stop_fd = -1, .log = stdout}};
    int quiet = 0;
    if (pat_cli_common(&argc, argv, &c.o.time_scale, &quiet)) return 2;
    for (int i = 1; i < argc; i += 2) { /* every option takes a value */
        char *end = NULL;
        if (i + 1 >= argc) goto usage;
        errno = 0;
        long v = strtol(argv[i + 1], &end, 10);
        if (strcmp(argv[i], "--host") == 0) {
            c.o.host = argv[i + 1];
        } else {
            if (errno || *end || end == argv[i + 1]) goto usage;
            if (strcmp(argv[i], "--port") == 0 && v >= 0 && v <= 65535) c.o.port = (int)v;
            else if (strcmp(argv[i], "--delay-ms") == 0 && v >= 0 && v <= 60000) c.o.lookup_delay_ns = v * PAT_MS;
            else goto usage;
        }
    }
    (void)quiet; /* the two log lines are what a script waits for */
    /* SIGINT/SIGTERM are blocked before any thread exists, so every task
     * thread inherits the mask and the signals are only ever read from the
     * signalfd that pat_http_wait waits on. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0) return 1;
    c.o.stop_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (c.o.stop_fd < 0) {
        perror("signalfd");
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    int rc = goc_main(cli_root, &c);
    close(c.o.stop_fd);
    if (rc || c.rc) {
        fprintf(stderr, "http_fanout: %s\n", goc_strerror(rc ? rc : c.rc));
        return 1;
    }
    return 0;
usage:
    fprintf(stderr, "usage: %s [--port N (0: any)] [--host ADDR] [--delay-ms MS] [--time-scale X]\n", argv[0]);
    return 2;
}
#endif
