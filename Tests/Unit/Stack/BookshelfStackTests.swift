import BookshelfApp
import Foundation
@testable import Stack
import XCTest

final class BookshelfStackTests: XCTestCase {
    private let stack = BookshelfStack(executable: "/opt/bookshelf", portOffset: 100)

    func testTheAppsTableGivesEveryServiceItsOwnSubcommandPortAndConsulName() {
        let services = BookshelfServices.all
        XCTAssertEqual(services.count, 5)
        XCTAssertEqual(Set(services.map(\.subcommand)).count, services.count)
        XCTAssertEqual(Set(services.map(\.port)).count, services.count)
        XCTAssertEqual(Set(services.map(\.consulName)).count, services.count)
        XCTAssertEqual(BookshelfServices.highestPort, 8084)
    }

    func testTheBrokerStartsFirstThenTheServicesThenTheGateway() {
        XCTAssertEqual(stack.plan.stages.map { $0.map(\.name) }, [
            ["broker"], ["new-book", "book-read", "list-books", "last-read"], ["gateway"],
        ])
    }

    func testServicesGetTheirPortAndTheAnnouncedBrokerAndOnlyTheBrokerIsNeverRestarted() throws {
        let stages = stack.plan.stages
        XCTAssertEqual(stages[0][0].commandLine([:]), ["/opt/bookshelf", "broker"])
        XCTAssertEqual(stages[0][0].restart, .never)
        let listBooks = try XCTUnwrap(stages[1].first { $0.name == "list-books" })
        XCTAssertEqual(
            listBooks.commandLine(["broker": "127.0.0.1:39000"]),
            ["/opt/bookshelf", "list-books", "--port", "8184", "--broker", "127.0.0.1:39000"]
        )
        XCTAssertEqual(listBooks.restart, .onExit(limit: 5, window: .seconds(60)))
        guard case .http(let host, let port, let path) = listBooks.readiness else { return XCTFail("list-books is probed over HTTP") }
        XCTAssertEqual("\(host):\(port)\(path)", "127.0.0.1:8184/health/ready")
    }

    func testAnExternalBrokerReplacesTheEmbeddedOneForEveryService() throws {
        let external = BookshelfStack(executable: "/opt/bookshelf", portOffset: 100, externalBroker: "kafka-1:9092,kafka-2:9092")
        XCTAssertEqual(external.plan.stages.map { $0.map(\.name) }, [
            ["new-book", "book-read", "list-books", "last-read"], ["gateway"],
        ])
        for service in external.plan.stages[0] {
            XCTAssertEqual(Array(service.commandLine([:]).suffix(2)), ["--broker", "kafka-1:9092,kafka-2:9092"], service.name)
        }
        let snapshot = StackSnapshot(members: [.init(name: "new-book", pid: 11, announced: nil)])
        XCTAssertEqual(external.state(of: snapshot).broker, "kafka-1:9092,kafka-2:9092")
        let brokerRow = external.table(of: snapshot).split(separator: "\n")[1].split(separator: " ")
        XCTAssertEqual(brokerRow, ["broker", "kafka-1:9092,kafka-2:9092", "-", "external"])
    }

    func testTheGatewayIsGivenEveryServiceByItsConsulName() throws {
        let gateway = try XCTUnwrap(stack.plan.stages.last?.first)
        XCTAssertEqual(gateway.commandLine([:]), [
            "/opt/bookshelf", "gateway", "--port", "8100",
            "--upstream", "newbook=http://127.0.0.1:8181",
            "--upstream", "readbook=http://127.0.0.1:8182",
            "--upstream", "booklist=http://127.0.0.1:8184",
            "--upstream", "lastreadbooks=http://127.0.0.1:8180",
        ])
    }

    func testTheStateFileHasTheArchitectureShapePlusThePids() throws {
        let snapshot = StackSnapshot(members: [
            .init(name: "broker", pid: 10, announced: "127.0.0.1:39000"),
            .init(name: "new-book", pid: 11, announced: nil),
            .init(name: "gateway", pid: 15, announced: nil),
        ])
        let path = NSTemporaryDirectory() + "bookshelf-state-\(getpid()).json"
        defer { try? FileManager.default.removeItem(atPath: path) }

        try stack.state(of: snapshot).write(to: path)

        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        XCTAssertEqual(json["gateway"] as? String, "http://127.0.0.1:8100")
        XCTAssertEqual(json["broker"] as? String, "127.0.0.1:39000")
        XCTAssertEqual(json["services"] as? [String: String], [
            "newbook": "http://127.0.0.1:8181", "readbook": "http://127.0.0.1:8182",
            "booklist": "http://127.0.0.1:8184", "lastreadbooks": "http://127.0.0.1:8180",
        ])
        XCTAssertEqual(json["pids"] as? [String: Int], ["broker": 10, "new-book": 11, "gateway": 15])
        XCTAssertEqual(try StackState.read(from: path), stack.state(of: snapshot))
    }

    func testTheTableListsEveryChildWithItsAddress() {
        let snapshot = StackSnapshot(members: [
            .init(name: "broker", pid: 10, announced: "127.0.0.1:39000"),
            .init(name: "last-read", pid: 14, announced: nil),
            .init(name: "gateway", pid: 15, announced: nil),
        ])
        XCTAssertEqual(stack.table(of: snapshot), """
            NAME       ADDRESS                CONSUL NAME    PID
            broker     127.0.0.1:39000        -              10
            last-read  http://127.0.0.1:8180  lastreadbooks  14
            gateway    http://127.0.0.1:8100  gateway        15
            """)
    }
}
