/// An optional C library hark opens on first use that could not be loaded.
///
/// hark links only what every run needs (the Swift runtime, libcurl); libsoxr, libopusenc,
/// WebRTC audio processing, alsa-lib and PocketSphinx are opened with `dlopen` by
/// their C module's shim (`hark_*_load`) when a run first needs them, which keeps a run's
/// resident memory down to the libraries it uses. A missing one then fails that run only, with
/// this error instead of the dynamic linker's refusal to start hark at all.
package struct MissingLibrary: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file `dlopen` looked for, like `libsoxr.so.0`.
    package var soname: String
    /// The Debian package that installs it.
    package var debianPackage: String
    /// What needed it, phrased to follow "needs": "resampling", "--encoding opus".
    package var neededFor: String
    /// The dynamic linker's own words.
    package var reason: String

    package init(soname: String, debianPackage: String, neededFor: String, reason: String) {
        self.soname = soname
        self.debianPackage = debianPackage
        self.neededFor = neededFor
        self.reason = reason
    }

    package var description: String {
        "\(neededFor) needs \(soname), which could not be loaded (\(reason)). Install the Debian package "
            + "\(debianPackage) ('make deps' in hark's source tree installs everything hark uses)."
    }

    /// Calls a shim's `hark_*_load` and returns a copy of its function table.
    ///
    /// - Throws: `MissingLibrary` with the shim's reason when the library cannot be opened or
    ///   lacks a function.
    package static func load<Functions>(
        _ soname: String, debianPackage: String, neededFor: String,
        _ loader: (UnsafeMutablePointer<UnsafePointer<CChar>?>) -> UnsafePointer<Functions>?
    ) throws(MissingLibrary) -> Functions {
        var reason: UnsafePointer<CChar>?
        guard let functions = loader(&reason) else {
            throw MissingLibrary(
                soname: soname, debianPackage: debianPackage, neededFor: neededFor,
                reason: reason.map { String(cString: $0) } ?? "unknown reason")
        }
        return functions.pointee
    }
}
