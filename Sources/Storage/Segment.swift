import SynodCore

/// One segment of the open log, as the store tracks it: where each record starts, so a
/// read needs one positioned read per segment, and how far the file is written and
/// synced. Guarded by the store's lock.
final class Segment {
    let firstIndex: LogIndex
    let path: String
    /// -1 until the file is created (by the writer that first writes it).
    var descriptor: Int32
    /// The start of each record; record `i` holds index `firstIndex + i`.
    var recordOffsets: [Int64]
    /// The end of the last record, counting records not yet written to the file.
    var endOffset: Int64
    /// Bytes handed to the kernel.
    var writtenEnd: Int64
    /// Bytes known durable.
    var syncedEnd: Int64

    init(firstIndex: LogIndex, path: String, descriptor: Int32, recordOffsets: [Int64], end: Int64) {
        self.firstIndex = firstIndex
        self.path = path
        self.descriptor = descriptor
        self.recordOffsets = recordOffsets
        endOffset = end
        writtenEnd = descriptor >= 0 ? end : 0
        syncedEnd = writtenEnd
    }

    /// The last index held, or `firstIndex - 1` when the segment is empty.
    var lastIndex: LogIndex { LogIndex(firstIndex.rawValue &+ UInt64(recordOffsets.count) &- 1) }

    /// The byte range of records `first...last` (indexes, both held).
    func byteRange(from first: LogIndex, through last: LogIndex) -> Range<Int64> {
        let start = recordOffsets[firstIndex.distance(to: first)]
        let stopPosition = firstIndex.distance(to: last) + 1
        let stop = stopPosition < recordOffsets.count ? recordOffsets[stopPosition] : endOffset
        return start..<stop
    }
}

/// Encoded records waiting to be written to one segment at `offset`.
struct Chunk {
    let segment: Segment
    let offset: Int64
    var bytes: [UInt8]
    /// The segment file must be created (header included in `bytes`) before this write.
    let createsFile: Bool
}
