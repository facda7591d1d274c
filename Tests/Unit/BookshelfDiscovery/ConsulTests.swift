import HTTPTestSupport
import Foundation
import BookshelfHTTPClient
import Logging
import ServiceLifecycle
import Testing

@testable import BookshelfDiscovery

@Suite struct ConsulTests {
    static var quietLogger: Logger {
        var logger = Logger(label: "consul-test")
        logger.logLevel = .critical
        return logger
    }

    static let fast = ConsulDiscovery.Configuration(
        wait: .seconds(2), minimumInterval: .milliseconds(10), initialBackoff: .milliseconds(50), maximumBackoff: .milliseconds(200)
    )

    /// Runs `service` in a ServiceGroup for the duration of `body`, then shuts the group down gracefully.
    static func running<R: Sendable>(_ services: [any Service], _ body: () async throws -> R) async throws -> R {
        let group = ServiceGroup(configuration: .init(services: services.map { .init(service: $0) }, logger: quietLogger))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do {
                let result = try await body()
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return result
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }

    @Test func registersWhenReadyWithTheDocumentedBodyAndDeregistersAtShutdown() async throws {
        let consul = FakeConsul()
        let client = HTTPClient()
        try await withTestServer(consul.router()) { port in
            let agent = try ConsulAgent(url: "http://127.0.0.1:\(port)/", client: client)
            let (ready, markReady) = AsyncStream.makeStream(of: Void.self)
            let registration = ConsulRegistration(
                agent: agent,
                registration: .init(id: "booklist-127.0.0.1-8084", name: "booklist", tags: ["books", "list"], address: "127.0.0.1", port: 8084),
                logger: Self.quietLogger,
                whenReady: { for await _ in ready { return } }
            )
            try await Self.running([registration]) {
                try await Task.sleep(for: .milliseconds(100))
                #expect(consul.withState { $0.registrations.isEmpty }, "registered before the service was ready")
                markReady.yield()
                #expect(await eventually { consul.withState { $0.registrations.count } == 1 })
            }
            let body = try #require(consul.withState { $0.registrations.first })
            let object = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
            #expect(object["ID"] as? String == "booklist-127.0.0.1-8084")
            #expect(object["Name"] as? String == "booklist")
            #expect(object["Tags"] as? [String] == ["books", "list"])
            #expect(object["Address"] as? String == "127.0.0.1")
            #expect(object["Port"] as? Int == 8084)
            let check = try #require(object["Check"] as? [String: Any])
            #expect(check["HTTP"] as? String == "http://127.0.0.1:8084/health/ready")
            #expect(check["Interval"] as? String == "5s")
            #expect(check["Timeout"] as? String == "2s")
            #expect(check["DeregisterCriticalServiceAfter"] as? String == "60s")
            #expect(consul.withState { $0.deregistered } == ["booklist-127.0.0.1-8084"])
        }
        await client.shutdown()
    }

    /// Consul runs the check by URL, so an IPv6 address must be in brackets there (and only there: the
    /// service's Address stays as given); without them Consul refuses the registration or probes a wrong port.
    @Test(arguments: [
        ("127.0.0.1", "http://127.0.0.1:8084/health/ready"),
        ("booklist.default.svc", "http://booklist.default.svc:8084/health/ready"),
        ("::1", "http://[::1]:8084/health/ready"),
        ("fd00:10:244::5", "http://[fd00:10:244::5]:8084/health/ready"),
        ("[fd00::5]", "http://[fd00::5]:8084/health/ready"),
        ("fe80::1%eth0", "http://[fe80::1%25eth0]:8084/health/ready"),
    ])
    func checkURLPutsIPv6AddressesInBrackets(address: String, checkURL: String) throws {
        let registration = ConsulAgent.Registration(id: "booklist-1", name: "booklist", tags: [], address: address, port: 8084)
        #expect(registration.checkURL == checkURL)
        #expect(registration.json["Check"]?["HTTP"]?.string == checkURL)
        #expect(registration.json["Address"]?.string == address)
    }

    @Test func lookupPutsAnIPv6InstanceAddressInBrackets() async throws {
        let consul = FakeConsul()
        let client = HTTPClient()
        try await withTestServer(consul.router()) { port in
            consul.add(.init(id: "booklist-v6", name: "booklist", tags: [], address: "fd00::7", port: 8084, checkStatus: "passing"))
            let agent = try ConsulAgent(url: "http://127.0.0.1:\(port)", client: client)
            let answer = try await agent.healthyInstances(of: "booklist", index: 0, wait: .seconds(1))
            #expect(answer.instances.map(\.baseURL) == ["http://[fd00::7]:8084"])
        }
        await client.shutdown()
    }

    /// Shutdown can cancel the register call after Consul carried it out but before it answered: the
    /// instance must still be deregistered, or Consul lists it until its check has been critical for long.
    @Test func deregistersWhenShutdownCancelsARegistrationConsulAlreadyMade() async throws {
        let consul = FakeConsul()
        consul.withState { $0.registerAnswerDelay = .seconds(30) }
        let client = HTTPClient()
        try await withTestServer(consul.router()) { port in
            let agent = try ConsulAgent(url: "http://127.0.0.1:\(port)", client: client)
            let registration = ConsulRegistration(
                agent: agent, registration: .init(id: "n1", name: "newbook", tags: [], address: "127.0.0.1", port: 8081),
                logger: Self.quietLogger, whenReady: {}
            )
            let started = ContinuousClock.now
            try await Self.running([registration]) {
                #expect(await eventually { consul.withState { $0.registrations.count } == 1 })
            }
            #expect(consul.withState { $0.deregistered } == ["n1"])
            #expect(ContinuousClock.now - started < .seconds(20), "shutdown waited for the register call's answer")
        }
        await client.shutdown()
    }

    @Test func registrationKeepsRetryingWhileConsulIsDown() async throws {
        let consul = FakeConsul()
        let client = HTTPClient()
        // Consul comes up after the service: first attempts are refused.
        let port = try await withTestServer(consul.router()) { port in port }
        let agent = try ConsulAgent(url: "http://127.0.0.1:\(port)", client: client)
        let registration = ConsulRegistration(
            agent: agent, registration: .init(id: "r1", name: "readbook", tags: [], address: "127.0.0.1", port: 8082),
            retryDelay: .milliseconds(50), logger: Self.quietLogger, whenReady: {}
        )
        try await Self.running([registration]) {
            try await Task.sleep(for: .milliseconds(200))
            #expect(consul.withState { $0.registrations.isEmpty })
        }
        await client.shutdown()
        // The refused attempts must not have been mistaken for success: nothing to deregister was sent either.
        #expect(consul.withState { $0.deregistered.isEmpty })
    }

    @Test func lookupFollowsRegistrationsAndChecksWithBlockingQueries() async throws {
        let consul = FakeConsul()
        let client = HTTPClient()
        consul.add(.init(id: "booklist-1", name: "booklist", tags: ["books"], address: "127.0.0.1", port: 8084, checkStatus: "passing"))
        consul.add(.init(id: "newbook-1", name: "newbook", tags: ["books"], address: "", port: 8081, checkStatus: "passing"))
        try await withTestServer(consul.router()) { port in
            let agent = try ConsulAgent(url: "http://127.0.0.1:\(port)", client: client)
            let discovery = ConsulDiscovery(agent: agent, services: ["booklist", "newbook"], configuration: Self.fast, logger: Self.quietLogger)
            try await Self.running([discovery]) {
                #expect(await eventually { discovery.hasAnsweredAll })
                #expect(discovery.instances(of: "booklist") == [ServiceInstance(id: "booklist-1", baseURL: "http://127.0.0.1:8084")])
                // An empty service address means the node's address.
                #expect(discovery.instances(of: "newbook").map(\.baseURL) == ["http://127.0.0.1:8081"])

                consul.add(.init(id: "booklist-2", name: "booklist", tags: [], address: "127.0.0.2", port: 9084, checkStatus: "passing"))
                #expect(await eventually { discovery.instances(of: "booklist").count == 2 })

                consul.setCheck("booklist-1", to: "critical")
                #expect(await eventually { discovery.instances(of: "booklist").map(\.id) == ["booklist-2"] })

                consul.setCheck("booklist-1", to: "passing")
                #expect(await eventually { discovery.instances(of: "booklist").count == 2 })
            }
            let queries = consul.withState { $0.queries }
            // The first query of each service has no index; later ones block on the last X-Consul-Index.
            #expect(queries.filter { $0.index == nil }.count == 2)
            let blocking = queries.filter { $0.index != nil }
            #expect(!blocking.isEmpty)
            #expect(blocking.allSatisfy { $0.wait == "2s" })
            // Blocking queries are held, not answered at once: far fewer queries than polling every 10 ms would make.
            #expect(queries.count < 40)
        }
        await client.shutdown()
    }

    @Test func indexGoingBackwardsStartsOver() async throws {
        let consul = FakeConsul()
        let client = HTTPClient()
        consul.add(.init(id: "lastread-1", name: "lastreadbooks", tags: [], address: "127.0.0.1", port: 8080, checkStatus: "passing"))
        try await withTestServer(consul.router()) { port in
            let agent = try ConsulAgent(url: "http://127.0.0.1:\(port)", client: client)
            let discovery = ConsulDiscovery(agent: agent, services: ["lastreadbooks"], configuration: Self.fast, logger: Self.quietLogger)
            try await Self.running([discovery]) {
                #expect(await eventually { discovery.index(of: "lastreadbooks") == 11 })
                // Consul restored from a snapshot: the index is lower than the one we hold, and the answer changed.
                consul.withState { state in
                    state.index = 3
                    state.instances["lastread-2"] = .init(id: "lastread-2", name: "lastreadbooks", tags: [], address: "127.0.0.1", port: 9080, checkStatus: "passing")
                }
                // Still blocked on index 11, the watch only learns of the reset when its wait runs out: then it
                // must start over from 0 (an unblocked query) and pick up the new answer.
                #expect(await eventually(within: .seconds(8)) { discovery.instances(of: "lastreadbooks").count == 2 })
                #expect(await eventually { discovery.index(of: "lastreadbooks") == 3 })
            }
            let indexes = consul.withState { $0.queries.map(\.index) }
            // After the backwards index, one query went out without an index.
            #expect(indexes.dropFirst().contains(nil))
        }
        await client.shutdown()
    }

    @Test func consulGoingAwayKeepsTheLastKnownList() async throws {
        let consul = FakeConsul()
        let client = HTTPClient()
        consul.add(.init(id: "readbook-1", name: "readbook", tags: [], address: "127.0.0.1", port: 8082, checkStatus: "passing"))
        let (group, run, discovery) = try await withTestServer(consul.router()) { port in
            let agent = try ConsulAgent(url: "http://127.0.0.1:\(port)", client: client)
            let discovery = ConsulDiscovery(agent: agent, services: ["readbook"], configuration: Self.fast, logger: Self.quietLogger)
            let group = ServiceGroup(configuration: .init(services: [discovery], logger: Self.quietLogger))
            let run = Task { try await group.run() }
            #expect(await eventually { discovery.instances(of: "readbook").count == 1 })
            return (group, run, discovery)
        }
        // Consul is gone now: lookups fail and back off, and the list stays as it was.
        try await Task.sleep(for: .milliseconds(500))
        #expect(discovery.instances(of: "readbook").map(\.baseURL) == ["http://127.0.0.1:8082"])
        await group.triggerGracefulShutdown()
        try await run.value
        await client.shutdown()
    }
}
