import SynodCore

/// The linearizability search for one key: Wing & Gong's backtracking over a doubly
/// linked list of call and return events, with Lowe's memoization (`ConfigurationCache`),
/// in the shape of Porcupine's checker.
///
/// The list holds the definite operations' calls and returns in time order (at one
/// instant calls come first: intervals are closed). Linearizing an operation lifts its
/// call and return out of the list; backtracking puts them back. An operation may be
/// linearized next when its call comes before the first remaining return: that return's
/// operation must take effect before anything called after it.
///
/// Reductions keep many concurrent clients on one key tractable; each only skips
/// configurations whose outcome another configuration already decides:
///
/// - a read that fits the current state is linearized at once, with no alternative
///   (see `lookAround`): concurrent reads are never interleaved every which way;
/// - a configuration in which some pending read needs a value that the register does
///   not hold and nothing left can write is dead at once (`PendingWriters`), so a wrong
///   order of writes fails when it is made, not when the read is reached;
/// - `info` operations (no return: it is unbounded; they need never take effect) sit in
///   a second list and are tried only after every definite candidate of a
///   configuration, and only when the next move could observe their effect (see
///   `hasUse` and `ObservableValues`): one whose effect would go unseen is the same as
///   one that never took effect. With the cache's dominance rule this keeps unknown
///   operations from multiplying the search by every subset of them.
///
/// Soundness of each is argued where it is made; the tests check the whole against a
/// brute-force oracle and a plain memoized search on thousands of random histories.
///
/// Everything is arrays of integers, and nothing depends on hash or iteration order,
/// so a search is deterministic. The search itself is in `KeySearch+Run.swift`.
struct KeySearch {
    /// The key's operations, sorted by call time (file order breaks ties).
    let operations: [HistoryOperation]
    var model = KeyValueModel()
    var transitions: [KeyValueModel.Transition] = []
    var isInfo: [Bool] = []
    /// Index among the definite operations (call order), or among the info ones.
    var classIndex: [Int] = []
    let definiteCount: Int
    let infoCount: Int

    /// Events by position in time order; `eventOperation[e]` and whether it is a call.
    var eventOperation: [Int32] = []
    var eventIsCall: [Bool] = []
    var callEvent: [Int32] = []
    var returnEvent: [Int32] = []
    /// Links of both lists; heads are sentinels past the last event.
    var next: [Int32] = []
    var previous: [Int32] = []
    let definiteHead: Int32
    let infoHead: Int32
    let zobrist: [UInt64]
    var writers: PendingWriters
    var observable: ObservableValues
    var uses = InfoUses()
    /// Per operation: its return time (`.max` for info operations).
    let returnTime: [Int64]

    // The search: the current configuration (linearized set and state) and the moves made.
    var state = KeyValueModel.absent
    var definiteBits: [UInt64]
    var infoBits: [UInt64]
    /// The linearized info operations, interned by the cache.
    var infoSet: Int32 = 0
    /// Every definite operation below this index (call order) is linearized, this one is not.
    var prefix = 0
    var linearizedDefinite = 0
    /// Zobrist hash of the linearized definite operations.
    var hash: UInt64 = 0
    var cache: ConfigurationCache
    var stack: [Frame] = []

    // The longest order found, for the report: `best[..<bestValid]` equals the stack's bottom.
    var best: [Int] = []
    var bestValid = 0
    /// The operation whose return ended the scan of the longest order's configuration.
    var blocked = -1
    var blockedState = KeyValueModel.absent

    /// One level of the search: the call event linearized, the state before it, for an
    /// info operation the first return of the configuration it was tried in, and whether
    /// the move was forced (a read that fits: no alternative needs trying).
    struct Frame {
        var event: Int32
        var state: Int32
        var firstReturn: Int32
        /// The interned info set before the move.
        var infoSet: Int32
        var forced: Bool
    }

