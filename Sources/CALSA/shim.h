#ifndef HARK_CALSA_SHIM_H
#define HARK_CALSA_SHIM_H

#include <alsa/asoundlib.h>

/* Only what Swift cannot call directly: the error handler type is variadic, so Swift cannot
   write one. The `*_alloca` macros do not import either; the wrapper uses the
   `*_malloc`/`*_free` functions instead of wrapping them. */

static void hark_snd_lib_error_discard(const char *file, int line, const char *function, int err,
                                       const char *fmt, ...) {
    (void)file; (void)line; (void)function; (void)err; (void)fmt;
}

/* Stops alsa-lib printing "ALSA lib pcm.c:…" lines on stderr: hark turns every return code into
   its own message, and the library's lines would break the terminal display. */
static inline int hark_snd_lib_error_silence(void) {
    return snd_lib_error_set_handler(hark_snd_lib_error_discard);
}

#endif
