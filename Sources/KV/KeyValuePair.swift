/// One key and the value to write under it, as `MSET` and `MSETNX` list them; an array
/// of pairs keeps their order, so that a key listed twice ends with its last value.
public struct KeyValuePair: Hashable, Sendable {
    public var key: String
    public var value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}
