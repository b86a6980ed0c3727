/// Where a Google Speech-to-Text v2 stream goes: the regional host, the recognizer resource and
/// the routing header that must agree with both.
///
/// Google rejects (or silently stalls) a stream whose recognizer location differs from the host's
/// location, so both are derived from the one `region` setting here.
package struct GoogleStreamTarget: Sendable, Equatable {
    /// The location: `global`, `us`, `eu`, `us-central1` and so on.
    package var region: String
    /// `projects/{project}/locations/{region}/recognizers/{id}`.
    package var recognizer: String
    /// `https://{region}-speech.googleapis.com` (global: `https://speech.googleapis.com`).
    package var defaultBase: String

    /// The gRPC method path every stream posts to.
    package static let methodPath = "/google.cloud.speech.v2.Speech/StreamingRecognize"

    /// Builds the target from the region, the project and an optional recognizer (an id, or a full
    /// resource name that must name the same location).
    package init(region: String, project: String, recognizer: String?) throws(ProviderError) {
        let region = region.lowercased()
        guard !region.isEmpty, region.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) else {
            throw .invalidOption(
                provider: "Google", option: "--region",
                hint: "'\(region)' is not a Google location; use global, us, eu or a region such as us-central1")
        }
        guard !project.isEmpty, !project.contains("/") else {
            throw .invalidOption(
                provider: "Google", option: "--project", hint: "'\(project)' is not a Google Cloud project id")
        }
        self.region = region
        defaultBase = region == "global" ? "https://speech.googleapis.com" : "https://\(region)-speech.googleapis.com"
        let chosen = recognizer ?? "_"
        if chosen.hasPrefix("projects/") {
            let parts = chosen.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 6, parts[2] == "locations", parts[4] == "recognizers" else {
                throw .invalidOption(
                    provider: "Google", option: "recognizer",
                    hint: "'\(chosen)' is not projects/PROJECT/locations/LOCATION/recognizers/ID")
            }
            guard parts[3].lowercased() == region else {
                throw .invalidOption(
                    provider: "Google", option: "recognizer",
                    hint: "the recognizer is in location '\(parts[3])' but the region is '\(region)'; "
                        + "Google needs them to match: set --region \(parts[3])")
            }
            self.recognizer = chosen
        } else {
            guard !chosen.isEmpty, !chosen.contains("/") else {
                throw .invalidOption(
                    provider: "Google", option: "recognizer", hint: "'\(chosen)' is not a recognizer id")
            }
            self.recognizer = "projects/\(project)/locations/\(region)/recognizers/\(chosen)"
        }
    }

    /// `x-goog-request-params`: routes the stream to the recognizer's location (without it v2
    /// streams hang or fail with RESOURCE_PROJECT_INVALID).
    package var routingHeader: HTTPHeader {
        HTTPHeader("x-goog-request-params", "recognizer=" + EndpointURL.percentEncode(recognizer))
    }
}
