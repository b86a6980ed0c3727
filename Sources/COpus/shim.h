#ifndef HARK_COpus_SHIM_H
#define HARK_COpus_SHIM_H

#include <opus.h>

#endif
