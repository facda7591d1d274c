import Glibc
import Stack
import XCTest

final class SupervisorTests: XCTestCase {
    func testStartsStagesInOrderPassesTheAnnouncementOnAndReportsEveryChildReady() throws {
        let portA = FakeChildren.freePort(), portB = FakeChildren.freePort()
        let stack = try RunningStack(StackPlan(stages: [
            [FakeChildren.broker(address: "127.0.0.1:40404")],
            [FakeChildren.service("alpha", port: portA), FakeChildren.service("beta", port: portB)],
        ]))
        defer { stack.stopHandle.requestStop() }

        let snapshot = try XCTUnwrap(stack.readySnapshot())
        XCTAssertEqual(snapshot.members.map(\.name), ["broker", "alpha", "beta"])
        XCTAssertEqual(snapshot["broker"]?.announced, "127.0.0.1:40404")
        XCTAssertNil(snapshot["alpha"]?.announced)
        for member in snapshot.members {
            XCTAssertTrue(FakeChildren.isAlive(member.pid), "\(member.name) should be running")
        }
        XCTAssertTrue(stack.output.contains(.init(child: "alpha", stream: .stdout, text: "alpha got broker 127.0.0.1:40404")))
        XCTAssertTrue(stack.output.contains(.init(child: "broker", stream: .stdout, text: "broker listening on 127.0.0.1:40404")))
    }

    func testAStopRequestEndsEveryChildAndThenReturns() throws {
        let stack = try RunningStack(StackPlan(stages: [
            [FakeChildren.broker()], [FakeChildren.service("alpha", port: FakeChildren.freePort())],
        ]))
        let snapshot = try XCTUnwrap(stack.readySnapshot())

        stack.stopHandle.requestStop(signal: SIGINT)

        let outcome = try XCTUnwrap(stack.outcome(), "run() should return after a stop request")
        XCTAssertNoThrow(try outcome.get())
        for member in snapshot.members {
            XCTAssertFalse(FakeChildren.isAlive(member.pid), "\(member.name) should have been stopped and reaped")
        }
    }

    func testAChildThatNeverAnswersFailsTheStartNamingItAndStopsTheOthers() throws {
        let stack = try RunningStack(StackPlan(
            stages: [[FakeChildren.broker()], [FakeChildren.silent("mute")]],
            readyTimeout: .milliseconds(800)
        ))

        let outcome = try XCTUnwrap(stack.outcome())
        guard case .failure(let error) = outcome else { return XCTFail("a child that never gets ready must fail the stack") }
        XCTAssertEqual(error.code, .notReady)
        XCTAssertEqual(error.child, "mute")
        XCTAssertTrue(error.message.contains("connection refused"), error.message)
        XCTAssertNil(stack.readySnapshot(timeout: 0), "a stack that failed to start is never reported ready")
    }

    func testAChildThatExitsDuringStartFailsTheStackWithItsLastWords() throws {
        let stack = try RunningStack(StackPlan(stages: [[FakeChildren.broker()], [FakeChildren.failing("crashy")]]))

        guard case .failure(let error) = try XCTUnwrap(stack.outcome()) else { return XCTFail("expected a failure") }
        XCTAssertEqual(error.code, .childExited)
        XCTAssertEqual(error.child, "crashy")
        XCTAssertTrue(error.message.contains("exited with status 3"), error.message)
        XCTAssertTrue(error.message.contains("address already in use"), error.message)
    }

    func testAKilledServiceIsStartedAgainAndReportedWithItsNewPid() throws {
        let port = FakeChildren.freePort()
        let stack = try RunningStack(StackPlan(stages: [[FakeChildren.broker()], [FakeChildren.service("view", port: port)]]))
        defer { stack.stopHandle.requestStop() }
        let first = try XCTUnwrap(stack.readySnapshot()?["view"]?.pid)

        kill(first, SIGKILL)

        let restarted = try XCTUnwrap(stack.restartedSnapshot(of: "view"), "the view should be restarted")
        let second = try XCTUnwrap(restarted["view"]?.pid)
        XCTAssertNotEqual(first, second)
        XCTAssertTrue(FakeChildren.isAlive(second))
        XCTAssertEqual(restarted["broker"]?.announced, "127.0.0.1:19092")
        XCTAssertTrue(stack.output.contains(.init(child: "view", stream: .stdout, text: "view got broker 127.0.0.1:19092")))
    }

