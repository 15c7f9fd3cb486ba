/* SPDX-License-Identifier: MIT */
#include "csv.h"

#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Size of one fread() from a file; lines longer than this are assembled from chunks. */
#define VGH_CSV_CHUNK 65536u
/* Bytes of a cell shown in a "not a number" message, and of a column name. */
#define VGH_CSV_SHOW_TEXT 40u
#define VGH_CSV_SHOW_NAME 64u

struct vgh_csv {
    FILE *fp;        /* NULL for memory input */
    int own_fp;      /* 0 for stdin */
    const char *src; /* current chunk: the file buffer, or the whole memory input */
    size_t srclen;
    size_t srcpos; /* invariant: srcpos <= srclen */
    char *chunk;   /* file read buffer of VGH_CSV_CHUNK bytes */
    int any;       /* at least one byte was read */
    int eof;       /* file input exhausted */
    int done;      /* vgh_csv_next() reached the end */
    char *line;    /* current line, NUL-terminated at linelen; cells are split in place */
    size_t linelen;
    size_t linecap;
    unsigned long lineno;  /* physical lines consumed */
    unsigned long rowline; /* line of the current row (or of the last failing line) */
    size_t ncols;
    char *names; /* copy of the split header line */
    char **colnames;
    size_t *cells; /* offsets into line of the current row's cells, ncols entries */
    int has_row;
    char *name;
};

static int csv__blank(char ch)
{
    return ch == ' ' || ch == '\t';
}

/* Copy at most max bytes of src into dst for display on one line: control bytes become
 * '?', and a cut never splits a UTF-8 sequence (it backs off to the lead byte). dst
 * must hold max + 4 bytes. */
static void csv__show(char *dst, const char *src, size_t max)
{
    size_t n = strlen(src);
    int cut = n > max;
    if (cut) {
        n = max;
        while (n > 0 && ((unsigned char)src[n] & 0xC0u) == 0x80u)
            n--;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)src[i];
        dst[i] = (ch < 0x20u || ch == 0x7Fu) ? '?' : src[i];
    }
    memcpy(dst + n, cut ? "..." : "", cut ? 4u : 1u);
}

/* Describe field idx (0-based) of the current line for a message. */
static void csv__field(const vgh_csv_t *c, size_t idx, int header, char *buf, size_t len)
{
    char nm[VGH_CSV_SHOW_NAME + 4];
    if (header) {
        snprintf(buf, len, "header field %zu", idx + 1);
    } else if (idx < c->ncols) {
        csv__show(nm, c->colnames[idx], VGH_CSV_SHOW_NAME);
        snprintf(buf, len, "column '%s'", nm);
    } else {
        snprintf(buf, len, "field %zu (beyond the %zu header columns)", idx + 1, c->ncols);
    }
}

/* Append n bytes to the line buffer, keeping room for a terminator. */
static int csv__append(vgh_csv_t *c, const char *p, size_t n)
{
    if (n > SIZE_MAX - 1 - c->linelen)
        return -1;
    size_t need = c->linelen + n + 1;
    if (need > c->linecap) {
        size_t cap = c->linecap ? c->linecap : 256u;
        while (cap < need)
            cap = cap > SIZE_MAX / 2 ? need : cap * 2;
        char *nl = realloc(c->line, cap);
        if (nl == NULL)
            return -1;
        c->line = nl;
        c->linecap = cap;
    }
    if (n > 0)
        memcpy(c->line + c->linelen, p, n);
    c->linelen += n;
    return 0;
}

/* Read one physical line into c->line without its LF/CRLF (and without a leading BOM on
 * line 1). Returns 1 with a line, 0 at end of input, -1 on read error or no memory. */
static int csv__read_line(vgh_csv_t *c, char *err, size_t errlen)
{
    int got = 0;
    c->linelen = 0;
    for (;;) {
        if (c->srcpos == c->srclen) {
            if (c->fp == NULL || c->eof)
                break;
            /* read(), not fread(): on a pipe or terminal it returns what has arrived, so a
             * live stream is parsed row by row instead of waiting for a full chunk. */
            ssize_t n;
            do {
                n = read(fileno(c->fp), c->chunk, VGH_CSV_CHUNK);
            } while (n < 0 && errno == EINTR);
            if (n < 0) {
                vgh_errf(err, errlen, "%s:%lu: read error: %s", c->name, c->lineno + 1,
                         strerror(errno));
                return -1;
            }
            if (n == 0) {
                c->eof = 1;
                break;
            }
            c->src = c->chunk;
            c->srclen = (size_t)n;
            c->srcpos = 0;
        }
        const char *p = c->src + c->srcpos;
        size_t avail = c->srclen - c->srcpos;
        const char *nl = memchr(p, '\n', avail);
        size_t take = nl ? (size_t)(nl - p) : avail;
        if (csv__append(c, p, take) != 0) {
            vgh_errf(err, errlen, "%s:%lu: out of memory (line of %zu+ bytes)", c->name,
                     c->lineno + 1, c->linelen);
            return -1;
        }
        c->any = 1;
        got = 1;
        c->srcpos += take;
        if (nl) {
            c->srcpos++;
            break;
        }
    }
    if (!got)
        return 0;
    c->lineno++;
    if (c->lineno == 1 && c->linelen >= 3 && memcmp(c->line, "\xEF\xBB\xBF", 3) == 0) {
        memmove(c->line, c->line + 3, c->linelen - 3);
        c->linelen -= 3;
    }
    if (c->linelen > 0 && c->line[c->linelen - 1] == '\r')
        c->linelen--;
    c->line[c->linelen] = '\0';
    return 1;
}

