#ifndef HARK_CSoxr_SHIM_H
#define HARK_CSoxr_SHIM_H

#include <soxr.h>

#endif
