import Foundation
import Histogram

/// What `synod bench kv` prints: a table for people, or one JSON object for scripts
/// (`scripts/compare-etcd` reads it).
struct BenchKVReport {
    var load: BenchKVLoad
    var target: String
    var prefill: BenchKVLoad.Result?
    var measured = BenchKVLoad.Result()
    /// Each server's CPU use over the measured run, in percent of one core, when the
    /// servers' pids are known (a cluster in a directory).
    var serverCPU: [(id: Int, percent: Double)] = []
    /// The cluster's term and leader before and after the load (prefill included).
    var elections = BenchKVElections()
    var interrupted = false

    init(load: BenchKVLoad, target: String) {
        self.load = load
        self.target = target
    }

    func text() -> String {
        var lines: [String] = []
        lines.append(
            "synod bench kv: \(target); \(load.clients) client\(load.clients == 1 ? "" : "s"), "
                + "\(formatGrouped(load.operations)) ops at most in \(formatFixed(load.seconds, decimals: 0)) s, "
                + "\(load.valueSize)-byte values, read ratio \(formatFixed(load.readRatio, decimals: 2)), "
                + "\(formatGrouped(load.keys)) keys")
        #if DEBUG
            lines.append("warning: this is a debug build; run: swift run -c release synod bench kv")
        #endif
        if let prefill {
            lines.append(
                "prefill: \(formatGrouped(Int(prefill.writes.totalCount))) keys written in "
                    + "\(formatFixed(prefill.elapsed, decimals: 2)) s, \(prefill.errors) errors (not in the figures)")
        }
        let result = measured
        lines.append(
            "kind".rightPadded(to: 6) + "ops".leftPadded(to: 9) + "ops/s".leftPadded(to: 9)
                + "p50".leftPadded(to: 11) + "p99".leftPadded(to: 11) + "p999".leftPadded(to: 11)
                + "max".leftPadded(to: 11) + "errors".leftPadded(to: 8))
        for (name, histogram, errors) in [
            ("write", result.writes, result.writeErrors), ("read", result.reads, result.readErrors),
        ] where histogram.totalCount > 0 || errors > 0 {
            let count = Int(histogram.totalCount)
            lines.append(
                name.rightPadded(to: 6) + formatGrouped(count).leftPadded(to: 9)
                    + formatGrouped(Int(rate(count).rounded())).leftPadded(to: 9)
                    + Self.latency(histogram, 50).leftPadded(to: 11) + Self.latency(histogram, 99).leftPadded(to: 11)
                    + Self.latency(histogram, 99.9).leftPadded(to: 11)
                    + (histogram.totalCount > 0 ? formatLatency(Double(histogram.max) / 1e6) : "-").leftPadded(to: 11)
                    + formatGrouped(errors).leftPadded(to: 8))
        }
        let completed = Int(result.writes.totalCount + result.reads.totalCount)
        lines.append(
            "all".rightPadded(to: 6) + formatGrouped(completed).leftPadded(to: 9)
                + formatGrouped(Int(rate(completed).rounded())).leftPadded(to: 9) + String(repeating: " ", count: 44)
                + formatGrouped(result.errors).leftPadded(to: 8))
        lines.append(
            "elapsed \(formatFixed(result.elapsed, decimals: 2)) s; generator CPU "
                + "\(formatFixed(result.cpuPercent, decimals: 0)) % of one core "
                + "(user \(formatFixed(result.userCPU, decimals: 2)) s + sys \(formatFixed(result.systemCPU, decimals: 2)) s)"
        )
        if !serverCPU.isEmpty {
            lines.append(
                "server CPU: "
                    + serverCPU.map { "n\($0.id) \(formatFixed($0.percent, decimals: 0)) %" }.joined(separator: ", ")
                    + " of one core (this machine has \(processorCount()))")
        }
        lines.append(elections.text)
        let failures = result.failures.merging(prefill?.failures ?? [:], uniquingKeysWith: +)
        for (text, count) in failures.sorted(by: { $0.value > $1.value }).prefix(5) {
            lines.append("error \(formatGrouped(count))×: \(text)")
        }
        if interrupted { lines.append("interrupted: the figures cover the run until then") }
        return lines.joined(separator: "\n")
    }

    /// One line of JSON: rates in ops/s, latencies in microseconds, CPU in percent of one core.
    func json() -> String {
        func kind(_ histogram: Histogram<UInt64>, _ errors: Int) -> [String: Any] {
            let count = Int(histogram.totalCount)
            return [
                "ops": count, "ops_per_s": rate(count), "errors": errors,
                "p50_us": histogram.totalCount > 0 ? histogram.valueAtPercentile(50) : 0,
                "p99_us": histogram.totalCount > 0 ? histogram.valueAtPercentile(99) : 0,
                "p999_us": histogram.totalCount > 0 ? histogram.valueAtPercentile(99.9) : 0,
                "max_us": histogram.totalCount > 0 ? histogram.max : 0,
            ]
        }
        let object: [String: Any] = [
            "generator": "synod bench kv", "target": target, "clients": load.clients, "value_size": load.valueSize,
            "read_ratio": load.readRatio, "keys": load.keys, "elapsed_s": measured.elapsed,
            "write": kind(measured.writes, measured.writeErrors), "read": kind(measured.reads, measured.readErrors),
            "errors": measured.errors, "prefill_errors": prefill?.errors ?? 0,
            "generator_cpu_percent": measured.cpuPercent,
            "server_cpu_percent": Dictionary(uniqueKeysWithValues: serverCPU.map { ("n\($0.id)", $0.percent) }),
            "failures": measured.failures, "interrupted": interrupted,
            "elections": elections.count.map { $0 as Any } ?? NSNull(),
            "term_before": elections.termBefore.map { $0 as Any } ?? NSNull(),
            "term_after": elections.termAfter.map { $0 as Any } ?? NSNull(),
        ]
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else {
            return "{}"
        }
        return String(decoding: data, as: UTF8.self)
    }

    private func rate(_ count: Int) -> Double { measured.elapsed > 0 ? Double(count) / measured.elapsed : 0 }

    private static func latency(_ histogram: Histogram<UInt64>, _ percentile: Double) -> String {
        histogram.totalCount > 0 ? formatLatency(Double(histogram.valueAtPercentile(percentile)) / 1e6) : "-"
    }
}