    func testAServiceThatKeepsDyingEndsTheStackOnceItsRestartsAreSpent() throws {
        let service = FakeChildren.service("flaky", port: FakeChildren.freePort(), restart: .onExit(limit: 1, window: .seconds(60)))
        let stack = try RunningStack(StackPlan(stages: [[FakeChildren.broker()], [service]]))
        let first = try XCTUnwrap(stack.readySnapshot()?["flaky"]?.pid)
        kill(first, SIGKILL)
        let second = try XCTUnwrap(stack.restartedSnapshot(of: "flaky")?["flaky"]?.pid)

        kill(second, SIGKILL)

        guard case .failure(let error) = try XCTUnwrap(stack.outcome()) else { return XCTFail("expected a crash loop") }
        XCTAssertEqual(error.code, .crashLoop)
        XCTAssertEqual(error.child, "flaky")
        XCTAssertTrue(error.message.contains("killed by signal 9 (SIGKILL)"), error.message)
    }

    func testTheBrokerIsNeverRestartedItsExitEndsTheStack() throws {
        let stack = try RunningStack(StackPlan(stages: [[FakeChildren.broker()], [FakeChildren.service("view", port: FakeChildren.freePort())]]))
        let snapshot = try XCTUnwrap(stack.readySnapshot())

        kill(try XCTUnwrap(snapshot["broker"]?.pid), SIGTERM)

        guard case .failure(let error) = try XCTUnwrap(stack.outcome()) else { return XCTFail("expected the stack to end") }
        XCTAssertEqual(error.code, .childExited)
        XCTAssertEqual(error.child, "broker")
        XCTAssertTrue(error.message.contains("killed by signal 15 (SIGTERM)"), error.message)
        XCTAssertFalse(FakeChildren.isAlive(try XCTUnwrap(snapshot["view"]?.pid)), "the view should have been stopped")
    }

    func testAChildThatIgnoresSIGTERMIsKilledAfterTheStopTimeout() throws {
        let stubborn = ChildSpec(name: "stubborn", readiness: .announces(prefix: "ready"), restart: .never) { _ in
            ["/bin/sh", "-c", "trap '' TERM; echo ready; while :; do sleep 0.1; done"]
        }
        let stack = try RunningStack(StackPlan(stages: [[stubborn]], stopTimeout: .milliseconds(300)))
        let pid = try XCTUnwrap(stack.readySnapshot()?["stubborn"]?.pid)

        stack.stopHandle.requestStop()

        XCTAssertNoThrow(try XCTUnwrap(stack.outcome(timeout: 5)).get())
        XCTAssertFalse(FakeChildren.isAlive(pid))
    }

    func testChildrenGetDefaultSignalsEvenThoughTheSupervisorIgnoresThem() throws {
        let forwarding = try Supervisor(
            plan: StackPlan(stages: []), logger: .init(label: "unused"), output: { _, _, _ in }, onEvent: { _ in }
        ).stopHandle.forwardTerminationSignals()
        defer { withExtendedLifetime(forwarding) {} }
        let probe = ChildSpec(name: "probe", readiness: .announces(prefix: "SigIgn:"), restart: .never) { _ in
            ["/bin/sh", "-c", "grep -E '^Sig(Ign|Blk):' /proc/$$/status | sort -r; exec sleep 600"]
        }
        let stack = try RunningStack(StackPlan(stages: [[probe]]))
        defer { stack.stopHandle.requestStop() }

        let snapshot = try XCTUnwrap(stack.readySnapshot())
        let ignored = try XCTUnwrap(UInt64(try XCTUnwrap(snapshot["probe"]?.announced), radix: 16))
        for signal in [SIGINT, SIGTERM] {
            XCTAssertEqual(ignored & (1 << UInt64(signal - 1)), 0, "signal \(signal) must not stay ignored in a child")
        }
        let blocked = stack.output.first { $0.text.hasPrefix("SigBlk:") }?.text.dropFirst("SigBlk:".count)
        XCTAssertEqual(blocked.flatMap { UInt64($0.trimmingCharacters(in: .whitespaces), radix: 16) }, 0)
    }
}
