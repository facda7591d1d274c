/// The records of one send, copied on the sender's thread for the producer's poll thread, which hands
/// them to librdkafka: keys and values one after another in one buffer, and for each record where its
/// bytes are, its result index, topic, partition and headers.
struct StagedRecords {
    /// One staged record, valid during the ``forEach(_:)`` call that hands it out.
    struct Record {
        /// The record's result index in its send.
        let index: Int
        let topic: String
        let partition: Int32?
        let key: UnsafeRawBufferPointer?
        let value: UnsafeRawBufferPointer
        let headers: CHeaderList
        /// Its place among the staged records, from 0.
        let position: Int
    }

    private struct Entry {
        var index: Int
        var partition: Int32?
        /// Into `topics` and `headerLists`, which hold each distinct value in a row once.
        var topic: Int
        var headers: Int
        var key: Range<Int>?
        var value: Range<Int>
    }

    /// How many records the send may stage: with the first one's size, what the buffers reserve at once.
    private let expected: Int
    private var entries: [Entry] = []
    private var bytes: [UInt8] = []
    private var topics: [String] = []
    private var headerLists: [CHeaderList] = []

    init(expecting expected: Int = 0) {
        self.expected = expected
    }

    var isEmpty: Bool { entries.isEmpty }

    mutating func append(index: Int, topic: String, partition: Int32?, key: UnsafeRawBufferPointer?,
                         value: UnsafeRawBufferPointer, headers: CHeaderList) {
        if entries.isEmpty {
            entries.reserveCapacity(expected)
            // Up to a mebibyte: a large first record must not reserve its size for every record after it.
            bytes.reserveCapacity(min(expected * (value.count + (key?.count ?? 0)), 1 << 20))
        }
        if topics.last != topic { topics.append(topic) }
        if headerLists.last !== headers { headerLists.append(headers) }
        let keyRange = key.map { key -> Range<Int> in
            defer { bytes.append(contentsOf: key) }
            return bytes.count..<bytes.count + key.count
        }
        let valueRange = bytes.count..<bytes.count + value.count
        bytes.append(contentsOf: value)
        entries.append(Entry(index: index, partition: partition, topic: topics.count - 1, headers: headerLists.count - 1,
                             key: keyRange, value: valueRange))
    }

    /// Hands out every record in the order it was staged.
    func forEach(_ body: (Record) -> Void) {
        bytes.withUnsafeBytes { bytes in
            for (position, entry) in entries.enumerated() {
                body(Record(
                    index: entry.index, topic: topics[entry.topic], partition: entry.partition,
                    key: entry.key.map { UnsafeRawBufferPointer(rebasing: bytes[$0]) },
                    value: UnsafeRawBufferPointer(rebasing: bytes[entry.value]),
                    headers: headerLists[entry.headers], position: position))
            }
        }
    }
}
