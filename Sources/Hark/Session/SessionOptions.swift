/// Opens a link for a connection request; the CLI passes the real one (WebSocket, gRPC,
/// in-process), tests pass in-memory links.
package typealias LinkOpener =
    @Sendable (_ adapter: any ProviderAdapter, _ request: ConnectionRequest) async throws ->
    any ProviderLink

/// Makes the payload encoder for one connection.
package typealias PayloadEncoderFactory =
    @Sendable (_ requirements: AudioRequirements) throws ->
    any AudioPayloadEncoder

/// Limits and timers of a run.
package struct SessionOptions: Sendable {
    package var backoff: Backoff
    /// Seconds of unacknowledged audio kept for replay after a reconnect.
    package var replayCapacity: Double
    /// Live sources drop the oldest audio when the backlog is full; files wait instead.
    package var dropsOldestWhenFull: Bool
    /// How long to wait for the provider's last results after asking it to finish.
    package var finishTimeout: Duration
    /// How long to wait for a provider that must confirm its session before audio flows.
    package var readyTimeout: Duration
    /// A connection that sends nothing for this long while audio flows is treated as dead.
    package var silentServerTimeout: Duration?
    /// A connection that lived this long resets the backoff.
    package var healthyAfter: Duration
    /// Rotate to a new provider session before this age (from the provider's maximum session
    /// length): after the first final past 85 % of it, or at 95 % regardless.
    package var sessionLimit: Duration?

    package init(
        backoff: Backoff = Backoff(), replayCapacity: Double = 120, dropsOldestWhenFull: Bool = false,
        finishTimeout: Duration = .seconds(10), readyTimeout: Duration = .seconds(10),
        silentServerTimeout: Duration? = .seconds(30), healthyAfter: Duration = .seconds(10),
        sessionLimit: Duration? = nil
    ) {
        self.backoff = backoff
        self.replayCapacity = replayCapacity
        self.dropsOldestWhenFull = dropsOldestWhenFull
        self.finishTimeout = finishTimeout
        self.readyTimeout = readyTimeout
        self.silentServerTimeout = silentServerTimeout
        self.healthyAfter = healthyAfter
        self.sessionLimit = sessionLimit
    }
}
