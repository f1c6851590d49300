import SynodCore

extension KeySearch {
    /// Where the scan of one configuration's candidates stands.
    struct Scan {
        var entry: Int32
        var inInfoPhase: Bool
        var firstReturn: Int32
        /// The last move linearized an info operation: no blind write may follow.
        var afterInfo: Bool
    }

    /// Runs the search to the end: a linearization of every definite operation, or the
    /// proof that none exists (the stack runs out).
    mutating func run() -> Outcome {
        var scan = Scan(entry: next[Int(definiteHead)], inInfoPhase: false, firstReturn: -1, afterInfo: false)
        var fresh = true
        while linearizedDefinite < definiteCount {
            if fresh {
                // A configuration just reached: drop it if dead; a read that fits goes first, alone.
                fresh = false
                var look = lookAround()
                if !look.dead, writers.isStarving(except: state) {
                    look.dead = true  // a reader further on can no longer be satisfied
                    noteIfLongest(blockedAt: -1)
                } else {
                    noteIfLongest(blockedAt: look.stop)
                }
                if !look.dead, look.read >= 0, move(look.read, to: state, firstReturn: -1, forced: true) {
                    scan.afterInfo = false
                    fresh = true
                    continue
                }
                if look.dead || look.read >= 0 {
                    // Dead, or its forced read leads where the search has been: this fails too.
                    guard let resumed = backtrack() else { return violation() }
                    scan = resumed
                    continue
                }
                scan = Scan(
                    entry: next[Int(definiteHead)], inInfoPhase: false, firstReturn: -1, afterInfo: scan.afterInfo)
            }

            var candidate: Int32 = -1
            if !scan.inInfoPhase {
                if scan.entry != definiteHead, eventIsCall[Int(scan.entry)] {
                    candidate = scan.entry
                } else {
                    // The first remaining return: its operation must come before anything called
                    // later. The definite candidates are exhausted; try the info ones.
                    scan.firstReturn = scan.entry
                    scan.inInfoPhase = true
                    scan.entry = next[Int(infoHead)]
                    continue
                }
            } else if scan.entry < scan.firstReturn {
                candidate = scan.entry
            }

            if candidate >= 0 {
                let transition = transitions[Int(eventOperation[Int(candidate)])]
                // Reads that fit were forced already; the others cannot fit here.
                // An info operation that would change nothing is the same as one never taking effect.
                if !transition.isReadOnly || scan.inInfoPhase, !(scan.afterInfo && transition.isBlindWrite),
                    let newState = model.step(state, transition), !scan.inInfoPhase || newState != state,
                    !scan.afterInfo || worthFollowing(transition, to: newState, from: stack[stack.count - 1].state),
                    !scan.inInfoPhase || hasUse(info: candidate, leaving: newState, before: scan.firstReturn),
                    move(candidate, to: newState, firstReturn: scan.inInfoPhase ? scan.firstReturn : -1, forced: false)
                {
                    scan.afterInfo = scan.inInfoPhase
                    fresh = true
                    continue
                }
                scan.entry = next[Int(candidate)]
                continue
            }

            // Every candidate of this configuration failed.
            guard let resumed = backtrack() else { return violation() }
            scan = resumed
        }
        return .linearizable(configurations: cache.count)
    }

    /// Scans the candidates of the current configuration, up to the first return.
    ///
    /// Finds the first definite read-only operation that fits the state: it may always
    /// go first, since it changes nothing and everything that must precede it is
    /// linearized already (its call is before every remaining return), so any
    /// completion can be reordered to start with it. Forcing it spares the search every
    /// interleaving of concurrent reads. Also finds whether a candidate needs a value
    /// that is not there and can no longer be written (the configuration is dead).
    /// Returns that read (or -1), the event the scan stopped at (the first return, or the
    /// call of the operation that can no longer be placed) and whether the configuration is dead.
    func lookAround() -> (read: Int32, stop: Int32, dead: Bool) {
        var read: Int32 = -1
        var entry = next[Int(definiteHead)]
        while entry != definiteHead, eventIsCall[Int(entry)] {
            let operation = Int(eventOperation[Int(entry)])
            switch transitions[operation] {
            case .get(let value):
                if value == state {
                    if read < 0 { read = entry }
                } else if !writers.canStillWrite(value, by: returnTime[operation]) {
                    return (read, entry, true)
                }
            case .casFailed(let from):
                if read < 0, from != state { read = entry }
            case .casSucceeded(let from, _):
                if from != state, !writers.canStillWrite(from, by: returnTime[operation]) { return (read, entry, true) }
            default:
                break
            }
            entry = next[Int(entry)]
        }
        return (read, entry, false)
    }

