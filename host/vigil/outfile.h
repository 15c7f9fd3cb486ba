/* SPDX-License-Identifier: MIT */
/**
 * @file outfile.h
 * @brief Writing a whole output file (models, generated headers) the way a user expects
 *        whatever the path names: a new or regular file, a symbolic link, a FIFO or a device.
 */
#ifndef VGH_OUTFILE_H
#define VGH_OUTFILE_H
#include <stddef.h>

/**
 * @brief Write @p len bytes of @p buf as the whole content of @p path.
 *
 * - A new path or an existing regular file is replaced atomically: the bytes go to a
 *   temporary with a unique name (`.NAME.XXXXXX`, mkstemp) in the same directory, which is
 *   renamed over it. The file gets the mode of the file it replaces, or 0666 & ~umask when
 *   new. The temporary is removed on any failure; the old file is then left as it was.
 * - A symbolic link is followed (to any depth; a dangling link names the file to create): the
 *   file it points to is replaced, the link stays.
 * - Anything else that exists (FIFO, character or block device, socket) is opened and
 *   written straight into: no temporary, no rename. Opening a FIFO waits for its reader.
 *
 * @param[in]  path   output path as the user gave it; it is the one named in @p err
 * @param[in]  buf    @p len bytes
 * @param[out] err    on failure "PATH: cannot write: REASON", NUL-terminated, @p errlen bytes
 * @retval 0  written
 * @retval -1 not written (the caller exits with VGH_EXIT_SYSTEM)
 * Not thread-safe: it reads the process umask by setting it and back.
 */
int vgh_write_file(const char *path, const void *buf, size_t len, char *err, size_t errlen);

#endif
