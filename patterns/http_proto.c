/*
 * http_proto.c: the pure HTTP/1.1 part of http_fanout (http_proto.h):
 * parsing the request head in place, the connection state machine,
 * routing, the response head, the lookups' text. Moved here unchanged from
 * http_fanout.c so that a fuzzer can drive it without sockets or tasks.
 *
 * Robustness: the head is parsed in place from a fixed buffer of
 * PAT_HTTP_HEAD_MAX bytes (431 when it does not fit), every length and
 * number is range-checked, bodies (Content-Length) are skipped, and any
 * malformed input gets a 4xx/5xx.
 */
#include "http_proto.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------ lookups -- */

/* The "short computation" of a lookup: 64 rounds of splitmix64. */
static uint64_t lookup_mix(long id, int kind) {
    uint64_t x = (uint64_t)id * 0x9E3779B97F4A7C15ull + (uint64_t)kind;
    for (int i = 0; i < 64; i++) {
        x += 0x9E3779B97F4A7C15ull;
        uint64_t z = x;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        x ^= z ^ (z >> 31);
    }
    return x;
}

void pat_http_lookup_text(long id, int kind, char *buf, size_t len) {
    uint64_t h = lookup_mix(id, kind);
    switch (kind) {
    case PAT_HTTP_LK_USER: snprintf(buf, len, "user: id=%ld name=user-%04llu", id, (unsigned long long)(h % 10000)); break;
    case PAT_HTTP_LK_PRODUCT:
        snprintf(buf, len, "product: sku=P%06llu price=%llu.%02llu", (unsigned long long)(h % 1000000),
                 (unsigned long long)((h >> 20) % 1000), (unsigned long long)((h >> 40) % 100));
        break;
    default: snprintf(buf, len, "analytics: views=%llu", (unsigned long long)(h % 100000000)); break;
    }
}

int pat_http_dashboard_body(long id, char *buf, size_t len) {
    if (!buf || len == 0) return -EINVAL;
    size_t off = 0;
    for (int k = 0; k < PAT_HTTP_LK_N; k++) {
        char t[60];
        pat_http_lookup_text(id, k, t, sizeof t);
        int n = snprintf(buf + off, len - off, "%s\n", t);
        if (n < 0 || (size_t)n >= len - off) return -ENOSPC;
        off += (size_t)n;
    }
    return (int)off;
}

/* ----------------------------------------------------------- status -- */

const char *pat_http_status_text(int code) {
    switch (code) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Payload Too Large";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 505: return "HTTP Version Not Supported";
    default: return "Error";
    }
}

/* ----------------------------------------------------------- parsing -- */


static bool is_tchar(unsigned char c) {
    return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Case-insensitive: does the comma-separated list `v` contain `tok`? */
static bool has_token(const char *v, const char *tok) {
    size_t tl = strlen(tok);
    while (*v) {
        while (*v == ' ' || *v == '\t' || *v == ',') v++;
        const char *s = v;
        while (*v && *v != ',') v++;
        const char *e = v;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t')) e--;
        if ((size_t)(e - s) == tl && strncasecmp(s, tok, tl) == 0) return true;
    }
    return false;
}

/* Finds the end of the head: "\r\n\r\n" or "\n\n" (lenient, as most servers).
 * Returns the head length or 0 when incomplete. */
size_t pat_http_head_end(const char *b, size_t len) {
    for (size_t i = 0; i + 1 < len; i++) {
        if (b[i] != '\n') continue;
        if (b[i + 1] == '\n') return i + 2;
        if (b[i + 1] == '\r' && i + 2 < len && b[i + 2] == '\n') return i + 3;
    }
    return 0;
}

/* Parses the head in place (NUL-terminates its pieces). 0, or the status
 * code to answer with. */
int pat_http_parse_head(char *b, size_t head_len, struct pat_http_request *rq) {
    memset(rq, 0, sizeof *rq);
    rq->head_len = head_len;
    if (memchr(b, 0, head_len)) return 400;
    b[head_len - 1] = 0; /* the final '\n' */
    char *save = NULL;
    char *line = strtok_r(b, "\n", &save); /* blank lines never appear before the end */
    if (!line) return 400;
    size_t ll = strlen(line);
    if (ll && line[ll - 1] == '\r') line[--ll] = 0;
    /* request-line = method SP request-target SP HTTP-version */
    char *sp1 = strchr(line, ' ');
    if (!sp1 || sp1 == line) return 400;
    *sp1 = 0;
    rq->method = line;
    for (char *c = line; *c; c++)
        if (!is_tchar((unsigned char)*c)) return 400;
    rq->target = sp1 + 1;
    char *sp2 = strchr(rq->target, ' ');
    if (!sp2 || sp2 == rq->target) return 400;
    *sp2 = 0;
    const char *ver = sp2 + 1;
    if (rq->target[0] != '/') return 400;
    for (char *c = rq->target; *c; c++)
        if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f) return 400;
    if (strncmp(ver, "HTTP/", 5) != 0 || !isdigit((unsigned char)ver[5]) || ver[6] != '.' ||
        !isdigit((unsigned char)ver[7]) || ver[8])
        return 400;
    if (ver[5] != '1' || (ver[7] != '0' && ver[7] != '1')) return 505;
    rq->http10 = ver[7] == '0';
    rq->keep_alive = !rq->http10;
    rq->content_length = 0;
    bool have_cl = false, have_host = false;
    int count = 0;
    while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
        ll = strlen(line);
        if (ll && line[ll - 1] == '\r') line[--ll] = 0;
        if (ll == 0) break; /* the terminator's empty line */
        if (++count > PAT_HTTP_HEADERS_MAX) return 431;
        if (line[0] == ' ' || line[0] == '\t') return 400; /* obs-fold: rejected (RFC 9112 5.2) */
        char *colon = strchr(line, ':');
        if (!colon || colon == line) return 400;
        *colon = 0;
        for (char *c = line; *c; c++)
            if (!is_tchar((unsigned char)*c)) return 400;
        char *v = colon + 1;
        while (*v == ' ' || *v == '\t') v++;
        char *e = v + strlen(v);
        while (e > v && (e[-1] == ' ' || e[-1] == '\t')) *--e = 0;
        for (char *c = v; *c; c++)
            if ((unsigned char)*c < 0x20 && *c != '\t') return 400;
        if (strcasecmp(line, "Content-Length") == 0) {
            if (!*v || strlen(v) > 18) return 400;
            int64_t n = 0;
            for (char *c = v; *c; c++) {
                if (!isdigit((unsigned char)*c)) return 400;
                n = n * 10 + (*c - '0');
            }
            if (have_cl && n != rq->content_length) return 400;
            have_cl = true;
            rq->content_length = n;
        } else if (strcasecmp(line, "Transfer-Encoding") == 0) {
            return 501;
        } else if (strcasecmp(line, "Connection") == 0) {
            if (has_token(v, "close")) rq->keep_alive = false;
            else if (has_token(v, "keep-alive")) rq->keep_alive = true;
        } else if (strcasecmp(line, "Host") == 0) {
            if (have_host) return 400;
            have_host = true;
        }
    }
    if (!rq->http10 && !have_host) return 400; /* RFC 9112 3.2 */
    if (rq->content_length > PAT_HTTP_BODY_MAX) return 413;
    return 0;
}

