/*
 * patterns_http_fanout: the HTTP fan-out server on an ephemeral loopback
 * port, driven by plain blocking-socket clients on OS threads (outside the
 * goc runtime, like any HTTP client): good, HEAD, pipelined, byte-by-byte,
 * keep-alive and HTTP/1.0 requests; malformed, oversized and random input;
 * 1000 requests from 32 concurrent connections; stopping with idle
 * connections open. Every response is checked.
 *
 * Each subtest: the root task starts the server with stop_fd = the read end
 * of a pipe, starts one client OS thread, and waits in pat_http_wait; the
 * client runs its script, records what went wrong in `ctl`, and writes the
 * pipe; the root task then joins it (pthread_join orders the client's
 * writes before the root's reads) and asserts.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "pt_util.h"

struct ctl {
    int port;
    int stop_wr;         /* write end of the stop pipe */
    int failures;        /* client thread only, until joined */
    char first_failure[512];
    long ok;             /* responses checked and correct */
    int idle_fds[8];     /* connections script_idle_then_stop leaves open */
    int n_idle;
    void (*script)(struct ctl *);
};

static void cfail(struct ctl *c, const char *fmt, ...) {
    if (c->failures++ == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->first_failure, sizeof c->first_failure, fmt, ap);
        va_end(ap);
    }
}

/* ------------------------------------------------------- client side -- */

static int dial(struct ctl *c) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)c->port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    /* A receive timeout: a server bug shows as a failure, not a hang. */
    struct timeval tv = {.tv_sec = 20};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int send_all(int fd, const void *p, size_t n) {
    const char *b = p;
    while (n) {
        ssize_t k = send(fd, b, n, MSG_NOSIGNAL);
        if (k <= 0) return -1;
        b += k;
        n -= (size_t)k;
    }
    return 0;
}

/* A response reader with its own buffer (pipelined responses arrive back to
 * back). */
typedef struct {
    int fd;
    char buf[65536];
    size_t len;
} reader;

struct response {
    int status; /* 0: connection closed before a response */
    long content_length;
    int conn_close;
    char body[4096];
};

static int rd_fill(reader *r) {
    if (r->len == sizeof r->buf) return -1;
    ssize_t k = recv(r->fd, r->buf + r->len, sizeof r->buf - r->len, 0);
    if (k <= 0) return -1;
    r->len += (size_t)k;
    return 0;
}

/* 0 with *resp filled; -1 on EOF/timeout/garbage. head_only: no body follows
 * (HEAD). */
static int read_response(reader *r, struct response *resp, int head_only) {
    memset(resp, 0, sizeof *resp);
    resp->content_length = -1;
    char *end;
    while ((end = memmem(r->buf, r->len, "\r\n\r\n", 4)) == NULL)
        if (rd_fill(r)) return -1;
    size_t hl = (size_t)(end - r->buf) + 4;
    char head[8192];
    if (hl >= sizeof head) return -1;
    memcpy(head, r->buf, hl);
    head[hl] = 0;
    if (sscanf(head, "HTTP/1.1 %d ", &resp->status) != 1) return -1;
    for (char *l = strstr(head, "\r\n"); l && l[2]; l = strstr(l + 2, "\r\n")) {
        if (strncasecmp(l + 2, "Content-Length:", 15) == 0) resp->content_length = strtol(l + 17, NULL, 10);
        if (strncasecmp(l + 2, "Connection: close", 17) == 0) resp->conn_close = 1;
    }
    if (resp->content_length < 0 || resp->content_length >= (long)sizeof resp->body) return -1;
    size_t blen = head_only ? 0 : (size_t)resp->content_length;
    while (r->len < hl + blen)
        if (rd_fill(r)) return -1;
    memcpy(resp->body, r->buf + hl, blen);
    resp->body[blen] = 0;
    memmove(r->buf, r->buf + hl + blen, r->len - hl - blen);
    r->len -= hl + blen;
    return 0;
}