/* Blank lines and comment lines are skipped. */
static int csv__skippable(const vgh_csv_t *c)
{
    size_t i = 0;
    while (i < c->linelen && csv__blank(c->line[i]))
        i++;
    return i == c->linelen || c->line[i] == '#';
}

/* Split c->line in place into NUL-terminated cells. The write index w never passes the
 * read index r (quotes and blanks only shrink a field, a separator becomes the
 * terminator), and the final terminator lands at most at index linelen, which the line
 * buffer always has. Stores the offsets of the first maxstore cells in starts and the
 * field count in *nfields. */
static int csv__split(vgh_csv_t *c, size_t *starts, size_t maxstore, size_t *nfields, int header,
                      char *err, size_t errlen)
{
    char *s = c->line;
    size_t n = c->linelen, r = 0, w = 0, f = 0;
    char fld[VGH_CSV_SHOW_NAME + 64];
    for (;;) {
        while (r < n && csv__blank(s[r]))
            r++;
        size_t start = w;
        if (r < n && s[r] == '"') {
            r++;
            for (;;) {
                if (r >= n) {
                    csv__field(c, f, header, fld, sizeof fld);
                    vgh_errf(err, errlen,
                             "%s:%lu: %s: unterminated quoted field (quoted fields must "
                             "not span lines)",
                             c->name, c->lineno, fld);
                    return -1;
                }
                if (s[r] == '\0')
                    goto nul;
                if (s[r] == '"') {
                    if (r + 1 < n && s[r + 1] == '"') {
                        s[w++] = '"';
                        r += 2;
                        continue;
                    }
                    r++;
                    break;
                }
                s[w++] = s[r++];
            }
            while (r < n && csv__blank(s[r]))
                r++;
            if (r < n && s[r] != ',') {
                unsigned char ch = (unsigned char)s[r];
                csv__field(c, f, header, fld, sizeof fld);
                if (ch == 0)
                    goto nul;
                if (ch < 0x20u || ch >= 0x7Fu)
                    vgh_errf(err, errlen, "%s:%lu: %s: unexpected byte 0x%02X after closing quote",
                             c->name, c->lineno, fld, ch);
                else
                    vgh_errf(err, errlen, "%s:%lu: %s: unexpected '%c' after closing quote",
                             c->name, c->lineno, fld, (char)ch);
                return -1;
            }
        } else {
            size_t end = w; /* one past the last non-blank byte written */
            while (r < n && s[r] != ',') {
                if (s[r] == '\0')
                    goto nul;
                char ch = s[r++];
                s[w++] = ch;
                if (!csv__blank(ch))
                    end = w;
            }
            w = end;
        }
        if (f < maxstore)
            starts[f] = start;
        f++;
        int more = r < n; /* s[r] is ',' */
        s[w++] = '\0';
        if (!more)
            break;
        r++;
    }
    *nfields = f;
    return 0;
nul:
    csv__field(c, f, header, fld, sizeof fld);
    vgh_errf(err, errlen, "%s:%lu: %s: NUL byte in line (binary data?)", c->name, c->lineno, fld);
    return -1;
}

static int csv__cmp_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Duplicate check in O(n log n): sort a copy of the name pointers, compare neighbours. */
static int csv__check_dups(vgh_csv_t *c, char *err, size_t errlen)
{
    const char **sorted = malloc(c->ncols * sizeof *sorted);
    if (sorted == NULL) {
        vgh_errf(err, errlen, "%s:%lu: out of memory", c->name, c->rowline);
        return -1;
    }
    memcpy(sorted, c->colnames, c->ncols * sizeof *sorted);
    qsort(sorted, c->ncols, sizeof *sorted, csv__cmp_name);
    const char *dup = NULL;
    for (size_t i = 1; i < c->ncols && dup == NULL; i++)
        if (strcmp(sorted[i - 1], sorted[i]) == 0)
            dup = sorted[i];
    free(sorted);
    if (dup == NULL)
        return 0;
    size_t first = SIZE_MAX, second = SIZE_MAX;
    for (size_t i = 0; i < c->ncols && second == SIZE_MAX; i++) {
        if (strcmp(c->colnames[i], dup) == 0) {
            if (first == SIZE_MAX)
                first = i;
            else
                second = i;
        }
    }
    char nm[VGH_CSV_SHOW_NAME + 4];
    csv__show(nm, dup, VGH_CSV_SHOW_NAME);
    vgh_errf(err, errlen, "%s:%lu: column '%s': duplicate column name (header fields %zu and %zu)",
             c->name, c->rowline, nm, first + 1, second + 1);
    return -1;
}

