import BookshelfJSON
import CJanssonArena
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Documents whose nodes are placed in a thread's arena (`JSONValue.withShortLivedNodes`) must read exactly
/// as any other, outlive the scope that made them, be freed from any thread, and give their chunks back
/// once freed. Other suites may decode events at the same time, so chunk counts are compared with margins
/// far below what a leak would show.
@Suite(.serialized) struct ShortLivedNodesTests {
    static let event = #"{"specversion":"1.0","id":"1a2b3c4d-0001-4e5f-8a9b-0c1d2e3f4a01","source":"/bookshelf/new-book","type":"bookshelf.book.added","time":"2026-11-26T09:15:00Z","data":{"id":"6f1c2a9e-3b7d-4c58-9e21-0a4f5d7b8c31","title":"Dune \u00e9","tags":["sf",1,2.5,true,null],"published":1965}}"#

    /// Documents of every shape: scalars, escapes, nesting, and an object large enough that its hash
    /// table is allocated outside the arena (over 8 KiB).
    static let documents: [String] = [
        event, "[]", "{}", "\"plain\"", "-12", "1e3", "true", "null", #"[[[[{"a":[1,{"b":"\ud834\udd1e"}]}]]]]"#,
        "{" + (0..<2_000).map { "\"member\($0)\":\($0)" }.joined(separator: ",") + "}",
        "[" + (0..<5_000).map { "\"element \($0)\"" }.joined(separator: ",") + "]",
    ]

    @Test(arguments: [JSONValue.Placement.shortLived, .shortLivedExceptNested])
    func shortLivedDocumentsReadAsAnyOther(placement: JSONValue.Placement) throws {
        for text in Self.documents {
            let usual = try JSONValue(parsing: Array(text.utf8))
            let shortLived = try JSONValue(parsing: Array(text.utf8), placement: placement)
            // Read after the scope that placed them has ended.
            #expect(shortLived == usual)
            #expect(shortLived.serialized() == usual.serialized())
        }
        // A failure inside a nested container leaves the scope as it found it: what follows is placed as before.
        for text in [#"{"a":[1,2"#, #"{"a":{"b":[{"c":"#, #"[1,{"a":tru]"#] {
            #expect(throws: JSONParseError.self) { try JSONValue(parsing: Array(text.utf8), placement: placement) }
        }
        let before = bs_jansson_arena_chunks()
        let outside = (0..<5_000).map { _ in JSONValue.object([("n", 1), ("s", "a string long enough to be its own block")]) }
        #expect(bs_jansson_arena_chunks() - before < 20, "nodes made outside any scope went to the arena")
        let inside = try (0..<5_000).map { _ in try JSONValue(parsing: Array(Self.event.utf8), placement: placement) }
        #expect(bs_jansson_arena_chunks() - before > 50, "short-lived documents no longer went to the arena")
        #expect(outside.count == inside.count)
    }

    /// 20,000 events parsed with `placement` and kept, with the chunks in use before and the chunks they hold.
    static func parseEvents(_ placement: JSONValue.Placement) throws -> (events: [JSONValue], before: Int, holding: Int) {
        let before = bs_jansson_arena_chunks()
        let events = try (0..<20_000).map { _ in try JSONValue(parsing: Array(event.utf8), placement: placement) }
        let holding = bs_jansson_arena_chunks() - before
        // About 1.5 KiB of nodes per event: hundreds of 64 KiB chunks, unless the arena was not used.
        #expect(holding > 200)
        return (events, before, holding)
    }

    @Test func chunksComeBackOnceTheirDocumentsAreFreed() throws {
        var (kept, before, holding) = try Self.parseEvents(.shortLived)
        #expect(kept[19_999]["data"]?["title"]?.string == "Dune é")
        kept.removeAll()
        #expect(bs_jansson_arena_chunks() - before < holding / 10)
    }

    /// `.shortLivedExceptNested` places only the root's own members in the arena: a nested container (an
    /// event's `data`) is allocated as usual, so keeping it keeps no chunk.
    @Test func aNestedPartMayBeKeptWithoutItsChunks() throws {
        var (documents, before, holding) = try Self.parseEvents(.shortLivedExceptNested)
        let kept = documents.map { $0["data"]!.detached }
        documents.removeAll()
        #expect(bs_jansson_arena_chunks() - before < holding / 10)
        #expect(kept.allSatisfy { $0["tags"]?[4]?.isNull == true && $0["title"]?.string == "Dune é" })
    }

    @Test func nodesMayBeFreedOnAnotherThread() async throws {
        var (kept, before, holding) = try Self.parseEvents(.shortLived)
        let handedOff = kept
        kept.removeAll()
        let titles = await Task.detached {
            handedOff.reduce(0) { $0 + ($1["data"]?["title"]?.string == "Dune é" ? 1 : 0) }
        }.value
        #expect(titles == 20_000)
        _ = consume handedOff
        #expect(bs_jansson_arena_chunks() - before < holding / 10)
    }

    /// Each thread keeps a current chunk between scopes; a thread that ends must give it back, or a service
    /// whose threads come and go would keep 64 KiB for every thread it ever had.
    @Test func threadsThatEndGiveTheirChunkBack() throws {
        let before = bs_jansson_arena_chunks()
        for _ in 0..<200 {
            var thread = pthread_t()
            let created = pthread_create(&thread, nil, { _ in
                _ = try? JSONValue(parsing: Array(ShortLivedNodesTests.event.utf8), placement: .shortLived)
                return nil
            }, nil)
            try #require(created == 0)
            pthread_join(thread, nil)
        }
        // 200 threads, each of which had a chunk of its own.
        #expect(bs_jansson_arena_chunks() - before < 20)
    }

    @Test func shortLivedAndUsualNodesMix() throws {
        let usual = try JSONValue(parsing: Array(Self.event.utf8))
        // A short-lived object holding a usual document, freed before and after it.
        var outer: JSONValue? = JSONValue.withShortLivedNodes { JSONValue.object([("inner", usual), ("n", 1)]) }
        #expect(outer?["inner"] == usual)
        outer = nil
        #expect(usual["data"]?["published"]?.int == 1965)
        // A usual object holding a short-lived part, which it outlives.
        var shortLived: JSONValue? = try JSONValue(parsing: Array(Self.event.utf8), placement: .shortLived)
        let holder = JSONValue.object([("event", shortLived!["data"]!)])
        shortLived = nil
        #expect(holder["event"]?["id"]?.string == "6f1c2a9e-3b7d-4c58-9e21-0a4f5d7b8c31")
        // Scopes nest.
        let nested = try JSONValue.withShortLivedNodes { () throws(JSONParseError) in
            try JSONValue.withShortLivedNodes { () throws(JSONParseError) in try JSONValue(parsing: Array("[1,[2]]".utf8), placement: .shortLived) }
        }
        #expect(nested == [1, [2]])
    }
}