/* After a response with Connection: close, the server must close. */
static int expect_eof(reader *r) {
    char b[256];
    ssize_t k = recv(r->fd, b, sizeof b, 0);
    return k == 0 ? 0 : -1;
}

static void expect_dashboard(struct ctl *c, const struct response *resp, long id, const char *what) {
    char want[512];
    int n = pat_http_dashboard_body(id, want, sizeof want);
    if (resp->status != 200 || n < 0 || resp->content_length != n || strcmp(resp->body, want) != 0)
        cfail(c, "%s: id %ld: status %d, length %ld, body '%s' (want 200, %d, '%s')", what, id,
              resp->status, resp->content_length, resp->body, n, want);
    else
        c->ok++;
}

static int get_dashboard(long id, char *req, size_t len) {
    return snprintf(req, len, "GET /dashboard?id=%ld HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: t\r\n\r\n", id);
}

/* One request on a fresh connection, the write side shut after it; returns
 * the status (0 if the server closed without answering). */
static int one_shot(struct ctl *c, const char *req, size_t n, struct response *resp) {
    static __thread reader r;
    r.fd = dial(c);
    r.len = 0;
    if (r.fd < 0) {
        cfail(c, "connect failed");
        return -1;
    }
    send_all(r.fd, req, n);
    shutdown(r.fd, SHUT_WR);
    int rc = read_response(&r, resp, 0);
    if (rc == 0 && resp->conn_close && expect_eof(&r) != 0) cfail(c, "no EOF after Connection: close");
    close(r.fd);
    return rc == 0 ? resp->status : 0;
}

/* ----------------------------------------------------------- scripts -- */

static void script_good(struct ctl *c) {
    static __thread reader r;
    struct response resp;
    char req[256];
    r.fd = dial(c);
    r.len = 0;
    if (r.fd < 0) return cfail(c, "connect failed");
    /* keep-alive: several requests on one connection */
    for (long id = 1; id <= 5; id++) {
        send_all(r.fd, req, (size_t)get_dashboard(id * 7, req, sizeof req));
        if (read_response(&r, &resp, 0)) return cfail(c, "keep-alive request %ld: no response", id);
        expect_dashboard(c, &resp, id * 7, "keep-alive");
    }
    /* default id */
    const char *d = "GET /dashboard HTTP/1.1\r\nHost: x\r\n\r\n";
    send_all(r.fd, d, strlen(d));
    if (read_response(&r, &resp, 0)) return cfail(c, "default id: no response");
    expect_dashboard(c, &resp, 1, "default id");
    /* health */
    const char *h = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
    send_all(r.fd, h, strlen(h));
    if (read_response(&r, &resp, 0) || resp.status != 200 || strcmp(resp.body, "ok\n") != 0)
        cfail(c, "health: status %d body '%s'", resp.status, resp.body);
    else
        c->ok++;
    /* HEAD: the GET's length, no body */
    const char *hd = "HEAD /dashboard?id=9 HTTP/1.1\r\nHost: x\r\n\r\n";
    char want[512];
    int wn = pat_http_dashboard_body(9, want, sizeof want);
    send_all(r.fd, hd, strlen(hd));
    if (read_response(&r, &resp, 1) || resp.status != 200 || resp.content_length != wn)
        cfail(c, "HEAD: status %d length %ld (want %d)", resp.status, resp.content_length, wn);
    else
        c->ok++;
    /* pipelined: three requests in one write, answers in order */
    char pipe3[1024];
    size_t pn = 0;
    for (long id = 100; id < 103; id++) pn += (size_t)get_dashboard(id, pipe3 + pn, sizeof pipe3 - pn);
    send_all(r.fd, pipe3, pn);
    for (long id = 100; id < 103; id++) {
        if (read_response(&r, &resp, 0)) return cfail(c, "pipelined %ld: no response", id);
        expect_dashboard(c, &resp, id, "pipelined");
    }
    /* a request with a body (Content-Length), then another on the same
     * connection: the body is skipped, not parsed as a request */
    const char *withbody = "GET /dashboard?id=5 HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world";
    send_all(r.fd, withbody, strlen(withbody));
    send_all(r.fd, req, (size_t)get_dashboard(6, req, sizeof req));
    if (read_response(&r, &resp, 0)) return cfail(c, "with body: no response");
    expect_dashboard(c, &resp, 5, "with body");
    if (read_response(&r, &resp, 0)) return cfail(c, "after body: no response");
    expect_dashboard(c, &resp, 6, "after body");
    /* byte by byte */
    int n = get_dashboard(77, req, sizeof req);
    for (int i = 0; i < n; i++) send_all(r.fd, req + i, 1);
    if (read_response(&r, &resp, 0)) return cfail(c, "byte-by-byte: no response");
    expect_dashboard(c, &resp, 77, "byte-by-byte");
    /* Connection: close is honoured */
    const char *cl = "GET /dashboard?id=8 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    send_all(r.fd, cl, strlen(cl));
    if (read_response(&r, &resp, 0)) return cfail(c, "Connection: close: no response");
    expect_dashboard(c, &resp, 8, "connection close");
    if (!resp.conn_close || expect_eof(&r)) cfail(c, "Connection: close: server kept the connection");
    close(r.fd);
    /* HTTP/1.0: no Host needed, closes after the response */
    const char *h10 = "GET /dashboard?id=3 HTTP/1.0\r\n\r\n";
    if (one_shot(c, h10, strlen(h10), &resp) != 200) cfail(c, "HTTP/1.0: status %d", resp.status);
    else expect_dashboard(c, &resp, 3, "HTTP/1.0");
    /* lenient line ends: bare LF */
    const char *lf = "GET /dashboard?id=4 HTTP/1.1\nHost: x\n\n";
    if (one_shot(c, lf, strlen(lf), &resp) != 200) cfail(c, "bare LF: status %d", resp.status);
    else expect_dashboard(c, &resp, 4, "bare LF");
}

