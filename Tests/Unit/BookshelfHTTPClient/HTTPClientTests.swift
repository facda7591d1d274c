import HTTPTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization
import Testing

@testable import BookshelfHTTPClient

@Suite struct HTTPClientTests {
    static func echoRouter() -> Router<PeerContext> {
        let router = Router(context: PeerContext.self)
        // Answers with what it received, so the client's encoding of a request can be checked.
        router.on("/echo", method: .get) { request, context in try await echo(request, context) }
        router.on("/echo", method: .post) { request, context in try await echo(request, context) }
        router.on("/echo", method: .put) { request, context in try await echo(request, context) }
        router.on("/echo", method: .head) { request, context in try await echo(request, context) }
        router.get("/slow") { _, _ -> String in
            try await Task.sleep(for: .seconds(30))
            return "late"
        }
        router.get("/big") { _, _ in
            Response(status: .ok, body: .init(byteBuffer: ByteBuffer(repeating: 0x41, count: 64 * 1024)))
        }
        router.get("/peer") { _, context in "\(context.peerPort ?? -1)" }
        return router
    }

    static func echo(_ request: Request, _ context: PeerContext) async throws -> Response {
        let body = try await request.body.collect(upTo: 1 << 20)
        var lines = ["method=\(request.method.rawValue)", "path=\(request.uri.path)", "query=\(request.uri.query ?? "")"]
        for field in request.headers {
            lines.append("header:\(field.name.canonicalName)=\(field.value)")
        }
        lines.append("body=\(String(buffer: body))")
        var headers = HTTPFields()
        headers[HTTPField.Name("X-Echo")!] = "yes"
        headers.append(HTTPField(name: HTTPField.Name("X-Multi")!, value: "1"))
        headers.append(HTTPField(name: HTTPField.Name("X-Multi")!, value: "2"))
        return Response(status: .created, headers: headers, body: .init(byteBuffer: ByteBuffer(string: lines.joined(separator: "\n"))))
    }