/* Read and validate the header; frees c and returns NULL on error. */
static vgh_csv_t *csv__start(vgh_csv_t *c, char *err, size_t errlen)
{
    size_t *st = NULL;
    for (;;) {
        int r = csv__read_line(c, err, errlen);
        if (r < 0)
            goto fail;
        if (r == 0) {
            if (!c->any)
                vgh_errf(err, errlen, "%s: empty file (no header row)", c->name);
            else
                vgh_errf(err, errlen, "%s: no header row (only blank or comment lines)", c->name);
            goto fail;
        }
        if (!csv__skippable(c))
            break;
    }
    c->rowline = c->lineno;
    /* A line of n bytes has at most n + 1 fields. */
    size_t maxf = c->linelen + 1, nf = 0;
    if (maxf > SIZE_MAX / sizeof *st || (st = malloc(maxf * sizeof *st)) == NULL)
        goto oom;
    if (csv__split(c, st, maxf, &nf, 1, err, errlen) != 0)
        goto fail;
    if (nf > (size_t)INT_MAX) {
        vgh_errf(err, errlen, "%s:%lu: too many columns (%zu)", c->name, c->rowline, nf);
        goto fail;
    }
    c->names = malloc(c->linelen + 1);
    c->colnames = malloc(nf * sizeof *c->colnames);
    c->cells = malloc(nf * sizeof *c->cells);
    if (c->names == NULL || c->colnames == NULL || c->cells == NULL)
        goto oom;
    memcpy(c->names, c->line, c->linelen + 1);
    c->ncols = nf;
    for (size_t i = 0; i < nf; i++) {
        c->colnames[i] = c->names + st[i];
        if (c->colnames[i][0] == '\0') {
            vgh_errf(err, errlen, "%s:%lu: header field %zu: empty column name", c->name,
                     c->rowline, i + 1);
            goto fail;
        }
    }
    free(st);
    st = NULL;
    if (csv__check_dups(c, err, errlen) != 0)
        goto fail;
    return c;
oom:
    vgh_errf(err, errlen, "%s:%lu: out of memory reading the header", c->name, c->lineno);
fail:
    free(st);
    vgh_csv_close(c);
    return NULL;
}

static vgh_csv_t *csv__new(const char *name, char *err, size_t errlen)
{
    vgh_csv_t *c = calloc(1, sizeof *c);
    size_t n = strlen(name);
    if (c == NULL || (c->name = malloc(n + 1)) == NULL) {
        free(c);
        vgh_errf(err, errlen, "%s: out of memory", name);
        return NULL;
    }
    memcpy(c->name, name, n + 1);
    return c;
}

vgh_csv_t *vgh_csv_open(const char *path, char *err, size_t errlen)
{
    if (path == NULL) {
        vgh_errf(err, errlen, "(null): no file name given");
        return NULL;
    }
    int is_stdin = strcmp(path, "-") == 0;
    vgh_csv_t *c = csv__new(is_stdin ? "<stdin>" : path, err, errlen);
    if (c == NULL)
        return NULL;
    if ((c->chunk = malloc(VGH_CSV_CHUNK)) == NULL) {
        vgh_errf(err, errlen, "%s: out of memory", c->name);
        vgh_csv_close(c);
        return NULL;
    }
    if (is_stdin) {
        c->fp = stdin;
    } else {
        errno = 0;
        c->fp = fopen(path, "rb");
        if (c->fp == NULL) {
            vgh_errf(err, errlen, "%s: cannot open: %s", path,
                     errno ? strerror(errno) : "unknown error");
            vgh_csv_close(c);
            return NULL;
        }
        c->own_fp = 1;
    }
    return csv__start(c, err, errlen);
}

vgh_csv_t *vgh_csv_open_mem(const char *buf, size_t len, const char *name, char *err, size_t errlen)
{
    if (name == NULL)
        name = "<memory>";
    if (buf == NULL && len > 0) {
        vgh_errf(err, errlen, "%s: NULL buffer with length %zu", name, len);
        return NULL;
    }
    vgh_csv_t *c = csv__new(name, err, errlen);
    if (c == NULL)
        return NULL;
    c->src = buf;
    c->srclen = buf ? len : 0;
    return csv__start(c, err, errlen);
}