    /// Right after an info operation, whether a move that transforms the value (an
    /// append, an unknown cas) is worth making: only if some operation could observe the
    /// difference the info operation makes (see `ObservableValues`); `clean` is the state
    /// before the info operation. Reads and successful cas that fit now need the info
    /// operation (they did not fit before it: reads would have been forced), so they are
    /// always worth it.
    mutating func worthFollowing(
        _ transition: KeyValueModel.Transition, to newState: Int32, from clean: Int32
    ) -> Bool {
        switch transition {
        case .append, .casUnknown:
            let cleanState = model.step(clean, transition)
            return observable.worthFollowing(contaminated: newState, clean: cleanState, model: model)
        default:
            return true
        }
    }

    /// Whether linearizing an info operation now, leaving `newState`, could be followed
    /// by any move the search allows after an info operation. If not, the configuration
    /// it leads to has no future: it is skipped without being made or remembered.
    mutating func hasUse(info event: Int32, leaving newState: Int32, before firstReturn: Int32) -> Bool {
        if uses.height != stack.count { collectUses(before: firstReturn) }
        if uses.any || uses.needed.contains(newState) { return true }
        guard !uses.transformers.isEmpty else { return false }
        for transformer in uses.transformers where transformer != event {
            switch transitions[Int(eventOperation[Int(transformer)])] {
            case .append(let suffix):
                // Appends only extend: if nothing needed starts with the value, nothing starts with it extended.
                if observable.isPrefixOfNeeded(newState, model),
                    let after = model.step(newState, .append(suffix)), observable.isPrefixOfNeeded(after, model)
                {
                    return true
                }
            case .casUnknown(let from, let to):
                if newState == from, to != newState, observable.isPrefixOfNeeded(to, model) { return true }
            default:
                break
            }
        }
        return false
    }

    /// Sums up what the candidates of the current configuration could do with an info
    /// operation's effect (see `InfoUses`).
    mutating func collectUses(before firstReturn: Int32) {
        uses.height = stack.count
        uses.any = false
        uses.needed.removeAll(keepingCapacity: true)
        uses.transformers.removeAll(keepingCapacity: true)
        var entry = next[Int(definiteHead)]
        while entry != definiteHead, eventIsCall[Int(entry)] {
            noteUse(of: entry)
            entry = next[Int(entry)]
        }
        entry = next[Int(infoHead)]
        while entry < firstReturn {
            noteUse(of: entry)
            entry = next[Int(entry)]
        }
    }

    private mutating func noteUse(of event: Int32) {
        let transition = transitions[Int(eventOperation[Int(event)])]
        switch transition {
        case .get(let value): uses.needed.append(value)
        case .casSucceeded(let from, _): uses.needed.append(from)
        case .casFailed(let from):
            // Not forced, so it is blocked: any change of value lets it through.
            if from == state { uses.any = true }
        case .append, .casUnknown:
            uses.transformers.append(event)
            // Without the info operation this move would leave a value a failed cas compares with.
            if !uses.any, observable.isPrefixOfCompared(state, model), let clean = model.step(state, transition),
                observable.isPrefixOfCompared(clean, model)
            {
                uses.any = true
            }
        case .put, .delete:
            break
        }
    }

    /// Keeps the first longest order found, and the operation that cannot follow it
    /// (the one whose return ends its candidates, or the read a dead configuration starves).
    mutating func noteIfLongest(blockedAt event: Int32) {
        if stack.count > best.count {
            best.removeLast(best.count - bestValid)
            for frame in stack[bestValid...] { best.append(Int(eventOperation[Int(frame.event)])) }
            bestValid = best.count
        } else if stack.count < best.count || bestValid < best.count || blocked >= 0 {
            return
        }
        blocked = event >= 0 ? Int(eventOperation[Int(event)]) : -2
        blockedState = state
    }

    /// The first reader (by call) left out of `order` that needs a value other than
    /// `state` which nothing left out of `order` can write: what starved the longest
    /// order when its configuration was found dead by `PendingWriters.isStarving`.
    func starvingReader(after order: [Int], state: Int32) -> Int {
        var placed = [Bool](repeating: false, count: operations.count)
        for operation in order { placed[operation] = true }
        var writersOf: [Int32: [Int]] = [:]
        var appends: [Int] = []
        for (index, transition) in transitions.enumerated() where !placed[index] {
            switch transition {
            case .put(let value): writersOf[value, default: []].append(index)
            case .delete: writersOf[KeyValueModel.absent, default: []].append(index)
            case .casSucceeded(_, let to), .casUnknown(_, let to): writersOf[to, default: []].append(index)
            case .append: appends.append(index)
            case .get, .casFailed: break
            }
        }
        for (index, transition) in transitions.enumerated() where !placed[index] && !isInfo[index] {
            let needed: Int32
            switch transition {
            case .get(let value): needed = value
            case .casSucceeded(let from, _): needed = from
            default: continue
            }
            if needed == state || writersOf[needed] != nil { continue }
            if let text = model.value(of: needed),
                appends.contains(where: { text.hasSuffix(operations[$0].value ?? "") })
            {
                continue
            }
            return index
        }
        return -1
    }

