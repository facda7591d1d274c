import Testing

@testable import BookshelfDiscovery

@Suite struct StaticDiscoveryTests {
    @Test func flagsNameInstancesAndARepeatedNameAddsOne() throws {
        let discovery = try StaticDiscovery(
            flags: ["booklist=http://127.0.0.1:8084/", "booklist=http://127.0.0.1:9084", "newbook=http://10.0.0.5:8081"],
            environmentVariable: "BOOKSHELF_UPSTREAMS", environment: ["BOOKSHELF_UPSTREAMS": "readbook=http://127.0.0.1:8082"]
        )
        #expect(discovery.instances(of: "booklist").map(\.baseURL) == ["http://127.0.0.1:8084", "http://127.0.0.1:9084"])
        #expect(discovery.instances(of: "newbook").map(\.baseURL) == ["http://10.0.0.5:8081"])
        // Flags given: the environment is not consulted.
        #expect(discovery.instances(of: "readbook").isEmpty)
    }

    @Test func environmentIsTheFallback() throws {
        let discovery = try StaticDiscovery(
            flags: [], environmentVariable: "BOOKSHELF_UPSTREAMS",
            environment: ["BOOKSHELF_UPSTREAMS": "readbook=http://127.0.0.1:8082, lastreadbooks=http://127.0.0.1:8080"]
        )
        #expect(discovery.instances(of: "readbook").map(\.baseURL) == ["http://127.0.0.1:8082"])
        #expect(discovery.instances(of: "lastreadbooks").map(\.baseURL) == ["http://127.0.0.1:8080"])
    }

    @Test func anotherAppsVariableIsTheOnlyOneRead() throws {
        let environment = ["REVIEWS_UPSTREAMS": "books=http://127.0.0.1:9000", "BOOKSHELF_UPSTREAMS": "readbook=http://127.0.0.1:8082"]
        let discovery = try StaticDiscovery(flags: [], environmentVariable: "REVIEWS_UPSTREAMS", environment: environment)
        #expect(discovery.upstreams.mapValues { $0.map(\.baseURL) } == ["books": ["http://127.0.0.1:9000"]])
        let unset = try StaticDiscovery(flags: [], environmentVariable: "REVIEWS_UPSTREAMS", environment: ["BOOKSHELF_UPSTREAMS": "readbook=http://127.0.0.1:8082"])
        #expect(unset.upstreams.isEmpty)
    }

    @Test(arguments: ["booklist", "=http://127.0.0.1:1", "booklist=127.0.0.1:8084", "booklist=http://", "booklist=http://h:1/path", "bad name=http://h:1"])
    func malformedEntriesAreRejected(_ entry: String) {
        #expect(throws: DiscoveryError.self) { try StaticDiscovery(flags: [entry], environmentVariable: "BOOKSHELF_UPSTREAMS", environment: [:]) }
        do {
            _ = try StaticDiscovery(flags: [entry], environmentVariable: "BOOKSHELF_UPSTREAMS", environment: [:])
        } catch {
            #expect(error.code == .invalidUpstream)
            #expect(error.message.contains(entry))
        }
    }

    @Test func roundRobinTakesTurnsAndSkipsTriedInstances() {
        let instances = (1...3).map { ServiceInstance(id: "i\($0)", baseURL: "http://127.0.0.1:\(9000 + $0)") }
        let balancer = RoundRobin()
        let picks = (0..<6).compactMap { _ in balancer.pick(from: instances, of: "booklist")?.id }
        #expect(picks == ["i1", "i2", "i3", "i1", "i2", "i3"])
        // Another service has its own turn.
        #expect(balancer.pick(from: instances, of: "newbook")?.id == "i1")
        for _ in 0..<5 {
            let pick = balancer.pick(from: instances, of: "booklist", excluding: ["i1", "i2"])
            #expect(pick?.id == "i3")
        }
        #expect(balancer.pick(from: instances, of: "booklist", excluding: ["i1", "i2", "i3"]) == nil)
        #expect(balancer.pick(from: [], of: "booklist") == nil)
    }
}