/* ---------------------------------------------------- the connection -- */

int pat_http_next(struct pat_http_parser *p, struct pat_http_request *rq, int *code) {
    if (p->pending) {
        /* the last request was answered: consume its head, then its body */
        memmove(p->buf, p->buf + p->pending, p->len - p->pending);
        p->len -= p->pending;
        p->pending = 0;
    }
    if (p->body_left > 0) {
        size_t have = p->len < (size_t)p->body_left ? p->len : (size_t)p->body_left;
        memmove(p->buf, p->buf + have, p->len - have);
        p->len -= have;
        p->body_left -= (int64_t)have;
        if (p->body_left > 0) return PAT_HTTP_NEED_MORE;
    }
    size_t hl = pat_http_head_end(p->buf, p->len);
    if (hl == 0) {
        if (p->len >= PAT_HTTP_HEAD_MAX) {
            *code = 431;
            return PAT_HTTP_ERROR;
        }
        return PAT_HTTP_NEED_MORE;
    }
    int c = pat_http_parse_head(p->buf, hl, rq);
    if (c) {
        *code = c;
        return PAT_HTTP_ERROR;
    }
    /* rq points into buf: the head (and the body after it) is consumed by
     * the next call, after the caller has answered */
    p->pending = hl;
    p->body_left = rq->content_length;
    return PAT_HTTP_REQUEST;
}

/* ------------------------------------------------------------ routing -- */

int pat_http_route(struct pat_http_request *rq, struct pat_http_route *rt) {
    bool get = strcmp(rq->method, "GET") == 0, head = strcmp(rq->method, "HEAD") == 0;
    char *q = strchr(rq->target, '?');
    if (q) *q++ = 0;
    rt->head_only = head;
    rt->id = 1;
    rt->kind = 0;
    if (strcmp(rq->target, "/dashboard") == 0) {
        if (!get && !head) return 405;
        if (q && *q) {
            if (strncmp(q, "id=", 3) != 0 || !q[3] || strlen(q + 3) > 15) return 400;
            rt->id = 0;
            for (const char *c = q + 3; *c; c++) {
                if (!isdigit((unsigned char)*c)) return 400;
                rt->id = rt->id * 10 + (*c - '0');
            }
        }
        rt->kind = PAT_HTTP_DASHBOARD;
        return 200;
    }
    if (strcmp(rq->target, "/health") == 0) {
        if (!get && !head) return 405;
        rt->kind = PAT_HTTP_HEALTH;
        return 200;
    }
    return 404;
}

int pat_http_format_head(char *out, size_t len, int code, size_t body_len, bool keep_alive, bool http10) {
    int n = snprintf(out, len,
                     "HTTP/1.1 %d %s\r\n"
                     "Content-Type: text/plain; charset=utf-8\r\n"
                     "Content-Length: %zu\r\n"
                     "%s%s"
                     "\r\n",
                     code, pat_http_status_text(code), body_len, code == 405 ? "Allow: GET, HEAD\r\n" : "",
                     !keep_alive ? "Connection: close\r\n" : (http10 ? "Connection: keep-alive\r\n" : ""));
    if (n < 0 || (size_t)n >= len) return -1;
    return n;
}

