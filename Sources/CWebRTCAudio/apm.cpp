// C shim over webrtc::AudioProcessing so that no C++ type reaches Swift.
//
// The float ProcessStream(src, inConfig, outConfig, dst) path is used because it accepts any
// rate from 8 to 96 kHz (the int16 path only 8/16/32/48 kHz, measured on Debian 12's 0.3).

#include "hark_apm.h"

#include <memory>
#include <new>

#include "hark_shared_library.h"

#include "webrtc/modules/audio_processing/include/audio_processing.h"

struct hark_apm {
    std::unique_ptr<webrtc::AudioProcessing> processing;
    webrtc::StreamConfig stream;
    bool voice_detection;
};

namespace {

// The library is opened on first use (only --vad/--denoise/--agc need it), so the one
// non-virtual function the shim calls is resolved by name; everything else goes through the
// returned object's virtual functions and the header's inline code.
using CreateFunction = webrtc::AudioProcessing *(*)();

struct Library {
    CreateFunction create;
};

const Library *load_library(const char **error) {
    static Library library;
    static const char *const names[] = {"_ZN6webrtc15AudioProcessing6CreateEv"};  // AudioProcessing::Create()
    static int loaded;
    static const char *failure;
    *error = hark_shared_library_load(HARK_APM_SONAME, names, reinterpret_cast<void **>(&library), 1, &loaded,
                                      &failure);
    return *error == nullptr ? &library : nullptr;
}

webrtc::VoiceDetection::Likelihood likelihood_from(int value) {
    switch (value) {
    case 0: return webrtc::VoiceDetection::kVeryLowLikelihood;
    case 1: return webrtc::VoiceDetection::kLowLikelihood;
    case 2: return webrtc::VoiceDetection::kModerateLikelihood;
    default: return webrtc::VoiceDetection::kHighLikelihood;
    }
}

webrtc::NoiseSuppression::Level suppression_from(int value) {
    switch (value) {
    case 0: return webrtc::NoiseSuppression::kLow;
    case 1: return webrtc::NoiseSuppression::kModerate;
    case 2: return webrtc::NoiseSuppression::kHigh;
    default: return webrtc::NoiseSuppression::kVeryHigh;
    }
}

int configure(webrtc::AudioProcessing *apm, const hark_apm_options &options) {
    int status = apm->high_pass_filter()->Enable(options.high_pass_filter != 0);
    if (status != webrtc::AudioProcessing::kNoError) return status;
    if (options.noise_suppression_level >= 0) {
        status = apm->noise_suppression()->set_level(suppression_from(options.noise_suppression_level));
        if (status != webrtc::AudioProcessing::kNoError) return status;
        status = apm->noise_suppression()->Enable(true);
        if (status != webrtc::AudioProcessing::kNoError) return status;
    }
    if (options.gain_control != 0) {
        // Digital: hark cannot move the capture device's analog volume.
        status = apm->gain_control()->set_mode(webrtc::GainControl::kAdaptiveDigital);
        if (status != webrtc::AudioProcessing::kNoError) return status;
        status = apm->gain_control()->Enable(true);
        if (status != webrtc::AudioProcessing::kNoError) return status;
    }
    if (options.voice_detection != 0) {
        status = apm->voice_detection()->set_likelihood(likelihood_from(options.vad_likelihood));
        if (status != webrtc::AudioProcessing::kNoError) return status;
        status = apm->voice_detection()->Enable(true);
        if (status != webrtc::AudioProcessing::kNoError) return status;
    }
    return webrtc::AudioProcessing::kNoError;
}

}  // namespace

extern "C" const char *hark_apm_load(void) {
    const char *error = nullptr;
    load_library(&error);
    return error;
}

extern "C" hark_apm *hark_apm_create(int sample_rate, const hark_apm_options *options, int *error) {
    int ignored = 0;
    int *status = error != nullptr ? error : &ignored;
    if (options == nullptr) {
        *status = webrtc::AudioProcessing::kNullPointerError;
        return nullptr;
    }
    if (sample_rate < 8000 || sample_rate > 96000) {
        *status = webrtc::AudioProcessing::kBadSampleRateError;
        return nullptr;
    }
    const char *load_error = nullptr;
    const Library *library = load_library(&load_error);
    if (library == nullptr) {
        *status = webrtc::AudioProcessing::kCreationFailedError;
        return nullptr;
    }
    std::unique_ptr<webrtc::AudioProcessing> processing(library->create());
    if (!processing) {
        *status = webrtc::AudioProcessing::kCreationFailedError;
        return nullptr;
    }
    webrtc::StreamConfig stream(sample_rate, 1, false);
    webrtc::ProcessingConfig config = {{stream, stream, stream, stream}};
    int result = processing->Initialize(config);
    if (result == webrtc::AudioProcessing::kNoError) result = configure(processing.get(), *options);
    if (result != webrtc::AudioProcessing::kNoError) {
        *status = result;
        return nullptr;
    }
    hark_apm *apm = new (std::nothrow) hark_apm{std::move(processing), stream, options->voice_detection != 0};
    if (apm == nullptr) {
        *status = webrtc::AudioProcessing::kCreationFailedError;
        return nullptr;
    }
    *status = webrtc::AudioProcessing::kNoError;
    return apm;
}

extern "C" int hark_apm_frame_length(const hark_apm *apm) {
    return apm == nullptr ? 0 : static_cast<int>(apm->stream.num_frames());
}

extern "C" int hark_apm_process(hark_apm *apm, float *frame, int frame_length, int *voice) {
    if (voice != nullptr) *voice = 0;
    if (apm == nullptr || frame == nullptr) return webrtc::AudioProcessing::kNullPointerError;
    if (frame_length != static_cast<int>(apm->stream.num_frames())) {
        return webrtc::AudioProcessing::kBadDataLengthError;
    }
    float *channels[1] = {frame};
    int result = apm->processing->ProcessStream(channels, apm->stream, apm->stream, channels);
    if (result != webrtc::AudioProcessing::kNoError) return result;
    if (voice != nullptr && apm->voice_detection) {
        *voice = apm->processing->voice_detection()->stream_has_voice() ? 1 : 0;
    }
    return webrtc::AudioProcessing::kNoError;
}

extern "C" void hark_apm_destroy(hark_apm *apm) { delete apm; }

extern "C" const char *hark_apm_strerror(int code) {
    switch (code) {
    case webrtc::AudioProcessing::kNoError: return "no error";
    case webrtc::AudioProcessing::kUnspecifiedError: return "unspecified error";
    case webrtc::AudioProcessing::kCreationFailedError: return "creation failed";
    case webrtc::AudioProcessing::kUnsupportedComponentError: return "unsupported component";
    case webrtc::AudioProcessing::kUnsupportedFunctionError: return "unsupported function";
    case webrtc::AudioProcessing::kNullPointerError: return "null pointer";
    case webrtc::AudioProcessing::kBadParameterError: return "bad parameter";
    case webrtc::AudioProcessing::kBadSampleRateError: return "unsupported sample rate";
    case webrtc::AudioProcessing::kBadDataLengthError: return "frame is not 10 ms long";
    case webrtc::AudioProcessing::kBadNumberChannelsError: return "bad number of channels";
    case webrtc::AudioProcessing::kFileError: return "file error";
    case webrtc::AudioProcessing::kStreamParameterNotSetError: return "stream parameter not set";
    case webrtc::AudioProcessing::kNotEnabledError: return "component not enabled";
    case webrtc::AudioProcessing::kBadStreamParameterWarning: return "bad stream parameter";
    default: return "unknown error";
    }
}
