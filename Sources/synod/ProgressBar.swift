/// A one-line progress bar on standard error, redrawn in place.
///
/// Only drawn when standard error is a terminal: piped or redirected output never
/// sees it. Not thread-safe by itself; `SeedSweep` calls it under its lock.
struct ProgressBar {
    private var stream = StandardStream.error
    private let total: Int
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    private var lastDraw: ContinuousClock.Instant?
    private static let width = 30

    /// A bar for `total` steps, or nil when standard error is not a terminal.
    init?(total: Int) {
        guard StandardStream.error.isTerminal, total > 1 else { return nil }
        self.total = total
        self.start = clock.now
    }

    /// Redraws the bar, at most every 100 ms unless `force` or the last step.
    mutating func draw(done: Int, violations: Int, force: Bool = false) {
        let now = clock.now
        if !force, done < total, let lastDraw, now - lastDraw < .milliseconds(100) { return }
        lastDraw = now
        let filled = total == 0 ? Self.width : done * Self.width / total
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: Self.width - filled)
        let elapsed = formatFixed((now - start).seconds, decimals: 1)
        stream.write("\r\u{1B}[2K[\(bar)] \(done)/\(total) seeds, \(violations) violations, \(elapsed)s")
    }

    /// Erases the bar so that a line can be printed in its place.
    mutating func clear() {
        stream.write("\r\u{1B}[2K")
    }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
