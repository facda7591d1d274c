import BookshelfContracts
import BookshelfDomain
import FoundationEssentials
import BookshelfServiceKit

/// The list-books view: every book in the order added, one entry per book id. "Order added" is the
/// order of the `book.added` events' times (then their ids), not the order this view happened to read
/// them: replay interleaves the partitions differently on every start, and the list must not change
/// with it.
package struct BookList: Projection {
    private struct AddedKey: Comparable, Sendable {
        var time: Date
        /// The event id as `UUID.textOrderKey`: ties in time go by id, compared without unpacking it again.
        var eventID: (UInt64, UInt64)

        init(time: Date, eventID: UUID) {
            self.time = time
            self.eventID = eventID.textOrderKey
        }

        static func < (a: AddedKey, b: AddedKey) -> Bool {
            a.time != b.time ? a.time < b.time : a.eventID < b.eventID
        }

        static func == (a: AddedKey, b: AddedKey) -> Bool {
            a.time == b.time && a.eventID == b.eventID
        }
    }

    private var seen = SeenEvents()
    package private(set) var books: [Book] = []
    /// `keys[i]` is when `books[i]` was added; sorted once settled, and unique (the event id decides).
    private var keys: [AddedKey] = []
    /// Each book's key, which finds its place in `keys` by binary search: unlike a place, a key does not
    /// change when the list is sorted or a book is inserted before it.
    private var keysByBook: [UUID: AddedKey] = [:]
    private var isInOrder = true
    /// While replaying, everything before this index is sorted in chunks of `replaySortChunk`.
    private var unsortedFrom = 0
    /// False while replaying: books are appended as they come and sorted once, by `settle()`. After that
    /// each book goes straight to its place, which is near the end (only near-simultaneous books from
    /// two partitions arrive out of order).
    private var insertsInOrder = false
    /// For each reordering, the first index it changed. Between two, the list only grows at its end,
    /// which is what lets a reader keep the encoding of the part that did not change.
    private var reorderedFrom: [Int] = []

    /// Counts the reorderings so far.
    package var generation: Int { reorderedFrom.count }

    /// How many books at the front are as they were at `generation`.
    package func unchangedPrefix(since generation: Int) -> Int {
        reorderedFrom[min(generation, reorderedFrom.count)...].min() ?? books.count
    }

    package init() {}

    package mutating func apply(_ event: BookEvent) -> ApplyOutcome {
        guard seen.insert(event.id) else { return .duplicate }
        guard case .added(let book, _) = event.kind else { return .applied }
        let key = AddedKey(time: event.time, eventID: event.id)
        guard keysByBook.insertIfAbsent(book.id, key) else { return .applied }
        if let last = keys.last, key < last {
            guard insertsInOrder else {
                isInOrder = false
                append(book, key)
                if keys.count - unsortedFrom >= Self.replaySortChunk {
                    sort(unsortedFrom..<keys.count)
                    unsortedFrom = keys.count
                }
                return .applied
            }
            let low = insertionPoint(of: key)
            books.insert(book, at: low)
            keys.insert(key, at: low)
            reorderedFrom.append(low)
        } else {
            append(book, key)
        }
        return .applied
    }

    /// Takes the book it is given: the caller's copy out of the event is the one stored, not copied again.
    private mutating func append(_ book: consuming Book, _ key: AddedKey) {
        books.append(book)
        keys.append(key)
    }

    /// The first place whose key is greater than `key` (binary search; `keys` is sorted once settled).
    private func insertionPoint(of key: AddedKey) -> Int {
        var low = 0, high = keys.count
        while low < high {
            let middle = (low + high) / 2
            if key < keys[middle] { high = middle } else { low = middle + 1 }
        }
        return low
    }

    /// Where the book with `id` is in `books`.
    private func place(of id: UUID) -> Int? {
        guard let key = keysByBook[id] else { return nil }
        guard isInOrder else { return keys.firstIndex(of: key) }
        let place = insertionPoint(of: key) - 1
        return place >= 0 && keys[place] == key ? place : nil
    }

    /// Room for one book per record: on the events topic most records add a book, and a replay that
    /// grows its tables instead rehashes each of them about twenty times.
    package mutating func reserveCapacity(forRecords count: Int) {
        seen.reserveCapacity(count)
        keysByBook.reserveCapacity(count)
        books.reserveCapacity(count)
        keys.reserveCapacity(count)
    }

    /// Called once replay has caught up: sorts what replay appended out of order (one sort instead of
    /// an insertion per event), and from then on `apply` keeps the order itself.
    package mutating func settle() {
        insertsInOrder = true
        guard !isInOrder else { return }
        sort(keys.indices)
        isInOrder = true
        reorderedFrom.append(0)
    }

    /// Replay sorts what it appends in chunks of this many books. The sort in `settle` finds the chunks as
    /// sorted runs and only merges them, so less of the work is left for that moment, when readiness waits
    /// with one core idle; the rest is done during replay while the other core decodes.
    private static var replaySortChunk: Int { 1 << 15 }

    /// Sorts `books[range]` by their keys, stably.
    private mutating func sort(_ range: Range<Int>) {
        // Sorting the keys with their places, rather than places compared through the keys, keeps each
        // comparison to the two elements in hand.
        guard range.count > 1 else { return }
        let order = zip(keys[range], range).sorted { $0.0 < $1.0 }
        // The books are moved to their places, not copied: a copy retains each of a book's strings and the
        // book it replaces releases them again, for every book of every chunk and again when settling.
        // `order` is a permutation of `range`, so each book is moved out once and each place filled once.
        let sorted = UnsafeMutablePointer<Book>.allocate(capacity: range.count)
        defer { sorted.deallocate() }
        books.withUnsafeMutableBufferPointer { books in
            let base = books.baseAddress!
            for (place, (_, from)) in order.enumerated() {
                (sorted + place).initialize(to: (base + from).move())
            }
            (base + range.lowerBound).moveInitialize(from: sorted, count: range.count)
        }
        for (place, (key, _)) in zip(range, order) { keys[place] = key }
    }

    package func book(id: UUID) -> Book? {
        place(of: id).map { books[$0] }
    }

    package struct Page: Equatable, Sendable {
        package var books: [Book]
        /// The id to pass as `after` for the next page; nil on the last page.
        package var nextAfter: UUID?
    }

    package static let maximumLimit = 1000

    /// One page: up to `limit` books following the book `after` (from the start when nil). Without a limit
    /// the whole list, as the original API returned it.
    package func page(limit: Int?, after: UUID?) throws(Problem) -> Page {
        if let limit, !(1...Self.maximumLimit).contains(limit) {
            throw Problem.badRequest(code: "invalid-limit", "limit must be from 1 to \(Self.maximumLimit).")
        }
        var start = 0
        if let after {
            guard let position = place(of: after) else {
                // The request is well formed (a book id) but names nothing here: 404, as for an unknown book.
                throw Problem(status: .notFound, code: "unknown-after", detail: "after names no book in this list; pass the id of the last book of the previous page.")
            }
            start = position + 1
        }
        let end = limit.map { min(books.count, start + $0) } ?? books.count
        let slice = Array(books[start..<end])
        return Page(books: slice, nextAfter: limit != nil && end < books.count ? slice.last?.id : nil)
    }
}

extension Dictionary {
    /// Adds `value` under `key` unless the key is there already; true when it added. One hash lookup
    /// instead of a check and a store: a replay does this half a million times.
    fileprivate mutating func insertIfAbsent(_ key: Key, _ value: @autoclosure () -> Value) -> Bool {
        var inserted = false
        func touch(_: inout Value) {}
        touch(&self[key, default: { inserted = true; return value() }()])
        return inserted
    }
}