void vgh_csv_close(vgh_csv_t *c)
{
    if (c == NULL)
        return;
    if (c->fp != NULL && c->own_fp)
        fclose(c->fp);
    free(c->chunk);
    free(c->line);
    free(c->names);
    free(c->colnames);
    free(c->cells);
    free(c->name);
    free(c);
}

size_t vgh_csv_ncols(const vgh_csv_t *c)
{
    return c->ncols;
}

const char *vgh_csv_colname(const vgh_csv_t *c, size_t i)
{
    return i < c->ncols ? c->colnames[i] : NULL;
}

int vgh_csv_find(const vgh_csv_t *c, const char *name)
{
    if (name == NULL)
        return -1;
    while (csv__blank(*name))
        name++;
    size_t n = strlen(name);
    while (n > 0 && csv__blank(name[n - 1]))
        n--;
    for (size_t i = 0; i < c->ncols; i++)
        if (strncmp(c->colnames[i], name, n) == 0 && c->colnames[i][n] == '\0')
            return (int)i;
    return -1;
}

int vgh_csv_next(vgh_csv_t *c, char *err, size_t errlen)
{
    c->has_row = 0;
    if (c->done)
        return 0;
    for (;;) {
        int r = csv__read_line(c, err, errlen);
        if (r == 0)
            c->done = 1;
        if (r <= 0)
            return r;
        if (!csv__skippable(c))
            break;
    }
    c->rowline = c->lineno;
    size_t nf = 0;
    if (csv__split(c, c->cells, c->ncols, &nf, 0, err, errlen) != 0)
        return -1;
    if (nf != c->ncols) {
        char nm[VGH_CSV_SHOW_NAME + 4];
        if (nf < c->ncols) {
            csv__show(nm, c->colnames[nf], VGH_CSV_SHOW_NAME);
            vgh_errf(err, errlen, "%s:%lu: expected %zu fields, got %zu (column '%s' is missing)",
                     c->name, c->rowline, c->ncols, nf, nm);
        } else {
            csv__show(nm, c->colnames[c->ncols - 1], VGH_CSV_SHOW_NAME);
            vgh_errf(err, errlen,
                     "%s:%lu: expected %zu fields, got %zu (extra field after last column '%s')",
                     c->name, c->rowline, c->ncols, nf, nm);
        }
        return -1;
    }
    c->has_row = 1;
    return 1;
}

const char *vgh_csv_cell(const vgh_csv_t *c, size_t col)
{
    if (!c->has_row || col >= c->ncols)
        return NULL;
    return c->line + c->cells[col];
}

int vgh_csv_number(const vgh_csv_t *c, size_t col, double *out, char *err, size_t errlen)
{
    if (!c->has_row) {
        vgh_errf(err, errlen, "%s:%lu: no current row", c->name, c->rowline);
        return -1;
    }
    if (col >= c->ncols) {
        vgh_errf(err, errlen, "%s:%lu: column index %zu out of range (%zu columns)", c->name,
                 c->rowline, col, c->ncols);
        return -1;
    }
    const char *cell = c->line + c->cells[col];
    const char *p = cell;
    while (csv__blank(*p))
        p++;
    size_t n = strlen(p);
    while (n > 0 && csv__blank(p[n - 1]))
        n--;
    if (n == 0 || (n == 2 && p[0] == 'N' && p[1] == 'A')) {
        *out = NAN;
        return 0;
    }
    char *end = NULL;
    errno = 0;
    double v = strtod(p, &end);
    char fld[VGH_CSV_SHOW_NAME + 64], txt[VGH_CSV_SHOW_TEXT + 4];
    if (end == p || end != p + n) {
        csv__field(c, col, 0, fld, sizeof fld);
        csv__show(txt, cell, VGH_CSV_SHOW_TEXT);
        vgh_errf(err, errlen, "%s:%lu: %s: '%s' is not a number", c->name, c->rowline, fld, txt);
        return -1;
    }
    if (isnan(v)) {
        v = NAN; /* drop the sign and payload of "-nan" / "nan(...)" */
    } else if (errno == ERANGE && isinf(v)) {
        csv__field(c, col, 0, fld, sizeof fld);
        csv__show(txt, cell, VGH_CSV_SHOW_TEXT);
        vgh_errf(err, errlen, "%s:%lu: %s: '%s' is out of range for a double", c->name, c->rowline,
                 fld, txt);
        return -1;
    }
    *out = v;
    return 0;
}

unsigned long vgh_csv_line(const vgh_csv_t *c)
{
    return c->rowline;
}

const char *vgh_csv_name(const vgh_csv_t *c)
{
    return c->name;
}
