import SynodCore

extension TransactionRun {
    /// The protocol and clock choices of the commit-wait and uncertainty-restart variants.
    enum Variant: Sendable, CaseIterable {
        case commitWait
        case noWait
        case commitWaitBoundBroken
        case uncertaintyRestart
        case noRestart

        var name: String {
            switch self {
            case .commitWait: "commit-wait/skew-within-bound"
            case .noWait: "commit-wait/no-wait"
            case .commitWaitBoundBroken: "commit-wait/clock-bound-broken"
            case .uncertaintyRestart: "uncertainty-restart/skew-within-bound"
            case .noRestart: "uncertainty-restart/no-restart"
            }
        }

        var expected: TimeOutcome {
            switch self {
            case .commitWait, .uncertaintyRestart: .clean
            case .noWait, .commitWaitBoundBroken, .noRestart: .violation
            }
        }

        var summary: String {
            switch self {
            case .commitWait: "TrueTime stamps and commit wait; every clock within ε of true time"
            case .noWait: "TrueTime stamps, no commit wait; every clock within ε"
            case .commitWaitBoundBroken: "TrueTime stamps and commit wait; one clock steps 4–10 ε outside the bound"
            case .uncertaintyRestart: "hybrid stamps from the gateway; reads restart inside the 2ε uncertainty window"
            case .noRestart: "hybrid stamps from the gateway; reads ignore the uncertainty window"
            }
        }

        var usesHybridClocks: Bool { self == .uncertaintyRestart || self == .noRestart }
        var commitWaits: Bool { self == .commitWait || self == .commitWaitBoundBroken }
        var restartsOnUncertainty: Bool { self == .uncertaintyRestart }
        var breaksBound: Bool { self == .commitWaitBoundBroken }

        var timeVariant: TimeVariant {
            let variant = self
            return TimeVariant(name: name, expected: expected, summary: summary) { seed, epsilon in
                var run = TransactionRun(variant: variant, seed: seed, epsilon: epsilon)
                return run.run()
            }
        }
    }
}
