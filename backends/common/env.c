/* Parsing of goc's environment settings, shared by every backend. */
#include "goc_internal.h"

/* GOC_STACK-style sizes: "262144", "64k", "1M", "2G" (an optional trailing
 * "B"); 0 when the text is not such a size. */
size_t goc__parse_size(const char *s) {
    if (!s || !*s) return 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s) return 0;
    switch (*end) {
    case 'k': case 'K': v <<= 10; end++; break;
    case 'm': case 'M': v <<= 20; end++; break;
    case 'g': case 'G': v <<= 30; end++; break;
    default: break;
    }
    if (*end == 'b' || *end == 'B') end++;
    if (*end) return 0;
    return (size_t)v;
}
