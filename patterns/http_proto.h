/*
 * http_proto.h: the pure HTTP/1.1 part of http_fanout: request parsing, the
 * per-connection state machine (pipelining, bodies to skip), routing and
 * the response head. No I/O, no goc calls, no allocation: http_fanout.c
 * drives it from its connection tasks, and the libFuzzer target
 * (patterns/fuzz/fuzz_http.c) drives it from arbitrary bytes.
 */
#ifndef GOC_HTTP_PROTO_H
#define GOC_HTTP_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "patterns.h" /* PAT_HTTP_HEAD_MAX */

#define PAT_HTTP_BODY_MAX ((int64_t)1 << 20) /* larger request bodies: 413 */
#define PAT_HTTP_HEADERS_MAX 100             /* more header lines: 431 */

/* A parsed request head. method and target point into the parser's buffer
 * and stay valid until the next pat_http_next call. */
struct pat_http_request {
    char *method, *target;
    bool http10;
    bool keep_alive;
    int64_t content_length;
    size_t head_len; /* bytes of the head, terminator included */
};

/* The bytes of one connection not yet consumed. The caller reads into
 * buf + len (at most PAT_HTTP_HEAD_MAX - len bytes) and adds what it read
 * to len; pat_http_next does the rest. */
struct pat_http_parser {
    size_t len;        /* bytes in buf */
    size_t pending;    /* head of the request returned last, consumed by the next call */
    int64_t body_left; /* body bytes of that request still to skip */
    char buf[PAT_HTTP_HEAD_MAX + 1]; /* +1: room for a terminating NUL */
};

enum {
    PAT_HTTP_NEED_MORE = 0, /* read more into buf + len (EOF: the connection is done) */
    PAT_HTTP_REQUEST = 1,   /* *rq is the next request: answer it */
    PAT_HTTP_ERROR = 2      /* answer *code (400, 413, 431, 501, 505) and close */
};

/* Advances the connection: skips the previous request's head and body,
 * then parses the next head if it is complete. */
int pat_http_next(struct pat_http_parser *p, struct pat_http_request *rq, int *code);

/* Where a request goes. */
enum { PAT_HTTP_DASHBOARD = 1, PAT_HTTP_HEALTH = 2 };
struct pat_http_route {
    int kind;       /* PAT_HTTP_DASHBOARD or PAT_HTTP_HEALTH when 200 */
    long id;        /* dashboard: the ?id=N (default 1) */
    bool head_only; /* HEAD: no body */
};
/* Routes a parsed request (cuts the query off rq->target): 200 (see *rt),
 * 400 (bad query), 404, 405. */
int pat_http_route(struct pat_http_request *rq, struct pat_http_route *rt);

/* The response head for code with a body of body_len bytes; its length, or
 * -1 if out is too small. */
int pat_http_format_head(char *out, size_t len, int code, size_t body_len, bool keep_alive, bool http10);
const char *pat_http_status_text(int code);

/* The three lookups of a dashboard request, in the order the body lists them. */
enum { PAT_HTTP_LK_USER, PAT_HTTP_LK_PRODUCT, PAT_HTTP_LK_ANALYTICS, PAT_HTTP_LK_N };
/* Lookup `kind` of id: one line of text. */
void pat_http_lookup_text(long id, int kind, char *buf, size_t len);

/* Lower-level pieces (exposed for the fuzzer and the tests). */
size_t pat_http_head_end(const char *b, size_t len);
int pat_http_parse_head(char *b, size_t head_len, struct pat_http_request *rq);

#endif
