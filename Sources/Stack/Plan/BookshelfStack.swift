import BookshelfApp

/// The embedded Bookshelf: `bookshelf broker`, then the two aggregates and the two views, then the
/// gateway with static upstreams, all children of one `bookshelf up`. With an external broker there is
/// no broker child: the services go straight to that cluster.
package struct BookshelfStack: Sendable {
    /// One service of the stack: the subcommand that runs it, its fixed port and its Consul name.
    package typealias Service = BookshelfService

    /// The app's table, in start order within the services stage.
    package static let services = BookshelfServices.upstreams
    package static let gateway = BookshelfServices.gateway
    package static let broker = "broker"
    /// What `bookshelf broker` prints on stdout once it accepts connections; the address follows.
    static let brokerAnnouncement = "broker listening on "

    /// The `bookshelf` executable the children run (normally this process's own).
    package let executable: String
    /// The address the services listen on and are probed and listed at.
    package let host: String
    /// Added to every fixed port, to run a second stack beside the first.
    package let portOffset: Int
    /// Restarts allowed per service within `restartWindow` before `up` gives up on it.
    package let restartLimit: Int
    let restartWindow: Duration
    package let readyTimeout: Duration
    /// `bootstrap.servers` of a cluster to use instead of the embedded broker; nil starts `bookshelf broker`.
    package let externalBroker: String?

    package init(
        executable: String,
        host: String = "127.0.0.1",
        portOffset: Int = 0,
        restartLimit: Int = 5,
        restartWindow: Duration = .seconds(60),
        readyTimeout: Duration = .seconds(60),
        externalBroker: String? = nil
    ) {
        self.executable = executable
        self.host = host
        self.portOffset = portOffset
        self.restartLimit = restartLimit
        self.restartWindow = restartWindow
        self.readyTimeout = readyTimeout
        self.externalBroker = externalBroker
    }

    package func port(of service: Service) -> Int { service.port + portOffset }

    package func url(of service: Service) -> String { "http://\(host):\(port(of: service))" }

    /// The broker is never restarted: its log lives in its memory, and a new, empty broker under
    /// services that remember offsets in the old one would be a different system. The services keep no
    /// state a replay of the log cannot rebuild, so they are restarted.
    package var plan: StackPlan {
        let executable = self.executable
        let broker = ChildSpec(name: Self.broker, readiness: .announces(prefix: Self.brokerAnnouncement), restart: .never) { _ in
            [executable, "broker"]
        }
        let restart = ChildSpec.RestartPolicy.onExit(limit: restartLimit, window: restartWindow)
        let externalBroker = self.externalBroker
        let services = Self.services.map { service in
            let port = self.port(of: service)
            return ChildSpec(name: service.subcommand, readiness: .http(host: host, port: port, path: "/health/ready"), restart: restart) { announced in
                [executable, service.subcommand, "--port", String(port), "--broker", externalBroker ?? announced[Self.broker] ?? ""]
            }
        }
        let upstreams = Self.services.flatMap { ["--upstream", "\($0.consulName)=\(url(of: $0))"] }
        let gatewayPort = port(of: Self.gateway)
        let gateway = ChildSpec(
            name: Self.gateway.subcommand, readiness: .http(host: host, port: gatewayPort, path: "/health/ready"), restart: restart
        ) { _ in
            [executable, Self.gateway.subcommand, "--port", String(gatewayPort)] + upstreams
        }
        let stages = externalBroker == nil ? [[broker], services, [gateway]] : [services, [gateway]]
        return StackPlan(stages: stages, readyTimeout: readyTimeout)
    }

    /// The state file's content for a running stack (docs/architecture.md, plus the pids by child name).
    package func state(of snapshot: StackSnapshot) -> StackState {
        StackState(
            gateway: url(of: Self.gateway),
            broker: externalBroker ?? snapshot[Self.broker]?.announced ?? "",
            services: Dictionary(uniqueKeysWithValues: Self.services.map { ($0.consulName, url(of: $0)) }),
            pids: Dictionary(uniqueKeysWithValues: snapshot.members.map { ($0.name, $0.pid) })
        )
    }

    /// The table `up` prints once everything is ready.
    package func table(of snapshot: StackSnapshot) -> String {
        var rows = [["NAME", "ADDRESS", "CONSUL NAME", "PID"]]
        if let broker = snapshot[Self.broker] {
            rows.append([Self.broker, broker.announced ?? "", "-", String(broker.pid)])
        } else if let externalBroker {
            rows.append([Self.broker, externalBroker, "-", "external"])
        }
        for service in Self.services + [Self.gateway] {
            guard let member = snapshot[service.subcommand] else { continue }
            rows.append([service.subcommand, url(of: service), service.consulName, String(member.pid)])
        }
        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            zip(row, widths).map { cell, width in cell + String(repeating: " ", count: width - cell.count) }
                .joined(separator: "  ")
                .trimmingTrailingSpaces()
        }.joined(separator: "\n")
    }
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        String(reversed().drop { $0 == " " }.reversed())
    }
}