    /// What the candidates of one configuration could do with an info operation's
    /// effect: computed once per configuration that reaches its info candidates.
    struct InfoUses {
        /// The stack height it describes (-1: stale).
        var height = -1
        /// Every info operation that changes the value has a use (a blocked failed cas
        /// waits for any change, or a clean move reaches a compared value).
        var any = false
        /// Values that candidate reads and successful cas need.
        var needed: [Int32] = []
        /// Candidate appends and unknown cas (definite or info), which may build on the effect.
        var transformers: [Int32] = []
    }

    /// What a search found.
    enum Outcome {
        case linearizable(configurations: Int)
        /// The longest order found (operation indices), the operation that must come
        /// next but cannot, and the state the order leaves.
        case violation(order: [Int], blocked: Int, state: String?, blockedCannotStep: Bool, configurations: Int)
    }

    /// Prepares the search over `operations` (all of one key, none with status `fail`,
    /// no `info` get), which it sorts by call time.
    init(operations unsorted: [HistoryOperation]) {
        let order = unsorted.indices.sorted { (unsorted[$0].call, $0) < (unsorted[$1].call, $1) }
        operations = order.map { unsorted[$0] }
        var definite = 0
        var info = 0
        for operation in operations {
            let unknown = operation.status == .info
            isInfo.append(unknown)
            classIndex.append(unknown ? info : definite)
            if unknown { info += 1 } else { definite += 1 }
            transitions.append(model.transition(of: operation))
        }
        definiteCount = definite
        infoCount = info

        // Events sorted by (time, calls before returns, operation).
        var events: [(time: Int64, isReturn: Bool, operation: Int32)] = []
        events.reserveCapacity(2 * operations.count)
        for (index, operation) in operations.enumerated() {
            events.append((operation.call, false, Int32(index)))
            if operation.status != .info, let returned = operation.return {
                events.append((returned, true, Int32(index)))
            }
        }
        events.sort { ($0.time, $0.isReturn ? 1 : 0, $0.operation) < ($1.time, $1.isReturn ? 1 : 0, $1.operation) }
        callEvent = Array(repeating: -1, count: operations.count)
        returnEvent = Array(repeating: -1, count: operations.count)
        for (position, event) in events.enumerated() {
            eventOperation.append(event.operation)
            eventIsCall.append(!event.isReturn)
            if event.isReturn {
                returnEvent[Int(event.operation)] = Int32(position)
            } else {
                callEvent[Int(event.operation)] = Int32(position)
            }
        }
        definiteHead = Int32(events.count)
        infoHead = Int32(events.count + 1)
        next = Array(repeating: -1, count: events.count + 2)
        previous = Array(repeating: -1, count: events.count + 2)
        var lastDefinite = definiteHead
        var lastInfo = infoHead
        for position in events.indices {
            let link = Int32(position)
            if isInfo[Int(eventOperation[position])] {
                next[Int(lastInfo)] = link
                previous[position] = lastInfo
                lastInfo = link
            } else {
                next[Int(lastDefinite)] = link
                previous[position] = lastDefinite
                lastDefinite = link
            }
        }
        next[Int(lastDefinite)] = definiteHead
        previous[Int(definiteHead)] = lastDefinite
        next[Int(lastInfo)] = infoHead
        previous[Int(infoHead)] = lastInfo

        var mixer = SplitMix64(state: 0x5EED_0F11_AEA7_1E00)
        zobrist = (0..<definite).map { _ in mixer.next() }
        definiteBits = Array(repeating: 0, count: (definite + 63) / 64)
        infoBits = Array(repeating: 0, count: (info + 63) / 64)
        cache = ConfigurationCache(infoWordCount: (info + 63) / 64)
        writers = PendingWriters(operations: operations, transitions: transitions, isInfo: isInfo, model: model)
        observable = ObservableValues(transitions: transitions, isInfo: isInfo, model: model)
        returnTime = operations.map { $0.status == .info ? .max : $0.return ?? .max }
    }

    /// A read no order can satisfy, found without searching (see `StaleReadCheck`).
    func staleRead() -> StaleReadCheck.Finding? {
        StaleReadCheck.firstStaleRead(operations, transitions, isInfo, model)
    }
}
