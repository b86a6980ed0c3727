#ifndef HARK_CALSA_SHIM_H
#define HARK_CALSA_SHIM_H

#include <alsa/asoundlib.h>
#include <hark_shared_library.h>

// alsa-lib is loaded on first use (only microphone capture and `hark devices` need it):
// `hark_alsa_load` returns the functions below, or NULL with the reason.
#define HARK_ALSA_SONAME "libasound.so.2"
#define HARK_ALSA_FUNCTIONS(X)                                                                     \
    X(snd_strerror) X(snd_lib_error_set_handler)                                                   \
    X(snd_pcm_open) X(snd_pcm_nonblock) X(snd_pcm_close) X(snd_pcm_format_name)                    \
    X(snd_pcm_hw_params) X(snd_pcm_hw_params_any) X(snd_pcm_hw_params_malloc)                      \
    X(snd_pcm_hw_params_free) X(snd_pcm_hw_params_set_access) X(snd_pcm_hw_params_set_rate_resample) \
    X(snd_pcm_hw_params_test_format) X(snd_pcm_hw_params_set_format)                               \
    X(snd_pcm_hw_params_set_channels_near) X(snd_pcm_hw_params_set_rate_near)                      \
    X(snd_pcm_hw_params_set_period_size_near) X(snd_pcm_hw_params_set_buffer_size_near)            \
    X(snd_pcm_hw_params_get_rate) X(snd_pcm_hw_params_get_channels)                                \
    X(snd_pcm_hw_params_get_period_size) X(snd_pcm_hw_params_get_buffer_size)                     \
    X(snd_pcm_hw_params_test_rate) X(snd_pcm_prepare) X(snd_pcm_start) X(snd_pcm_wait)             \
    X(snd_pcm_readi) X(snd_pcm_recover) X(snd_pcm_resume)                                          \
    X(snd_device_name_hint) X(snd_device_name_free_hint) X(snd_device_name_get_hint)               \
    X(snd_card_next) X(snd_ctl_open) X(snd_ctl_close) X(snd_ctl_card_info_malloc)                  \
    X(snd_ctl_card_info_free) X(snd_ctl_card_info) X(snd_ctl_card_info_get_id)                     \
    X(snd_ctl_card_info_get_name) X(snd_ctl_pcm_next_device) X(snd_ctl_pcm_info)                   \
    X(snd_pcm_info_malloc) X(snd_pcm_info_free) X(snd_pcm_info_set_device)                         \
    X(snd_pcm_info_set_subdevice) X(snd_pcm_info_set_stream) X(snd_pcm_info_get_name)              \
    X(snd_pcm_info_get_subdevices_count)
HARK_SHARED_LIBRARY_LOADER(hark_alsa, HARK_ALSA_SONAME, HARK_ALSA_FUNCTIONS)

/* Only what Swift cannot call directly: the error handler type is variadic, so Swift cannot
   write one. The `*_alloca` macros do not import either; the wrapper uses the
   `*_malloc`/`*_free` functions instead of wrapping them. */

static void hark_snd_lib_error_discard(const char *file, int line, const char *function, int err,
                                       const char *fmt, ...) {
    (void)file; (void)line; (void)function; (void)err; (void)fmt;
}

/* Stops alsa-lib printing "ALSA lib pcm.c:…" lines on stderr: hark turns every return code into
   its own message, and the library's lines would break the terminal display. */
static inline int hark_snd_lib_error_silence(hark_alsa_functions alsa) {
    return alsa.snd_lib_error_set_handler(hark_snd_lib_error_discard);
}

#endif
