/* pt_util.h: what the pattern tests share. */
#ifndef GOC_PT_UTIL_H
#define GOC_PT_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../patterns.h"
#include "goc_testing.h"

/* The time scale the timed patterns run at: the article's durations times
 * 0.05 natively (100 ms becomes 5 ms), 0.2 under sanitizers (their thread
 * start-up and timer slack are larger); PAT_TEST_TIME_SCALE overrides. */
static inline double pt_scale(void) {
    const char *e = getenv("PAT_TEST_TIME_SCALE");
    if (e && atof(e) > 0) return atof(e);
    return gt_sanitized() ? 0.2 : 0.05;
}

/* Output captured from a pattern's `out` (open_memstream; stdio locks it, so
 * tasks may write to it concurrently). */
typedef struct {
    FILE *f;
    char *buf;
    size_t len;
} pt_capture;

static inline FILE *pt_capture_open(pt_capture *c) {
    c->buf = NULL;
    c->len = 0;
    c->f = open_memstream(&c->buf, &c->len);
    GT_ASSERT_NOT_NULL(c->f);
    return c->f;
}
/* Closes the stream; c->buf then holds the text (NUL-terminated). */
static inline const char *pt_capture_text(pt_capture *c) {
    if (c->f) fclose(c->f);
    c->f = NULL;
    return c->buf ? c->buf : "";
}
static inline void pt_capture_free(pt_capture *c) {
    if (c->f) fclose(c->f);
    free(c->buf);
    c->f = NULL;
    c->buf = NULL;
}

/* Occurrences of needle in hay. */
static inline size_t pt_count(const char *hay, const char *needle) {
    size_t n = 0, l = strlen(needle);
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += l) n++;
    return n;
}

static inline int pt_is_tsan(void) { return strcmp(gt_sanitizer_name(), "tsan") == 0; }

#endif
