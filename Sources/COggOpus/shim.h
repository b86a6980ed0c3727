#ifndef HARK_COggOpus_SHIM_H
#define HARK_COggOpus_SHIM_H

#include <opusenc.h>

#endif
