import BookshelfHTTPClient
import HTTPTypes
import Testing

@testable import Gateway

@Suite struct HeaderPolicyTests {
    @Test func endToEndHeadersReachTheServiceAndHopByHopOnesStop() {
        let pairs: [(name: String, value: String)] = [
            ("Host", "gateway:8000"), ("Connection", "keep-alive, X-Secret-Hop"), ("Keep-Alive", "timeout=5"),
            ("X-Secret-Hop", "1"), ("Transfer-Encoding", "chunked"), ("TE", "trailers"), ("Upgrade", "h2c"),
            ("Proxy-Authorization", "Basic eA=="), ("Authorization", "Bearer s3cret"), ("Content-Length", "12"),
            ("X-Request-Id", "client-chosen"),
            ("Idempotency-Key", "k-1"), ("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
            ("X-Bookshelf-Min-Position", "0:4"), ("Content-Type", "application/json"), ("Accept", "application/json"),
        ]
        let sent = HTTPFields(pairs.map { HTTPField(name: HTTPField.Name($0.name)!, value: $0.value) })
        let forwarded = HeaderPolicy.upstreamRequestHeaders(sent, requestID: "rid-1")
        let names = forwarded.map { $0.name.lowercased() }
        for kept in ["idempotency-key", "traceparent", "x-bookshelf-min-position", "content-type", "accept"] {
            #expect(names.contains(kept), "\(kept) was dropped")
        }
        for dropped in ["host", "connection", "keep-alive", "x-secret-hop", "transfer-encoding", "te", "upgrade",
                        "proxy-authorization", "authorization", "content-length"] {
            #expect(!names.contains(dropped), "\(dropped) was forwarded")
        }
        #expect(forwarded.filter { $0.name.lowercased() == "x-request-id" }.map(\.value) == ["rid-1"])
    }

    @Test func responseHeadersLoseHopByHopAndServerOwnedOnes() {
        let upstream: [HTTPClient.Header] = [
            .init("Connection", "close"), .init("Transfer-Encoding", "chunked"), .init("Content-Length", "10"),
            .init("Date", "x"), .init("Server", "booklist"), .init("Location", "/bookshelf/books/1"),
            .init("X-Bookshelf-Position", "0:4"), .init("Retry-After", "1"), .init("Content-Type", "application/json"),
            // Names in any case: HTTP compares them case-insensitively.
            .init("X-REQUEST-ID", "upstream-id"), .init("kEEP-aLIVE", "timeout=5"), .init("X-Served-By", "booklist-1"),
        ]
        let names = HeaderPolicy.clientResponseHeaders(upstream).map(\.name.canonicalName)
        #expect(names == ["location", "x-bookshelf-position", "retry-after", "content-type", "x-served-by"])
    }

    @Test func responseHeadersListedInConnectionStopToo() {
        let upstream: [HTTPClient.Header] = [
            .init("Connection", " X-Upstream-Hop ,keep-alive"), .init("X-Upstream-Hop", "1"), .init("Keep-Alive", "timeout=5"),
            .init("X-Bookshelf-Position", "0:4"), .init("Bad Name", "dropped, not a token"),
        ]
        let names = HeaderPolicy.clientResponseHeaders(upstream).map(\.name.canonicalName)
        #expect(names == ["x-bookshelf-position"])
    }
}

@Suite struct UpstreamFailureTests {
    @Test func noInstanceIs503WithRetryAfter() {
        let problem = UpstreamFailure.noInstance(service: "booklist").problem(retrySafe: false)
        #expect(problem.status == .serviceUnavailable)
        #expect(problem.retryAfter != nil)
        #expect(problem.isRetryable)
    }

    @Test func refusedConnectionIs503AndAlwaysSafeToRetry() {
        let problem = UpstreamFailure.transport(service: "newbook", HTTPClientError(.connectFailed, "refused")).problem(retrySafe: false)
        #expect(problem.status == .serviceUnavailable)
        #expect(problem.retryAfter == 1)
    }

    @Test func timeoutsAre504() {
        let connect = UpstreamFailure.transport(service: "booklist", HTTPClientError(.connectTimeout, "")).problem(retrySafe: false)
        #expect(connect.status == .gatewayTimeout)
        #expect(connect.retryAfter == 1)
        let read = UpstreamFailure.transport(service: "booklist", HTTPClientError(.timeout, "")).problem(retrySafe: true)
        #expect(read.status == .gatewayTimeout)
        #expect(read.retryAfter == 1)
        // A write that timed out may have happened: no Retry-After unless an Idempotency-Key makes it safe.
        let write = UpstreamFailure.transport(service: "newbook", HTTPClientError(.timeout, "")).problem(retrySafe: false)
        #expect(write.status == .gatewayTimeout)
        #expect(write.retryAfter == nil)
        #expect(!write.isRetryable)
    }

    @Test func brokenExchangesAre502() {
        let broken = UpstreamFailure.transport(service: "booklist", HTTPClientError(.transferFailed, "reset")).problem(retrySafe: true)
        #expect(broken.status == .badGateway)
        #expect(broken.retryAfter == 1)
        let large = UpstreamFailure.transport(service: "booklist", HTTPClientError(.responseTooLarge, "")).problem(retrySafe: true)
        #expect(large.status == .badGateway)
        #expect(large.retryAfter == nil)
    }
}

@Suite struct BearerTokenTests {
    let token = BearerToken("s3cret-token")

    @Test func onlyTheExactBearerTokenIsAccepted() {
        #expect(token.accepts(authorization: "Bearer s3cret-token"))
        #expect(token.accepts(authorization: "bearer s3cret-token"))
        #expect(!token.accepts(authorization: nil))
        #expect(!token.accepts(authorization: "Bearer s3cret-toke"))
        #expect(!token.accepts(authorization: "Bearer s3cret-token2"))
        #expect(!token.accepts(authorization: "Bearer S3cret-token"))
        #expect(!token.accepts(authorization: "Basic s3cret-token"))
        #expect(!token.accepts(authorization: "s3cret-token"))
    }

    @Test func onlyWritesAreProtected() {
        #expect(BearerToken.protects(method: "POST"))
        #expect(BearerToken.protects(method: "DELETE"))
        #expect(!BearerToken.protects(method: "GET"))
        #expect(!BearerToken.protects(method: "HEAD"))
    }
}