static void script_malformed(struct ctl *c) {
    static const struct {
        const char *req;
        size_t len; /* 0: strlen */
        int status;
    } cases[] = {
        {"GARBAGE\r\n\r\n", 0, 400},
        {"GET / HTTP/1.1\r\n\r\n", 0, 400}, /* HTTP/1.1 without Host */
        {"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", 0, 404},
        {"GET /dashboard HTTP/2.0\r\nHost: x\r\n\r\n", 0, 505},
        {"GET /dashboard HTTP/1.x\r\nHost: x\r\n\r\n", 0, 400},
        {"GET /dashboard HTP/1.1\r\nHost: x\r\n\r\n", 0, 400},
        {"GET dashboard HTTP/1.1\r\nHost: x\r\n\r\n", 0, 400},
        {"GET  /dashboard HTTP/1.1\r\nHost: x\r\n\r\n", 0, 400},
        {" /dashboard HTTP/1.1\r\nHost: x\r\n\r\n", 0, 400},
        {"GET /dashboard HTTP/1.1\r\nHost x\r\n\r\n", 0, 400},
        {"GET /dashboard HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 0, 400},
        {"GET /dashboard HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", 0, 400},
        {"GET /dashboard HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 0, 400},
        {"GET /dashboard HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 0, 400},
        {"GET /dashboard HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 0, 400},
        {"GET /dashboard HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n", 0, 413},
        {"GET /dashboard HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", 0, 501},
        {"GET /dashboard?id=abc HTTP/1.1\r\nHost: x\r\n\r\n", 0, 400},
        {"GET /dashboard?id=99999999999999999999 HTTP/1.1\r\nHost: x\r\n\r\n", 0, 400},
        {"GET /dashboard?x=1 HTTP/1.1\r\nHost: x\r\n\r\n", 0, 400},
        {"POST /dashboard HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", 0, 405},
        {"DELETE /health HTTP/1.1\r\nHost: x\r\n\r\n", 0, 405},
        {"GET /\0x HTTP/1.1\r\nHost: x\r\n\r\n", 29, 400},
        {"G\xff\xfe /dashboard HTTP/1.1\r\nHost: x\r\n\r\n", 0, 400},
        {"GET /dash\x01oard HTTP/1.1\r\nHost: x\r\n\r\n", 0, 400},
        {"GET /dashboard HTTP/1.1\r\nHost: x\x01y\r\n\r\n", 0, 400},
        {"\r\n\r\n", 0, 400},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct response resp;
        size_t n = cases[i].len ? cases[i].len : strlen(cases[i].req);
        int st = one_shot(c, cases[i].req, n, &resp);
        if (st != cases[i].status)
            cfail(c, "malformed case %zu (%.40s): status %d, want %d", i, cases[i].req, st, cases[i].status);
        else if (!resp.conn_close)
            cfail(c, "malformed case %zu: error response without Connection: close", i);
        else
            c->ok++;
    }
}

static void script_oversized(struct ctl *c) {
    struct response resp;
    /* A 20 KB header: 431, the response arrives intact (lingering close). */
    size_t big = 20000;
    char *req = malloc(big + 128);
    int n = sprintf(req, "GET /dashboard HTTP/1.1\r\nHost: x\r\nX-Big: ");
    memset(req + n, 'a', big);
    n += (int)big;
    n += sprintf(req + n, "\r\n\r\n");
    if (one_shot(c, req, (size_t)n, &resp) != 431) cfail(c, "20 KB header: status %d, want 431", resp.status);
    else c->ok++;
    /* Exactly the limit without an end of head: 431 too. */
    memset(req, 'A', PAT_HTTP_HEAD_MAX);
    if (one_shot(c, req, PAT_HTTP_HEAD_MAX, &resp) != 431)
        cfail(c, "%d bytes without a line end: status %d, want 431", PAT_HTTP_HEAD_MAX, resp.status);
    else c->ok++;
    /* Too many header lines. */
    n = sprintf(req, "GET /dashboard HTTP/1.1\r\nHost: x\r\n");
    for (int i = 0; i < 120; i++) n += sprintf(req + n, "X%d: y\r\n", i);
    n += sprintf(req + n, "\r\n");
    if (one_shot(c, req, (size_t)n, &resp) != 431) cfail(c, "120 header lines: status %d, want 431", resp.status);
    else c->ok++;
    free(req);
}

static void script_abrupt(struct ctl *c) {
    /* Connections that vanish mid-request, or send nothing, or reset: the
     * server survives and keeps serving. */
    for (int i = 0; i < 20; i++) {
        int fd = dial(c);
        if (fd < 0) return cfail(c, "connect failed");
        if (i % 3 == 0) send_all(fd, "GET /dashb", 10);
        if (i % 3 == 1) {
            struct linger lg = {1, 0}; /* close sends a reset */
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
            send_all(fd, "GET /dashboard HTTP/1.1\r\nHost: x\r\n\r\n", 36);
        }
        close(fd);
    }
    /* Random bytes (seeded, reproducible with GOC_SEED): any answer is an
     * error status or a silent close, never a crash or a 2xx. */
    char buf[600];
    for (int i = 0; i < 200; i++) {
        size_t n = 1 + gt_rand_n(sizeof buf - 1);
        for (size_t k = 0; k < n; k++) {
            uint32_t x = gt_rand_n(100);
            buf[k] = x < 10 ? '\r' : x < 20 ? '\n' : x < 25 ? ' ' : (char)gt_rand_n(256);
        }
        if (i % 2) memcpy(buf, "GET /dashboard HTTP/1.1\r\n", n < 25 ? n : 25);
        struct response resp;
        int st = one_shot(c, buf, n, &resp);
        if (st != 0 && st < 400) cfail(c, "random input %d: status %d", i, st);
    }
    struct response resp;
    char req[256];
    if (one_shot(c, req, (size_t)get_dashboard(11, req, sizeof req), &resp) != 200)
        cfail(c, "after abrupt clients: status %d", resp.status);
    else expect_dashboard(c, &resp, 11, "after abrupt clients");
}

/* 1000 requests from 32 concurrent keep-alive connections. */
#define LOAD_CONNS 32
#define LOAD_REQS 1000
struct load_arg {
    struct ctl *c;
    int idx;
    int failures;
    char first[256];
    long ok;
};

static void *load_conn(void *p) {
    struct load_arg *a = p;
    reader *r = malloc(sizeof *r);
    r->len = 0;
    r->fd = dial(a->c);
    int reqs = LOAD_REQS / LOAD_CONNS + (a->idx < LOAD_REQS % LOAD_CONNS);
    if (r->fd < 0) {
        a->failures = reqs;
        snprintf(a->first, sizeof a->first, "connect failed");
        free(r);
        return NULL;
    }
    char req[256];
    for (int i = 0; i < reqs; i++) {
        long id = (long)a->idx * 1000 + i;
        struct response resp;
        char want[512];
        int wn = pat_http_dashboard_body(id, want, sizeof want);
        if (send_all(r->fd, req, (size_t)get_dashboard(id, req, sizeof req)) || read_response(r, &resp, 0)) {
            if (a->failures++ == 0) snprintf(a->first, sizeof a->first, "conn %d request %d: no response", a->idx, i);
            break;
        }
        if (resp.status != 200 || resp.content_length != wn || strcmp(resp.body, want) != 0) {
            if (a->failures++ == 0)
                snprintf(a->first, sizeof a->first, "conn %d request %d: status %d body '%.100s'", a->idx, i,
                         resp.status, resp.body);
        } else {
            a->ok++;
        }
    }
    close(r->fd);
    free(r);
    return NULL;
}

static void script_load(struct ctl *c) {
    pthread_t th[LOAD_CONNS];
    struct load_arg args[LOAD_CONNS];
    int started = 0;
    for (int i = 0; i < LOAD_CONNS; i++) {
        args[i] = (struct load_arg){.c = c, .idx = i};
        if (pthread_create(&th[i], NULL, load_conn, &args[i]) != 0) break;
        started++;
    }
    if (started < LOAD_CONNS) cfail(c, "only %d client threads started", started);
    for (int i = 0; i < started; i++) {
        pthread_join(th[i], NULL);
        c->ok += args[i].ok;
        if (args[i].failures) cfail(c, "%s (%d failures on that connection)", args[i].first, args[i].failures);
    }
}

static void script_idle_then_stop(struct ctl *c) {
    /* Keep-alive connections left open and idle: stopping must not wait
     * for their idle timeout. The root task checks how long the stop took. */
    struct response resp;
    for (int i = 0; i < 5; i++) {
        static __thread reader r;
        r.fd = dial(c);
        r.len = 0;
        char req[256];
        send_all(r.fd, req, (size_t)get_dashboard(i, req, sizeof req));
        if (read_response(&r, &resp, 0)) cfail(c, "idle conn %d: no response", i);
        else expect_dashboard(c, &resp, i, "idle conn");
        c->idle_fds[c->n_idle++] = r.fd; /* left open on purpose; closed after the stop */
    }
}

/* ------------------------------------------------------------ driver -- */

static void *client_main(void *p) {
    struct ctl *c = p;
    c->script(c);
    char x = 1;
    if (write(c->stop_wr, &x, 1) != 1) cfail(c, "stop pipe write failed");
    return NULL;
}

static void run_script(void (*script)(struct ctl *), int64_t delay_ns, long min_ok) {
    int pfd[2];
    GT_ASSERT_OK(pipe(pfd));
    /* The idle timeout stays 10 s (time_scale 1); the delay is scaled here. */
    pat_http_opts o = {.port = 0, .lookup_delay_ns = pat_scaled(delay_ns, pt_scale()),
                       .idle_timeout_ns = 10 * PAT_S, .time_scale = 1.0, .stop_fd = pfd[0]};
    pat_http_server *srv = NULL;
    GT_ASSERT_OK(pat_http_start(&o, &srv));
    struct ctl c = {.port = pat_http_port(srv), .stop_wr = pfd[1], .script = script};
    GT_ASSERT_GT(c.port, 0);
    pthread_t th;
    GT_ASSERT_OK(pthread_create(&th, NULL, client_main, &c));
    GT_ASSERT_OK(pat_http_wait(srv)); /* returns once the client wrote the pipe */
    GT_ASSERT_OK(pthread_join(th, NULL));
    for (int i = 0; i < c.n_idle; i++) {
        /* the server closed its side when it stopped: EOF, not a hang */
        char b;
        if (recv(c.idle_fds[i], &b, 1, 0) != 0) cfail(&c, "idle connection %d not closed by the stop", i);
        close(c.idle_fds[i]);
    }
    close(pfd[0]);
    close(pfd[1]);
    if (c.failures) gt_note("first failure: %s", c.first_failure);
    GT_ASSERT_EQ(c.failures, 0);
    GT_ASSERT_GE(c.ok, min_ok);
    gt_note("%ld responses checked", c.ok);
}

static void good(void) { run_script(script_good, 0, 17); }
static void malformed(void) { run_script(script_malformed, 0, 27); }
static void oversized(void) { run_script(script_oversized, 0, 3); }
static void abrupt(void) { run_script(script_abrupt, 0, 1); }
static void load(void) { run_script(script_load, 0, LOAD_REQS); }
static void delayed(void) {
    /* A 100 ms (scaled) delay in each lookup: the three run concurrently. */
    goc_time t0 = goc_now();
    run_script(script_good, 100 * PAT_MS, 17);
    GT_ASSERT_GE(goc_now() - t0, pat_scaled(100 * PAT_MS, pt_scale()));
}
static void stop_with_idle_connections(void) {
    goc_time t0 = goc_now();
    run_script(script_idle_then_stop, 0, 5);
    /* idle timeout is 10 s; the stop must not have waited for it */
    GT_ASSERT_LT(goc_now() - t0, 8 * PAT_S);
}

static void stop_by_call(void) {
    pat_http_opts o = {.port = 0, .time_scale = 1.0, .stop_fd = -1};
    pat_http_server *srv = NULL;
    GT_ASSERT_OK(pat_http_start(&o, &srv));
    pat_http_stop(srv); /* before anyone waits: wait returns at once */
    GT_ASSERT_OK(pat_http_wait(srv));
}

static void bad_input(void) {
    pat_http_server *srv = NULL;
    pat_http_opts o = {.port = 70000, .stop_fd = -1};
    GT_ASSERT_ERR(pat_http_start(&o, &srv), -EINVAL);
    o.port = 0;
    o.host = "not-an-address";
    GT_ASSERT_ERR(pat_http_start(&o, &srv), -EINVAL);
    o.host = NULL;
    o.lookup_delay_ns = -1;
    GT_ASSERT_ERR(pat_http_start(&o, &srv), -EINVAL);
    GT_ASSERT_ERR(pat_http_start(NULL, &srv), -EINVAL);
    GT_ASSERT_ERR(pat_http_wait(NULL), -EINVAL);
    char small[8];
    GT_ASSERT_ERR(pat_http_dashboard_body(1, small, sizeof small), -ENOSPC);
    GT_ASSERT_ERR(pat_http_dashboard_body(1, NULL, 10), -EINVAL);
}

static void test_main(void) {
    gt_run("http_good_requests", good);
    gt_run("http_malformed", malformed);
    gt_run("http_oversized", oversized);
    gt_run("http_abrupt_and_random", abrupt);
    gt_run("http_load_1000_from_32", load);
    gt_run("http_delayed_lookups", delayed);
    gt_run("http_stop_with_idle_connections", stop_with_idle_connections);
    gt_run("http_stop_by_call", stop_by_call);
    gt_run("http_bad_input", bad_input);
}
GT_MAIN(test_main)
