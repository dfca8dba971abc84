/*
 * Pitfall: memory leaks (detector: LeakSanitizer, asan preset).
 *   chan_ctx_buggy   a channel and a context are made and never freed (the
 *                    context is never canceled either).
 *   chan_ctx_fixed   goc_chan_free / goc_ctx_cancel + goc_ctx_free.
 *   owning_buggy     a channel of owning pointers (malloc'd messages) is
 *                    freed with values still buffered: the messages leak.
 *   owning_fixed     goc_chan_set_dtor(free) before sharing: the buffered
 *                    messages are freed with the channel.
 */
#include <stdlib.h>
#include <string.h>

#include "pit_common.h"

/* One request's worth: a channel and a context. ROUNDS of them, so that a
 * stale copy of the last pointers (a dead stack frame of a coroutine stack
 * that LSan scans as a root region) cannot hide the leak. */
#define ROUNDS 20
static int one_request(int fixed) {
    goc_chan *c = goc_chan_make(sizeof(int), 16);
    goc_ctx *ctx = goc_ctx_with_cancel(goc_ctx_background());
    PIT_CHECK(c && ctx);
    int v = 42;
    PIT_CHECK(goc_chan_send(c, &v, GOC_NOW) == 0);
    PIT_CHECK(goc_chan_recv(c, &v, GOC_NOW) == 0 && v == 42);
    if (fixed) {
        goc_chan_free(c);
        goc_ctx_cancel(ctx);
        goc_ctx_free(ctx);
    }
    return 0;
}
static int chan_ctx(int fixed) {
    for (int i = 0; i < ROUNDS; i++)
        if (one_request(fixed)) return 1;
    printf("pitfall: %d channels and contexts %s\n", ROUNDS, fixed ? "freed" : "dropped");
    return 0;
}
static int chan_ctx_buggy(void) { return chan_ctx(0); }
static int chan_ctx_fixed(void) { return chan_ctx(1); }

static void free_msg(void *elem) { free(*(char **)elem); }

static int owning_once(int fixed) {
    goc_chan *c = goc_chan_make(sizeof(char *), 8);
    PIT_CHECK(c != NULL);
    if (fixed) PIT_CHECK(goc_chan_set_dtor(c, free_msg) == 0);
    for (int i = 0; i < 3; i++) {
        char *msg = malloc(64);
        PIT_CHECK(msg != NULL);
        snprintf(msg, 64, "message %d", i);
        PIT_CHECK(goc_chan_send(c, &msg, GOC_NOW) == 0); /* ownership moves into c */
    }
    char *first = NULL;
    PIT_CHECK(goc_chan_recv(c, &first, GOC_NOW) == 0 && strcmp(first, "message 0") == 0);
    free(first);
    goc_chan_free(c); /* two messages still buffered */
    return 0;
}
static int owning(int fixed) {
    for (int i = 0; i < ROUNDS; i++)
        if (owning_once(fixed)) return 1;
    printf("pitfall: %d channels freed with 2 owning pointers inside each (%s)\n", ROUNDS,
           fixed ? "dtor frees them" : "no dtor");
    return 0;
}
static int owning_buggy(void) { return owning(0); }
static int owning_fixed(void) { return owning(1); }

static const pit_mode modes[] = {
    {"chan_ctx_buggy", chan_ctx_buggy}, {"chan_ctx_fixed", chan_ctx_fixed},
    {"owning_buggy", owning_buggy},     {"owning_fixed", owning_fixed},
};
PIT_MAIN(modes)
