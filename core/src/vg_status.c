/* SPDX-License-Identifier: MIT */
#include "vigil/vg_status.h"

const char *vg_status_str(vg_status_t s)
{
    switch (s) {
    case VG_OK: return "ok";
    case VG_ERR_ARG: return "invalid argument";
    case VG_ERR_SIZE: return "size mismatch or buffer too small";
    case VG_ERR_UNSUPPORTED: return "unsupported";
    case VG_ERR_FORMAT: return "malformed model artifact";
    case VG_ERR_CRC: return "model artifact checksum mismatch";
    case VG_ERR_VERSION: return "unsupported model format version";
    case VG_ERR_ALIGN: return "buffer not 4-byte aligned";
    }
    return "unknown status";
}
