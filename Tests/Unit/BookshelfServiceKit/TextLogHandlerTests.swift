import Logging
import Testing

@testable import BookshelfServiceKit

@Suite struct TextLogHandlerTests {
    @Test func linesCarryTheMetadataSetLastSortedByKeyAndTheEventsOwn() {
        var handler = TextLogHandler(label: "bookshelf.gateway")
        handler[metadataKey: "request_id"] = "first"
        handler[metadataKey: "hb.request.id"] = "7"
        handler[metadataKey: "request_id"] = "second"
        let event = LogEvent(
            level: .warning, message: "upstream failed", metadata: ["code": "upstream-timeout", "hb.request.id": "8"],
            source: "Gateway", file: #fileID, function: #function, line: #line
        )
        #expect(handler.format(event) == " warning bookshelf.gateway: code=upstream-timeout hb.request.id=8 request_id=second [Gateway] upstream failed\n")
    }
}
