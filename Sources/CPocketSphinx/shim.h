#ifndef HARK_CPocketSphinx_SHIM_H
#define HARK_CPocketSphinx_SHIM_H

#include <pocketsphinx.h>

#endif
