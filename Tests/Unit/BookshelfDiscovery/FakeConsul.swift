import HTTPTestSupport
import Foundation
import Hummingbird
import HTTPTypes
import Synchronization

/// A stand-in for a Consul agent that follows its documented HTTP API: service registration and
/// deregistration, and `/v1/health/service/NAME` with `passing` and blocking queries (`index`, `wait`,
/// `X-Consul-Index`).
final class FakeConsul: Sendable {
    struct Instance: Sendable {
        var id: String
        var name: String
        var tags: [String]
        var address: String
        var port: Int
        var checkStatus: String
    }

    struct State: Sendable {
        var index: UInt64 = 10
        var instances: [String: Instance] = [:]
        /// Raw bodies of the register calls.
        var registrations: [Data] = []
        var deregistered: [String] = []
        /// How long a register call waits, after Consul has carried it out, before it answers.
        var registerAnswerDelay: Duration = .zero
        /// The `index` and `wait` of every health query, in order.
        var queries: [(index: String?, wait: String?)] = []
    }

    private let state = Mutex(State())

    func withState<R>(_ body: (inout State) -> R) -> R {
        state.withLock { body(&$0) }
    }

    /// Adds an instance as if another agent registered it, bumping the index as a catalog write does.
    func add(_ instance: Instance) {
        withState { state in
            state.instances[instance.id] = instance
            state.index += 1
        }
    }

    func setCheck(_ id: String, to status: String) {
        withState { state in
            state.instances[id]?.checkStatus = status
            state.index += 1
        }
    }

    /// What a restored snapshot does: the index goes back.
    func resetIndex(to index: UInt64) {
        withState { $0.index = index }
    }

    func router() -> Router<PeerContext> {
        let router = Router(context: PeerContext.self)
        router.put("/v1/agent/service/register") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            guard let object = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any],
                  let id = object["ID"] as? String, let name = object["Name"] as? String
            else { return Response(status: .badRequest) }
            self.withState { state in
                state.registrations.append(Data(buffer: body))
                state.instances[id] = Instance(
                    id: id, name: name, tags: object["Tags"] as? [String] ?? [],
                    address: object["Address"] as? String ?? "", port: object["Port"] as? Int ?? 0,
                    // Consul starts a new check as critical until it first passes.
                    checkStatus: "critical"
                )
                state.index += 1
            }
            try await Task.sleep(for: self.withState { $0.registerAnswerDelay })
            return Response(status: .ok)
        }
        router.put("/v1/agent/service/deregister/:id") { _, context -> Response in
            let id = context.parameters.get("id") ?? ""
            self.withState { state in
                state.deregistered.append(id)
                state.instances[id] = nil
                state.index += 1
            }
            return Response(status: .ok)
        }
        router.get("/v1/health/service/:name") { request, context -> Response in
            let name = context.parameters.get("name") ?? ""
            let query = request.uri.queryParameters
            let requested = query["index"].flatMap { UInt64(String($0)) } ?? 0
            let wait = query["wait"].map(String.init)
            self.withState { $0.queries.append((query["index"].map(String.init), wait)) }
            let maximum = wait.flatMap(Self.parseDuration) ?? .seconds(300)
            let deadline = ContinuousClock.now + maximum
            // Blocking query: hold until the index passes the one the client has seen, or the wait runs out.
            while requested > 0, self.withState({ $0.index }) <= requested, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            let passingOnly = query["passing"] != nil && query["passing"] != "false"
            let (index, entries) = self.withState { state in
                (state.index, state.instances.values
                    .filter { $0.name == name && (!passingOnly || $0.checkStatus == "passing") }
                    .sorted { $0.id < $1.id }
                    .map { instance -> [String: Any] in
                        [
                            "Node": ["Node": "node-1", "Address": "127.0.0.1"],
                            "Service": ["ID": instance.id, "Service": instance.name, "Tags": instance.tags,
                                        "Address": instance.address, "Port": instance.port],
                            "Checks": [["CheckID": "service:\(instance.id)", "Status": instance.checkStatus]],
                        ]
                    })
            }
            let data = try JSONSerialization.data(withJSONObject: entries)
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            headers[HTTPField.Name("X-Consul-Index")!] = String(index)
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        return router
    }

    static func parseDuration(_ text: String) -> Duration? {
        if text.hasSuffix("ms"), let value = Int(text.dropLast(2)) { return .milliseconds(value) }
        if text.hasSuffix("s"), let value = Int(text.dropLast()) { return .seconds(value) }
        if text.hasSuffix("m"), let value = Int(text.dropLast()) { return .seconds(value * 60) }
        return nil
    }
}

/// Polls `condition` until it holds; discovery updates arrive asynchronously.
func eventually(within limit: Duration = .seconds(10), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return condition()
}
