/// hark's version, printed by `hark --version` and sent nowhere.
package enum HarkVersion {
    package static let string = "0.1.0"
}