    /// Makes a move if it leads somewhere new: linearizes the operation of a call event,
    /// records the configuration in the cache, lifts the operation out of the lists and
    /// remembers how to undo it. False, and nothing changed, when the configuration (or
    /// one that dominates it) was visited before.
    mutating func move(_ event: Int32, to newState: Int32, firstReturn: Int32, forced: Bool) -> Bool {
        let operation = Int(eventOperation[Int(event)])
        let infoSetBefore = infoSet
        include(operation)
        if isInfo[operation] { infoSet = cache.infoSet(infoBits) }
        let isNew = cache.insert(
            hash: hash, state: newState, prefix: prefix, tailCount: linearizedDefinite - prefix, definite: definiteBits,
            infoSet: infoSet)
        guard isNew else {
            exclude(operation)
            infoSet = infoSetBefore
            return false
        }
        stack.append(
            Frame(event: event, state: state, firstReturn: firstReturn, infoSet: infoSetBefore, forced: forced))
        uses.height = -1
        state = newState
        lift(operation)
        writers.remove(operation)
        return true
    }

    /// Adds an operation to the linearized set.
    mutating func include(_ operation: Int) {
        let member = classIndex[operation]
        let bit: UInt64 = 1 << UInt64(member & 63)
        if isInfo[operation] {
            infoBits[member >> 6] |= bit
            return
        }
        definiteBits[member >> 6] |= bit
        hash ^= zobrist[member]
        linearizedDefinite += 1
        if member == prefix {
            prefix += 1
            while prefix < definiteCount, definiteBits[prefix >> 6] & (1 << UInt64(prefix & 63)) != 0 {
                prefix += 1
            }
        }
    }

    /// Removes an operation from the linearized set.
    mutating func exclude(_ operation: Int) {
        let member = classIndex[operation]
        let bit: UInt64 = 1 << UInt64(member & 63)
        if isInfo[operation] {
            infoBits[member >> 6] &= ~bit
        } else {
            definiteBits[member >> 6] &= ~bit
            hash ^= zobrist[member]
            linearizedDefinite -= 1
            if member < prefix { prefix = member }
        }
    }

    /// Undoes moves until one that had alternatives, and returns where its scan resumes;
    /// nil when the stack runs out (no linearization).
    mutating func backtrack() -> Scan? {
        uses.height = -1
        while let frame = stack.popLast() {
            bestValid = min(bestValid, stack.count)
            let operation = Int(eventOperation[Int(frame.event)])
            unlift(operation)
            writers.restore(operation)
            exclude(operation)
            state = frame.state
            infoSet = frame.infoSet
            if frame.forced { continue }
            let afterInfo = stack.last.map { isInfo[Int(eventOperation[Int($0.event)])] } ?? false
            return Scan(
                entry: next[Int(frame.event)], inInfoPhase: isInfo[operation], firstReturn: frame.firstReturn,
                afterInfo: afterInfo)
        }
        return nil
    }

    mutating func violation() -> Outcome {
        if blocked == -2 { blocked = starvingReader(after: best, state: blockedState) }
        return .violation(
            order: best, blocked: blocked, state: model.value(of: blockedState),
            blockedCannotStep: cannotStep(blocked, blockedState), configurations: cache.count)
    }

    mutating func cannotStep(_ operation: Int, _ state: Int32) -> Bool {
        guard operation >= 0 else { return false }
        return model.step(state, transitions[operation]) == nil
    }

    /// Takes an operation's events out of the lists (call first, then return).
    mutating func lift(_ operation: Int) {
        unlink(callEvent[operation])
        if returnEvent[operation] >= 0 { unlink(returnEvent[operation]) }
    }

    /// Puts them back, in the reverse order (dancing links).
    mutating func unlift(_ operation: Int) {
        if returnEvent[operation] >= 0 { relink(returnEvent[operation]) }
        relink(callEvent[operation])
    }

    @inline(__always)
    mutating func unlink(_ event: Int32) {
        let before = previous[Int(event)]
        let after = next[Int(event)]
        next[Int(before)] = after
        previous[Int(after)] = before
    }

    @inline(__always)
    mutating func relink(_ event: Int32) {
        next[Int(previous[Int(event)])] = event
        previous[Int(next[Int(event)])] = event
    }
}
