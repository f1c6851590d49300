import SynodCore

extension KVStore {
    /// Carries out one command on the keys. Only a write sets a key's version, to the
    /// index of its entry; reads and failed compare-and-swaps leave versions alone.
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
            values[key] = VersionedValue(value: (values[key]?.value ?? "") + suffix, version: index)
            return .done
        case .openSession:
            preconditionFailure("sessions are opened by apply(_:at:)")
        }
    }
}
