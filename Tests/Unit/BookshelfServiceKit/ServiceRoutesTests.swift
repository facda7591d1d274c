import Foundation
import Hummingbird
import HummingbirdTesting
import BookshelfServiceKit
import Testing

@Suite struct ServiceRoutesTests {
    func app(readiness: Readiness = Readiness(), metrics: ServiceMetrics = ServiceMetrics(namespace: "bookshelf"), bodyLimit: Int = 64) -> some ApplicationProtocol {
        let routes = ServiceRoutes(metrics: metrics, readiness: readiness, problemNamespace: "urn:bookshelf:problem:", bodyLimit: bodyLimit)
        routes.on("/things", method: .post) { request, context in
            var request = request
            let body = try await request.jsonBody(context: context)
            return ServiceRoutes.json(bytes: body.readableBytesView, status: .created)
        }
        routes.on("/things", method: .get) { _, _ in ServiceRoutes.json([], status: .ok) }
        routes.on("/boom", method: .get) { _, _ -> Response in throw CocoaError(.fileNoSuchFile) }
        return Application(router: routes)
    }

    func problem(_ response: TestResponse) -> [String: Any] {
        #expect(response.headers[.contentType] == "application/problem+json")
        let object = (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any]
        #expect(object != nil, "the body is not a JSON object")
        return object ?? [:]
    }

    @Test func echoesACallersRequestIDAndMakesOneOtherwise() async throws {
        try await app().test(.router) { client in
            try await client.execute(uri: "/health/live", method: .get, headers: [.requestID: "abc-123"]) { response in
                #expect(response.headers[.requestID] == "abc-123")
            }
            try await client.execute(uri: "/health/live", method: .get, headers: [.requestID: "has space"]) { response in
                let id = try #require(response.headers[.requestID])
                #expect(id != "has space")
                #expect(UUID(uuidString: id) != nil)
            }
        }
    }

    @Test func unknownPathIsA404Problem() async throws {
        try await app().test(.router) { client in
            try await client.execute(uri: "/nowhere", method: .get) { response in
                #expect(response.status == .notFound)
                let body = problem(response)
                #expect(body["status"] as? Int == 404)
                #expect(body["type"] as? String == "urn:bookshelf:problem:not-found")
                #expect(body["instance"] as? String == "/nowhere")
            }
        }
    }

    @Test func wrongMethodIsA405WithAllow() async throws {
        try await app().test(.router) { client in
            try await client.execute(uri: "/things", method: .delete) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "POST, GET, HEAD, OPTIONS")
                #expect(problem(response)["code"] as? String == "method-not-allowed")
            }
            try await client.execute(uri: "/things", method: .head) { response in
                #expect(response.status == .ok)
            }
        }
    }

    /// Any method token a known path lacks is a 405 with `Allow`, not only those a router could list in advance.
    @Test func everyUnsupportedMethodIsA405AndOptionsNamesTheMethods() async throws {
        try await app().test(.router) { client in
            for method in [HTTPRequest.Method.trace, .put, .patch, HTTPRequest.Method("QUERY")!, HTTPRequest.Method("FROBNICATE")!] {
                try await client.execute(uri: "/things", method: method) { response in
                    #expect(response.status == .methodNotAllowed, "\(method)")
                    #expect(response.headers[.allow] == "POST, GET, HEAD, OPTIONS")
                    #expect(response.headers[.contentType] == "application/problem+json")
                    #expect(problem(response)["status"] as? Int == 405)
                }
            }
            try await client.execute(uri: "/things", method: .options) { response in
                #expect(response.status == .noContent)
                #expect(response.headers[.allow] == "POST, GET, HEAD, OPTIONS")
            }
            try await client.execute(uri: "/health/live", method: .trace) { response in
                #expect(response.headers[.allow] == "GET, HEAD, OPTIONS")
            }
            try await client.execute(uri: "/nowhere", method: .trace) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    @Test func bodyOverTheLimitIs413AndWrongContentTypeIs415() async throws {
        try await app(bodyLimit: 16).test(.router) { client in
            try await client.execute(uri: "/things", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: "[\"0123456789abcdef\"]")) { response in
                #expect(response.status == .contentTooLarge)
                #expect(problem(response)["code"] as? String == "body-too-large")
            }
            try await client.execute(uri: "/things", method: .post, headers: [.contentType: "text/plain"], body: ByteBuffer(string: "[]")) { response in
                #expect(response.status == .unsupportedMediaType)
                _ = problem(response)
            }
            try await client.execute(uri: "/things", method: .post, headers: [.contentType: "application/json; charset=utf-8"], body: ByteBuffer(string: "[1]")) { response in
                #expect(response.status == .created)
                #expect(String(buffer: response.body) == "[1]")
            }
        }
    }

    @Test func unexpectedErrorsLeakNothing() async throws {
        try await app().test(.router) { client in
            try await client.execute(uri: "/boom", method: .get) { response in
                #expect(response.status == .internalServerError)
                let text = String(buffer: response.body)
                #expect(!text.contains("Cocoa") && !text.contains("fileNoSuchFile"))
                #expect(problem(response)["code"] as? String == "internal")
            }
        }
    }

    @Test func readyOnlyOnceEveryConditionIsMet() async throws {
        let readiness = Readiness()
        readiness.register("replay", waitingFor: "replaying")
        readiness.register("broker", waitingFor: "connecting")
        try await app(readiness: readiness).test(.router) { client in
            try await client.execute(uri: "/health/ready", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(problem(response)["waiting"] as? String == "replay,broker")
            }
            readiness.set("replay", met: true, detail: "caught up")
            try await client.execute(uri: "/health/ready", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(problem(response)["waiting"] as? String == "broker")
            }
            readiness.set("broker", met: true, detail: "answered")
            try await client.execute(uri: "/health/ready", method: .get) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/health/live", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test func metricsCountRequestsByRouteTemplateAndStatus() async throws {
        let metrics = ServiceMetrics(namespace: "bookshelf")
        metrics.eventProduced(type: "bookshelf.book.added")
        try await app(metrics: metrics).test(.router) { client in
            try await client.execute(uri: "/things", method: .get) { _ in }
            try await client.execute(uri: "/things", method: .delete) { _ in }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
                let text = String(buffer: response.body)
                #expect(text.contains(#"bookshelf_http_requests_total{route="/things",method="GET",status="200"} 1"#))
                #expect(text.contains(#"bookshelf_http_requests_total{route="/things",method="DELETE",status="405"} 1"#))
                #expect(text.contains(#"bookshelf_http_request_duration_seconds_bucket{route="/things",method="GET""#))
                #expect(text.contains(#"bookshelf_events_produced_total{type="bookshelf.book.added"} 1"#))
            }
        }
    }
}
