import Synchronization

/// A value shared between tasks behind a `Mutex`, as a reference that closures can capture
/// (a `Mutex` itself is non-copyable and cannot be captured by an escaping closure).
package final class LockedValue<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    package init(_ value: Value) {
        mutex = Mutex(value)
    }

    /// Runs `body` with exclusive access to the value.
    package func withLock<Result: Sendable>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        try mutex.withLock { value in try body(&value) }
    }

    /// A copy of the current value.
    package var value: Value { mutex.withLock { $0 } }
}