    static func lines(_ response: HTTPClient.Response) -> [String] {
        String(decoding: response.body, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    @Test func getCarriesHeadersAndReturnsStatusHeadersAndBody() async throws {
        let client = HTTPClient()
        try await withTestServer(Self.echoRouter()) { port in
            let response = try await client.execute(.init(
                url: "http://127.0.0.1:\(port)/echo?q=1",
                headers: [.init("X-Bookshelf-Test", "abc"), .init("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")]
            ))
            #expect(response.status == 201)
            #expect(response.header("x-echo") == "yes")
            #expect(response.headers.filter { $0.name.lowercased() == "x-multi" }.map(\.value) == ["1", "2"])
            let lines = Self.lines(response)
            #expect(lines.contains("method=GET"))
            #expect(lines.contains("path=/echo"))
            #expect(lines.contains("query=q=1"))
            #expect(lines.contains("header:x-bookshelf-test=abc"))
            #expect(lines.contains("header:traceparent=00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"))
        }
        await client.shutdown()
    }

    @Test func postSendsTheBodyWithItsContentTypeAndNoExpectHeader() async throws {
        let client = HTTPClient()
        let payload = String(repeating: "x", count: 5000)
        try await withTestServer(Self.echoRouter()) { port in
            let response = try await client.execute(.init(
                method: "POST", url: "http://127.0.0.1:\(port)/echo",
                headers: [.init("Content-Type", "application/json")], body: Array("{\"t\":\"\(payload)\"}".utf8)
            ))
            let lines = Self.lines(response)
            #expect(lines.contains("method=POST"))
            #expect(lines.contains("header:content-type=application/json"))
            #expect(lines.contains("body={\"t\":\"\(payload)\"}"))
            #expect(!lines.contains { $0.hasPrefix("header:expect=") })
        }
        await client.shutdown()
    }

    @Test func bodyWithoutContentTypeIsNotLabelledAsAForm() async throws {
        let client = HTTPClient()
        try await withTestServer(Self.echoRouter()) { port in
            let put = try await client.execute(.init(method: "PUT", url: "http://127.0.0.1:\(port)/echo", body: Array("raw".utf8)))
            #expect(Self.lines(put).contains("method=PUT"))
            #expect(Self.lines(put).contains("body=raw"))
            #expect(!Self.lines(put).contains { $0.hasPrefix("header:content-type=") })

            let emptyPost = try await client.execute(.init(method: "POST", url: "http://127.0.0.1:\(port)/echo"))
            #expect(Self.lines(emptyPost).contains("header:content-length=0"))
        }
        await client.shutdown()
    }

    @Test func sequentialRequestsReuseOneConnection() async throws {
        let client = HTTPClient()
        try await withTestServer(Self.echoRouter()) { port in
            var peers = Set<String>()
            for _ in 0..<10 {
                let response = try await client.execute(.init(url: "http://127.0.0.1:\(port)/peer"))
                peers.insert(String(decoding: response.body, as: UTF8.self))
            }
            #expect(peers.count == 1)
            #expect(peers.first != "-1")
        }
        await client.shutdown()
    }

    @Test func concurrentRequestsAllComplete() async throws {
        let client = HTTPClient()
        try await withTestServer(Self.echoRouter()) { port in
            try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<64 {
                    group.addTask {
                        let response = try await client.execute(.init(
                            method: "POST", url: "http://127.0.0.1:\(port)/echo", body: Array("n\(index)".utf8)
                        ))
                        return Self.lines(response).contains("body=n\(index)")
                    }
                }
                var matched = 0
                for try await ok in group where ok { matched += 1 }
                #expect(matched == 64)
            }
        }
        await client.shutdown()
    }

    @Test func aReusedTransferHandleKeepsNothingOfTheRequestBefore() async throws {
        // One idle handle at most, so every request after the first runs on the handle the one before used.
        let client = HTTPClient(configuration: .init(maxIdleConnections: 1))
        try await withTestServer(Self.echoRouter()) { port in
            let put = try await client.execute(.init(
                method: "PUT", url: "http://127.0.0.1:\(port)/echo?first=1",
                headers: [.init("X-Bookshelf-Test", "first"), .init("Content-Type", "application/json")], body: Array("{\"n\":1}".utf8)
            ))
            #expect(Self.lines(put).contains("method=PUT"))
            #expect(Self.lines(put).contains("body={\"n\":1}"))

            let get = try await client.execute(.init(url: "http://127.0.0.1:\(port)/echo"))
            let lines = Self.lines(get)
            #expect(lines.contains("method=GET"))
            #expect(lines.contains("query="))
            #expect(lines.contains("body="))
            #expect(!lines.contains { $0.hasPrefix("header:x-bookshelf-test=") })
            #expect(!lines.contains { $0.hasPrefix("header:content-type=") })
            #expect(!lines.contains { $0.hasPrefix("header:content-length=") })

            let post = try await client.execute(.init(method: "POST", url: "http://127.0.0.1:\(port)/echo", body: Array("second".utf8)))
            #expect(Self.lines(post).contains("method=POST"))
            #expect(Self.lines(post).contains("body=second"))
            #expect(!Self.lines(post).contains { $0.hasPrefix("header:content-type=") })

            // HEAD after a body: no body sent; then a GET must not stay bodiless (NOBODY) nor keep the HEAD method.
            let head = try await client.execute(.init(method: "HEAD", url: "http://127.0.0.1:\(port)/echo"))
            #expect(head.status == 201 && head.body.isEmpty)
            let afterHead = Self.lines(try await client.execute(.init(url: "http://127.0.0.1:\(port)/echo")))
            #expect(afterHead.contains("method=GET"))
            #expect(afterHead.contains("body="))

            // A header list longer than the handle's buffers held so far, then a short one: exactly the new headers go.
            let many = (0..<20).map { HTTPClient.Header("X-Many-\($0)", String(repeating: "v", count: 40)) }
            let long = Self.lines(try await client.execute(.init(url: "http://127.0.0.1:\(port)/echo", headers: many + [.init("X-Empty", "")])))
            #expect(long.filter { $0.hasPrefix("header:x-many-") }.count == 20)
            #expect(long.contains("header:x-empty="))
            let short = Self.lines(try await client.execute(.init(url: "http://127.0.0.1:\(port)/echo", headers: [.init("X-One", "1")])))
            #expect(short.contains("header:x-one=1"))
            #expect(!short.contains { $0.hasPrefix("header:x-many-") || $0.hasPrefix("header:x-empty") })
        }
        await client.shutdown()
    }

    @Test func theHandlePoolHandsBackWhatItWasGivenUpToItsCapacity() {
        let pool = EasyHandlePool(capacity: 1)
        guard let first = pool.take(), let second = pool.take() else {
            Issue.record("libcurl could not allocate a handle")
            return
        }
        #expect(first !== second)
        pool.give(first)
        pool.give(second)
        let reused = pool.take()
        #expect(reused === first)
        // The second was past the capacity and let go, so the pool makes a fresh handle.
        let fresh = pool.take()
        #expect(fresh != nil && fresh !== first)
        reused.map(pool.give)
        fresh.map(pool.give)
    }

    @Test func refusedConnectionIsConnectFailedAndNotSent() async throws {
        let client = HTTPClient()
        let port = try closedPort()
        let error = await #expect(throws: HTTPClientError.self) {
            try await client.execute(.init(url: "http://127.0.0.1:\(port)/"))
        }
        #expect(error?.code == .connectFailed)
        #expect(error?.requestMayHaveBeenSent == false)
        #expect(error?.isRetryable == true)
        await client.shutdown()
    }

