import Foundation
import HTTPTestSupport
import Synchronization
import Testing

@testable import BookshelfHTTPClient

/// The client used from several threads at once, as the gateway uses it: plain threads (as NIO's event loops are)
/// with completions, and tasks with `async` calls, all at the same time; nothing is lost or answered twice, a
/// completion may send the next request, and shutdown fails whatever is in flight.
extension HTTPClientTests {
    /// How often each request was answered with its own body; `record` returns how many answers have come.
    final class Answers: Sendable {
        let counts = Mutex<[String: Int]>([:])
        private let total = Atomic(0)

        func record(_ name: String, correct: Bool) -> Int {
            if correct { counts.withLock { $0[name, default: 0] += 1 } }
            return total.add(1, ordering: .sequentiallyConsistent).newValue
        }
    }

    typealias Outcome = Result<HTTPClient.Response, HTTPClientError>

    /// Runs `body` on a new thread that is in no Swift task, as an event loop's thread is not.
    static func onThread(_ body: @escaping @Sendable () -> Void) {
        Thread.detachNewThread(body)
    }

    /// Sends from a thread outside any task and waits for the completion.
    static func executeFromThread(_ client: HTTPClient, _ request: HTTPClient.Request) async -> Outcome {
        await withCheckedContinuation { continuation in
            onThread {
                client.execute(request) { continuation.resume(returning: $0) }
            }
        }
    }

    static func echoedBody(_ outcome: Outcome) -> String? {
        guard case .success(let response) = outcome else { return nil }
        return String(decoding: response.body, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix("body=") }.map(String.init)
    }

    @Test func requestsFromSeveralThreadsAndTasksAtOnceAreAllAnsweredOnce() async throws {
        let client = HTTPClient()
        try await withTestServer(Self.echoRouter()) { port in
            let answers = Answers()
            let threads = 4, perThread = 25, tasks = 50
            let expected = threads * perThread + tasks
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                let record: @Sendable (String, Outcome) -> Void = { name, outcome in
                    if answers.record(name, correct: Self.echoedBody(outcome) == "body=\(name)") == expected { done.resume() }
                }
                for thread in 0..<threads {
                    Self.onThread {
                        for index in 0..<perThread {
                            let name = "t\(thread)-\(index)"
                            client.execute(.init(method: "POST", url: "http://127.0.0.1:\(port)/echo", body: Array(name.utf8))) {
                                record(name, $0)
                            }
                        }
                    }
                }
                for index in 0..<tasks {
                    Task {
                        let name = "a\(index)"
                        let outcome: Outcome
                        do throws(HTTPClientError) {
                            outcome = .success(try await client.execute(.init(method: "POST", url: "http://127.0.0.1:\(port)/echo", body: Array(name.utf8))))
                        } catch {
                            outcome = .failure(error)
                        }
                        record(name, outcome)
                    }
                }
            }
            let counts = answers.counts.withLock { $0 }
            #expect(counts.count == expected)
            #expect(counts.values.allSatisfy { $0 == 1 })
        }
        await client.shutdown()
    }

    @Test func aCompletionCanSendTheNextRequest() async throws {
        let client = HTTPClient()
        try await withTestServer(Self.echoRouter()) { port in
            // The gateway's retry on another instance does this, from whichever thread completed the first attempt.
            let second: Outcome = await withCheckedContinuation { continuation in
                Self.onThread {
                    client.execute(.init(url: "http://127.0.0.1:1/")) { first in
                        guard case .failure(let error) = first, error.code == .connectFailed else {
                            return continuation.resume(returning: first)
                        }
                        client.execute(.init(method: "POST", url: "http://127.0.0.1:\(port)/echo", body: Array("second".utf8))) {
                            continuation.resume(returning: $0)
                        }
                    }
                }
            }
            #expect(Self.echoedBody(second) == "body=second")
        }
        await client.shutdown()
    }

    @Test func aTimeoutStartedFromAThreadFiresWhileTheClientIsOtherwiseIdle() async throws {
        // The client's thread sleeps without a timer while nothing is in flight: the new transfer's timer must reach it.
        let client = HTTPClient()
        try await withTestServer(Self.echoRouter()) { port in
            let started = ContinuousClock.now
            let outcome = await Self.executeFromThread(client, .init(url: "http://127.0.0.1:\(port)/slow", timeout: .milliseconds(300)))
            guard case .failure(let error) = outcome else {
                Issue.record("a 30 s answer came within the timeout")
                return
            }
            #expect(error.code == .timeout)
            #expect(ContinuousClock.now - started < .seconds(5))
        }
        await client.shutdown()
    }

    @Test func shutdownFailsTransfersInFlightFromThreadsAndTasks() async throws {
        let client = HTTPClient()
        try await withTestServer(Self.echoRouter()) { port in
            let request = HTTPClient.Request(url: "http://127.0.0.1:\(port)/slow")
            async let fromThreads = withTaskGroup(of: Outcome.self) { group in
                for _ in 0..<3 { group.addTask { await Self.executeFromThread(client, request) } }
                return await group.reduce(into: []) { $0.append($1) }
            }
            async let fromTask: Outcome = {
                do throws(HTTPClientError) { return .success(try await client.execute(request)) } catch { return .failure(error) }
            }()
            try await Task.sleep(for: .milliseconds(300))
            await client.shutdown()
            for outcome in await fromThreads + [fromTask] {
                guard case .failure(let error) = outcome else {
                    Issue.record("a transfer in flight at shutdown succeeded")
                    continue
                }
                #expect(error.code == .shutdown)
            }
            let after = await Self.executeFromThread(client, request)
            guard case .failure(let error) = after else {
                Issue.record("a request after shutdown succeeded")
                return
            }
            #expect(error.code == .shutdown)
        }
    }
}
