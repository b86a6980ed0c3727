#ifndef HARK_CSoxr_SHIM_H
#define HARK_CSoxr_SHIM_H

#include <soxr.h>
#include <hark_shared_library.h>

// libsoxr is loaded on first use (only runs that resample need it): `hark_soxr_load` returns
// the functions below, or NULL with the reason.
#define HARK_SOXR_SONAME "libsoxr.so.0"
#define HARK_SOXR_FUNCTIONS(X) \
    X(soxr_create) X(soxr_delete) X(soxr_process) X(soxr_io_spec) X(soxr_quality_spec) X(soxr_runtime_spec)
HARK_SHARED_LIBRARY_LOADER(hark_soxr, HARK_SOXR_SONAME, HARK_SOXR_FUNCTIONS)

#endif
