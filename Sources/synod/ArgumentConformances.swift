import ArgumentParser
import Raft
import Simulation
import SynodCore

// Command-line spellings of the library's value types. They live here, in the
// executable, so the libraries do not depend on ArgumentParser.

extension FaultProfile: ExpressibleByArgument {}

extension RaftBug: ExpressibleByArgument {}

extension TimeSpan: ExpressibleByArgument {
    /// Accepts `250ms`, `10s`, `1.5s`, `2m`: whatever `TimeSpan(parsing:)` accepts.
    public init?(argument: String) {
        self.init(parsing: argument)
    }
}

extension ElectionSafeguards: ExpressibleByArgument {}

extension ReadMode: ExpressibleByArgument {}
