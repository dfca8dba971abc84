/*
 * messages: one task sends a string on an unbuffered channel, main
 * receives and prints it.
 *
 *     messages := make(chan string)
 *     go func() { messages <- "ping" }()
 *     msg := <-messages
 *     fmt.Println(msg)
 *
 * A Go string is a value; here the element is a fixed 64-byte buffer copied
 * through the channel, so the sender's storage can go away after the send.
 * The unbuffered send returns only once main holds the value, so the sender
 * is finished with everything shared when main prints.
 */
#include <errno.h>
#include <string.h>

#include "patterns.h"

struct msg {
    char s[PAT_MSG_MAX];
};

struct sender_arg {
    goc_chan *messages;
    struct msg m; /* written by main before goc_go; read by the sender */
};

static void sender(void *p) {
    struct sender_arg *a = p;
    /* On failure main's receive fails too; nothing is shared after the send. */
    (void)goc_chan_send(a->messages, &a->m, GOC_NEVER);
}

int pat_messages(const char *msg, char got[PAT_MSG_MAX], FILE *out) {
    if (!msg || !got) return -EINVAL;
    size_t n = strlen(msg);
    if (n >= PAT_MSG_MAX) return -EINVAL;
    struct sender_arg a = {.messages = goc_chan_make(sizeof(struct msg), 0)};
    if (!a.messages) return -errno;
    memcpy(a.m.s, msg, n + 1);
    int rc = goc_go(sender, &a);
    struct msg m;
    if (rc == 0) rc = goc_chan_recv(a.messages, &m, GOC_NEVER);
    if (rc == 0) {
        memcpy(got, m.s, sizeof m.s);
        got[PAT_MSG_MAX - 1] = 0;
        if (out) fprintf(out, "%s\n", got);
    }
    goc_chan_free(a.messages);
    return rc;
}

#ifdef GOC_PATTERN_MAIN
struct cli {
    const char *msg;
    FILE *out;
    int rc;
};

static void cli_root(void *p) {
    struct cli *c = p;
    char got[PAT_MSG_MAX];
    c->rc = pat_messages(c->msg, got, c->out);
}

int main(int argc, char **argv) {
    struct cli c = {.msg = "ping", .out = stdout};
    double scale = 1.0;
    int quiet = 0;
    if (pat_cli_common(&argc, argv, &scale, &quiet)) return 2;
    if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
        fprintf(stderr, "usage: %s [MESSAGE] [--quiet]\n", argv[0]);
        return 2;
    }
    if (argc == 2) c.msg = argv[1];
    if (quiet) c.out = NULL;
    int rc = goc_main(cli_root, &c);
    if (rc || c.rc) {
        fprintf(stderr, "messages: %s\n", goc_strerror(rc ? rc : c.rc));
        return 1;
    }
    return 0;
}
#endif