    @Test func unansweredConnectIsConnectTimeout() async throws {
        let client = HTTPClient(configuration: .init(connectTimeout: .milliseconds(300)))
        let backlog = try FullBacklogListener()
        let error = await #expect(throws: HTTPClientError.self) {
            try await client.execute(.init(url: "http://127.0.0.1:\(backlog.port)/"))
        }
        #expect(error?.code == .connectTimeout)
        #expect(error?.requestMayHaveBeenSent == false)
        backlog.close()
        await client.shutdown()
    }

    @Test func slowAnswerIsTimeout() async throws {
        let client = HTTPClient()
        try await withTestServer(Self.echoRouter()) { port in
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.execute(.init(url: "http://127.0.0.1:\(port)/slow", timeout: .milliseconds(300)))
            }
            #expect(error?.code == .timeout)
            #expect(error?.requestMayHaveBeenSent == true)
        }
        await client.shutdown()
    }

    @Test func everyTimeoutFiresWhenManyRunAtOnce() async throws {
        // Timers are libcurl's, driven by the loop; one lost timer would leave its request waiting for the 30 s answer.
        let client = HTTPClient()
        try await withTestServer(Self.echoRouter()) { port in
            let codes = await withTaskGroup(of: HTTPClientError.Code?.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        do throws(HTTPClientError) {
                            _ = try await client.execute(.init(url: "http://127.0.0.1:\(port)/slow", timeout: .milliseconds(100 + 10 * index)))
                            return nil
                        } catch {
                            return error.code
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(codes.count == 20)
            #expect(codes.allSatisfy { $0 == .timeout })
        }
        await client.shutdown()
    }

    @Test func cancellingTheTaskAbandonsTheTransfer() async throws {
        let client = HTTPClient()
        try await withTestServer(Self.echoRouter()) { port in
            let task = Task { () -> Result<HTTPClient.Response, HTTPClientError> in
                do throws(HTTPClientError) {
                    return .success(try await client.execute(.init(url: "http://127.0.0.1:\(port)/slow")))
                } catch {
                    return .failure(error)
                }
            }
            try await Task.sleep(for: .milliseconds(200))
            task.cancel()
            guard case .failure(let error) = await task.value else {
                Issue.record("a cancelled request produced a response")
                return
            }
            #expect(error.code == .cancelled)
            // The client stays usable after a cancellation.
            let after = try await client.execute(.init(url: "http://127.0.0.1:\(port)/peer"))
            #expect(after.status == 200)
        }
        await client.shutdown()
    }

    @Test func alreadyCancelledTaskNeverSends() async throws {
        let client = HTTPClient()
        try await withTestServer(Self.echoRouter()) { port in
            let task = Task { () -> HTTPClientError? in
                withUnsafeCurrentTask { $0?.cancel() }
                do throws(HTTPClientError) {
                    _ = try await client.execute(.init(url: "http://127.0.0.1:\(port)/slow"))
                    return nil
                } catch {
                    return error
                }
            }
            #expect(await task.value?.code == .cancelled)
        }
        await client.shutdown()
    }

    @Test func oversizedResponseIsRefused() async throws {
        let client = HTTPClient(configuration: .init(maxResponseBytes: 1024))
        try await withTestServer(Self.echoRouter()) { port in
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.execute(.init(url: "http://127.0.0.1:\(port)/big"))
            }
            #expect(error?.code == .responseTooLarge)
        }
        await client.shutdown()
    }

    @Test func requestsAfterShutdownFailWithShutdown() async throws {
        let client = HTTPClient()
        await client.shutdown()
        let error = await #expect(throws: HTTPClientError.self) {
            try await client.execute(.init(url: "http://127.0.0.1:1/"))
        }
        #expect(error?.code == .shutdown)
    }

    @Test func inFlightRequestFailsWithShutdown() async throws {
        let client = HTTPClient()
        try await withTestServer(Self.echoRouter()) { port in
            async let outcome: HTTPClientError? = {
                do throws(HTTPClientError) {
                    _ = try await client.execute(.init(url: "http://127.0.0.1:\(port)/slow"))
                    return nil
                } catch {
                    return error
                }
            }()
            try await Task.sleep(for: .milliseconds(200))
            await client.shutdown()
            #expect(await outcome?.code == .shutdown)
        }
    }

    @Test func invalidMethodIsRejectedBeforeSending() async throws {
        let client = HTTPClient()
        let error = await #expect(throws: HTTPClientError.self) {
            try await client.execute(.init(method: "GET /x", url: "http://127.0.0.1:1/"))
        }
        #expect(error?.code == .invalidRequest)
        await client.shutdown()
    }
}
