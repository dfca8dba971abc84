/* pat_common.c: what every pattern and pattern CLI shares: the time scale
 * and the common command-line options. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "patterns.h"

int64_t pat_scaled(int64_t ns, double time_scale) {
    if (ns <= 0) return ns;
    if (!(time_scale > 0)) time_scale = 1.0;
    double v = (double)ns * time_scale;
    if (v >= 9.2e18) return INT64_MAX / 2; /* far enough to mean "never", safe to add to now */
    int64_t r = (int64_t)v;
    return r < 1 ? 1 : r;
}

/* Removes argv[i .. i+n-1] and shifts the rest (argv[argc] stays NULL). */
static void drop_args(int *argc, char **argv, int i, int n) {
    memmove(&argv[i], &argv[i + n], (size_t)(*argc - i - n + 1) * sizeof argv[0]);
    *argc -= n;
}

int pat_cli_common(int *argc, char **argv, double *time_scale, int *quiet) {
    for (int i = 1; i < *argc;) {
        const char *a = argv[i];
        const char *val = NULL;
        int used = 0;
        if (strcmp(a, "--time-scale") == 0) {
            if (i + 1 >= *argc) {
                fprintf(stderr, "%s: --time-scale needs a value\n", argv[0]);
                return -EINVAL;
            }
            val = argv[i + 1];
            used = 2;
        } else if (strncmp(a, "--time-scale=", 13) == 0) {
            val = a + 13;
            used = 1;
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            if (quiet) *quiet = 1;
            drop_args(argc, argv, i, 1);
            continue;
        } else {
            i++;
            continue;
        }
        char *end = NULL;
        errno = 0;
        double s = strtod(val, &end);
        if (errno || end == val || *end || !(s > 0) || !isfinite(s) || s > 1000) {
            fprintf(stderr, "%s: bad --time-scale '%s' (want a number in (0, 1000])\n", argv[0], val);
            return -EINVAL;
        }
        if (time_scale) *time_scale = s;
        drop_args(argc, argv, i, used);
    }
    return 0;
}
