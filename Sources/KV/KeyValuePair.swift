/// One key and the value to write under it, as `MSET` and `MSETNX` list them; an array
/// of pairs keeps their order, so that a key listed twice ends with its last value.
public struct KeyValuePair: Hashable, Sendable {
    public var key: ByteString
    public var value: ByteString

    public init(key: ByteString, value: ByteString) {
        self.key = key
        self.value = value
    }
}
