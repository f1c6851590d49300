import SynodCore

extension KVStore {
    /// Carries out one command on the keys. Only a write sets a key's version, to the
    /// index of its entry; reads, failed compare-and-swaps, conditional puts whose
    /// condition fails and refused increments leave versions alone.
    mutating func execute(_ command: KVCommand, at index: LogIndex) -> KVReply {
        switch command {
        case .put(let key, let value):
            values[key] = VersionedValue(value: value, version: index)
            return .done
        case .get(let key):
            let (value, version) = read(key)
            return .value(value, version: version)
        case .delete(let key):
            values[key] = nil
            return .done
        case .cas(let key, let from, let to):
            guard values[key]?.value == from else { return .cas(succeeded: false, current: values[key]?.value) }
            values[key] = to.map { VersionedValue(value: $0, version: index) }
            return .cas(succeeded: true, current: to)
        case .append(let key, let suffix):
            let value = (values[key]?.value ?? "") + suffix
            values[key] = VersionedValue(value: value, version: index)
            return .integer(Int64(value.count))
        case .increment(let key, let amount):
            return increment(key, by: amount, at: index)
        case .putIf(let key, let value, let exists):
            guard (values[key] != nil) == exists else { return .applied(false) }
            values[key] = VersionedValue(value: value, version: index)
            return .applied(true)
        case .remove(let keys):
            var removed: Int64 = 0
            for key in keys where values.removeValue(forKey: key) != nil { removed += 1 }
            return .integer(removed)
        case .putAll(let pairs, let ifAllAbsent):
            if ifAllAbsent && pairs.contains(where: { values[$0.key] != nil }) { return .applied(false) }
            for pair in pairs { values[pair.key] = VersionedValue(value: pair.value, version: index) }
            return ifAllAbsent ? .applied(true) : .done
        case .getAndPut(let key, let value, let exists):
            let (old, version) = read(key)
            if exists.map({ (old != nil) == $0 }) ?? true {
                values[key] = VersionedValue(value: value, version: index)
            }
            return .value(old, version: version)
        case .getAndDelete(let key):
            let (old, version) = read(key)
            values[key] = nil
            return .value(old, version: version)
        case .removeAll:
            values.removeAll()
            return .done
        case .openSession:
            preconditionFailure("sessions are opened by apply(_:at:)")
        }
    }

    private mutating func increment(_ key: ByteString, by amount: Int64, at index: LogIndex) -> KVReply {
        var current: Int64 = 0
        if let value = values[key]?.value {
            guard let parsed = Self.canonicalInteger(value) else { return .failed(.notAnInteger) }
            current = parsed
        }
        let (sum, overflow) = current.addingReportingOverflow(amount)
        guard !overflow else { return .failed(.overflow) }
        values[key] = VersionedValue(value: ByteString(String(sum)), version: index)
        return .integer(sum)
    }

    /// The `Int64` whose decimal form is exactly `bytes` (so `"+1"`, `"01"`, `"-0"` and
    /// `" 1"` are not integers, as in Redis), or `nil`.
    static func canonicalInteger(_ bytes: ByteString) -> Int64? {
        guard bytes.count <= 20, let text = bytes.text, let value = Int64(text), String(value) == text else {
            return nil
        }
        return value
    }
}
