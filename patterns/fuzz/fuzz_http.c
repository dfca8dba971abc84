/*
 * fuzz_http: libFuzzer target over http_fanout's request parser and
 * connection state machine (patterns/http_proto.c), the part of the server
 * that sees untrusted bytes.
 *
 * Input: byte 0 chooses how the rest is cut into reads (1..16 bytes or
 * 1..4096 bytes per read, from a small generator seeded by it), as TCP may
 * deliver it; the rest is what a client sent on one connection. The state
 * machine runs until it closes the connection or the input ends (EOF).
 * Checked for every input:
 *   - every answer is a valid response: a request gets 200 (dashboard or
 *     health, with the right body), 400, 404 or 405; a connection error is
 *     400, 413, 431, 501 or 505 and ends the connection; every response
 *     head is well formed (status line, Content-Length equal to the body);
 *   - the parser's invariants: len <= PAT_HTTP_HEAD_MAX, room to read when
 *     it asks for more, method a token, target starting with '/',
 *     Content-Length within PAT_HTTP_BODY_MAX, the head inside the buffer;
 *   - the answers do not depend on how the bytes were cut: the same input
 *     fed in one piece (reads as large as the buffer allows) gives the same
 *     sequence of answers;
 * and (the sanitizers) no crash, no out-of-bounds access, no undefined
 * behaviour, no leak. A violation prints what differed and aborts.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_proto.h"

#define MAX_ANSWERS 512

struct answer {
    int code, kind;
    long id;
    int keep_alive, http10, head_only;
};

__attribute__((noreturn, format(printf, 1, 2))) static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "fuzz_http: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    abort();
}
#define CHECK(c, ...)                                                                          \
    do {                                                                                       \
        if (!(c)) die("check failed: " #c ": " __VA_ARGS__);                                   \
    } while (0)

static bool is_tchar(unsigned char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c && strchr("!#$%&'*+-.^_`|~", c)); }

/* A response head as the server would send it, checked for form. */
static void check_response(int code, size_t body_len, bool keep_alive, bool http10) {
    char out[1024], want[64];
    int n = pat_http_format_head(out, sizeof out, code, body_len, keep_alive, http10);
    CHECK(n > 0 && (size_t)n < sizeof out, "code %d", code);
    snprintf(want, sizeof want, "HTTP/1.1 %d %s\r\n", code, pat_http_status_text(code));
    CHECK(strncmp(out, want, strlen(want)) == 0, "status line of %d", code);
    snprintf(want, sizeof want, "\r\nContent-Length: %zu\r\n", body_len);
    CHECK(strstr(out, want) != NULL, "Content-Length of %d", code);
    CHECK(n >= 4 && memcmp(out + n - 4, "\r\n\r\n", 4) == 0, "end of head of %d", code);
    CHECK(!keep_alive == (strstr(out, "Connection: close\r\n") != NULL), "Connection header of %d", code);
}

static void check_error(int code) {
    char body[64];
    int n = snprintf(body, sizeof body, "%d %s\n", code, pat_http_status_text(code));
    check_response(code, (size_t)n, false, false);
}

/* Runs the connection over data; `cut` 0: reads as large as possible. */
static int run(const uint8_t *data, size_t size, unsigned cut, struct answer *ans) {
    static struct pat_http_parser p; /* 8 KiB: not on the stack */
    p.len = p.pending = 0;
    p.body_left = 0;
    uint32_t r = cut * 2654435761u + 1;
    size_t pos = 0;
    int na = 0;
    for (;;) {
        struct pat_http_request rq;
        int code = 0;
        int st = pat_http_next(&p, &rq, &code);
        CHECK(p.len <= PAT_HTTP_HEAD_MAX, "len %zu", p.len);
        if (st == PAT_HTTP_NEED_MORE) {
            if (pos >= size) break; /* EOF: the server closes, no answer owed */
            size_t room = PAT_HTTP_HEAD_MAX - p.len;
            CHECK(room > 0, "asks for more with a full buffer");
            size_t n = size - pos;
            if (cut) {
                r = r * 1103515245u + 12345u;
                size_t c = 1 + (r >> 16) % ((cut & 0x80) ? 16 : 4096);
                if (c < n) n = c;
            }
            if (n > room) n = room;
            memcpy(p.buf + p.len, data + pos, n);
            p.len += n;
            pos += n;
            continue;
        }
        CHECK(na < MAX_ANSWERS, "too many answers");
        struct answer *a = &ans[na++];
        memset(a, 0, sizeof *a);
        if (st == PAT_HTTP_ERROR) {
            CHECK(code == 400 || code == 413 || code == 431 || code == 501 || code == 505, "error code %d", code);
            a->code = code;
            check_error(code);
            break; /* the server answers and closes */
        }
        CHECK(st == PAT_HTTP_REQUEST, "state %d", st);
        /* the request as parsed */
        CHECK(rq.head_len > 0 && rq.head_len <= p.len, "head %zu of %zu", rq.head_len, p.len);
        CHECK(rq.method >= p.buf && rq.method < p.buf + rq.head_len && *rq.method, "method");
        for (const char *c = rq.method; *c; c++) CHECK(is_tchar((unsigned char)*c), "method byte %#x", *c);
        CHECK(rq.target >= p.buf && rq.target < p.buf + rq.head_len && rq.target[0] == '/', "target");
        CHECK(rq.content_length >= 0 && rq.content_length <= PAT_HTTP_BODY_MAX, "content length %lld",
              (long long)rq.content_length);
        struct pat_http_route rt;
        code = pat_http_route(&rq, &rt);
        CHECK(code == 200 || code == 400 || code == 404 || code == 405, "route code %d", code);
        a->code = code;
        a->keep_alive = rq.keep_alive;
        a->http10 = rq.http10;
        if (code != 200) {
            check_error(code);
            break;
        }
        a->kind = rt.kind;
        a->id = rt.id;
        a->head_only = rt.head_only;
        char body[512];
        int n;
        if (rt.kind == PAT_HTTP_DASHBOARD) {
            CHECK(rt.id >= 0, "id %ld", rt.id);
            n = pat_http_dashboard_body(rt.id, body, sizeof body);
            CHECK(n > 0, "dashboard body %d", n);
            char line[64];
            snprintf(line, sizeof line, "user: id=%ld ", rt.id);
            CHECK(strncmp(body, line, strlen(line)) == 0, "dashboard body of id %ld", rt.id);
        } else {
            CHECK(rt.kind == PAT_HTTP_HEALTH, "route kind %d", rt.kind);
            n = snprintf(body, sizeof body, "ok\n");
        }
        check_response(200, (size_t)n, rq.keep_alive, rq.http10);
        if (!rq.keep_alive) break;
    }
    return na;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    static struct answer a1[MAX_ANSWERS], a2[MAX_ANSWERS];
    unsigned cut = data[0] | 1u; /* never 0: 0 means "whole" */
    int n1 = run(data + 1, size - 1, cut, a1);
    int n2 = run(data + 1, size - 1, 0, a2);
    CHECK(n1 == n2, "%d answers when cut into reads, %d when whole", n1, n2);
    for (int i = 0; i < n1; i++)
        CHECK(memcmp(&a1[i], &a2[i], sizeof a1[i]) == 0, "answer %d differs by how the input was cut: %d vs %d", i,
              a1[i].code, a2[i].code);
    return 0;
}
