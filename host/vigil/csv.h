/* SPDX-License-Identifier: MIT */
/**
 * @file csv.h
 * @brief Streaming CSV reader for sensor data files that have a header row.
 *
 * The reader holds one line in memory at a time (the line buffer grows as needed, so
 * lines may be arbitrarily long) and never loads the whole file.
 *
 * Accepted format:
 * - Lines end in LF or CRLF; the last line may lack its terminator.
 * - A UTF-8 byte order mark at the very start of the input is skipped.
 * - Blank lines (empty, or only spaces and tabs) are skipped.
 * - Lines whose first non-blank character is `#` are comments and are skipped, before
 *   and after the header. A data row whose first cell starts with `#` must therefore
 *   quote that cell.
 * - The first remaining line is the header. Column names are trimmed of spaces and
 *   tabs; they must be non-empty and unique.
 * - Every data row must have exactly as many fields as the header.
 * - Fields are separated by `,`. Unquoted fields are trimmed of spaces and tabs.
 *   RFC 4180 quoting is supported: `"a, ""b"""` is the cell `a, "b"`. Blanks outside
 *   the quotes are ignored, blanks inside are kept. Anything else after the closing
 *   quote is an error. A `"` inside an unquoted field is kept literally.
 * - Limitation: a quoted field must not span lines (an embedded newline is reported as
 *   an unterminated quoted field).
 * - A NUL byte in a non-comment line is an error naming the line (binary input).
 *
 * Errors are reported as 0/-1 (or NULL) plus a one-line message in a caller buffer
 * `err` of `errlen` bytes (always NUL-terminated when errlen > 0; `err` may be NULL).
 * Messages name the input, the physical line and the column, e.g.
 * `data.csv:17: column 'value': 'abc' is not a number`.
 *
 * Thread safety: a reader is not synchronised; use each reader from one thread at a
 * time. Different readers are independent (there is no global state).
 */
#ifndef VGH_CSV_H
#define VGH_CSV_H
#include <stddef.h>

/** Opaque reader state; create with vgh_csv_open() or vgh_csv_open_mem(). */
typedef struct vgh_csv vgh_csv_t;

/**
 * @brief Open a CSV file and read its header row.
 * @param[in]  path   File path, or "-" for standard input (named "<stdin>" in messages;
 *                    stdin is not closed by vgh_csv_close()).
 * @param[out] err    Message buffer for errors (may be NULL).
 * @param[in]  errlen Size of @p err in bytes.
 * @retval reader on success.
 * @retval NULL   on error: file cannot be opened, zero-byte file ("FILE: empty file (no
 *                header row)"), no header line, empty or duplicate column name, malformed
 *                header, read error or out of memory.
 */
vgh_csv_t *vgh_csv_open(const char *path, char *err, size_t errlen);

/**
 * @brief Open a CSV document held in memory and read its header row.
 * @param[in]  buf    Bytes of the document (may be NULL when @p len is 0). Not copied:
 *                    it must stay valid and unchanged until vgh_csv_close().
 * @param[in]  len    Number of bytes in @p buf. No terminator is needed or read.
 * @param[in]  name   Name used in messages (NULL gives "<memory>"); copied.
 * @param[out] err    Message buffer for errors (may be NULL).
 * @param[in]  errlen Size of @p err in bytes.
 * @retval reader on success.
 * @retval NULL   on error (same cases as vgh_csv_open()).
 */
vgh_csv_t *vgh_csv_open_mem(const char *buf, size_t len, const char *name, char *err,
                            size_t errlen);

/**
 * @brief Close a reader and free its memory (closes the file unless it is stdin).
 * @param[in] c Reader, or NULL (no-op).
 */
void vgh_csv_close(vgh_csv_t *c);

/**
 * @brief Number of columns in the header (always >= 1 for an open reader).
 * @param[in] c Open reader.
 */
size_t vgh_csv_ncols(const vgh_csv_t *c);

/**
 * @brief Name of column @p i (trimmed, unquoted), valid until vgh_csv_close().
 * @param[in] c Open reader.
 * @param[in] i Column index, 0-based.
 * @retval name, or NULL when @p i >= vgh_csv_ncols().
 */
const char *vgh_csv_colname(const vgh_csv_t *c, size_t i);

/**
 * @brief Find a column by name: exact, case-sensitive match after trimming spaces and
 *        tabs from both @p name and the header names.
 * @param[in] c    Open reader.
 * @param[in] name Column name (NUL-terminated).
 * @retval index 0-based column index.
 * @retval -1    when there is no such column.
 */
int vgh_csv_find(const vgh_csv_t *c, const char *name);

/**
 * @brief Read the next data row, skipping blank and comment lines.
 *
 * On success the cells are available through vgh_csv_cell() and vgh_csv_number() until
 * the next call. After an error (-1) no row is current; calling again continues with
 * the following line, so a caller may choose to skip bad rows (except after a read
 * error or out of memory, which repeat).
 * @param[in,out] c      Open reader.
 * @param[out]    err    Message buffer (may be NULL), e.g. "f.csv:9: expected 4 fields,
 *                       got 3 (column 'd' is missing)".
 * @param[in]     errlen Size of @p err in bytes.
 * @retval 1  a row is ready.
 * @retval 0  end of input (repeats on further calls).
 * @retval -1 error: wrong field count, unterminated quote, text after a closing quote,
 *            NUL byte, read error or out of memory.
 */
int vgh_csv_next(vgh_csv_t *c, char *err, size_t errlen);

/**
 * @brief Text of a cell of the current row: trimmed (outside quotes) and unquoted.
 * @param[in] c   Open reader.
 * @param[in] col Column index, 0-based.
 * @retval text valid until the next vgh_csv_next() or vgh_csv_close().
 * @retval NULL when no row is current or @p col >= vgh_csv_ncols().
 */
const char *vgh_csv_cell(const vgh_csv_t *c, size_t col);

/**
 * @brief Parse a cell of the current row as a double.
 *
 * The whole cell must be consumed by strtod() (blanks around the number are allowed).
 * An empty cell, "nan" in any letter case (also "-nan") and "NA" are missing values:
 * *out = NAN and the call succeeds (the missing-value policy is the caller's).
 * "inf", "+inf", "-inf", "infinity" give +-INFINITY. strtod() is locale dependent: the
 * decimal point is '.' in the default "C" locale.
 * @param[in]  c      Open reader with a current row.
 * @param[in]  col    Column index, 0-based.
 * @param[out] out    Parsed value; unchanged on error.
 * @param[out] err    Message buffer (may be NULL), e.g. "f.csv:17: column 'value':
 *                    'abc' is not a number" (the text is cut to about 40 characters).
 * @param[in]  errlen Size of @p err in bytes.
 * @retval 0  success.
 * @retval -1 not a number, finite text that overflows a double, no current row, or
 *            @p col out of range.
 */
int vgh_csv_number(const vgh_csv_t *c, size_t col, double *out, char *err, size_t errlen);

/**
 * @brief 1-based physical line number of the current row (of the failing line after
 *        vgh_csv_next() returned -1; of the header right after opening).
 * @param[in] c Open reader.
 */
unsigned long vgh_csv_line(const vgh_csv_t *c);

/**
 * @brief Input name used in messages (the path, "<stdin>" or the memory name).
 * @param[in] c Open reader.
 */
const char *vgh_csv_name(const vgh_csv_t *c);

#endif
