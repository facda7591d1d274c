import ArgumentParser
import BookshelfJSON
import BookshelfContracts
import Hummingbird
import Logging

/// `bookshelf contracts registry --contracts DIR --port P`: the folder as a read-only Confluent
/// Schema Registry, until SIGINT or SIGTERM.
struct RegistryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "registry",
        abstract: "Serve a contracts folder as a read-only Confluent Schema Registry REST API.",
        discussion: """
            Subjects: each event type by its CloudEvents type (versions = its v<N> files), \
            bookshelf.events-value (the envelope, with references to the data schemas), and every other \
            schema by its path (rest.book, deadletter.headers). Ids are derived from the schemas' $ids, so \
            they stay the same across restarts. Writes answer 422 with Confluent's error shape: the folder \
            in git is the source of truth. See docs/contracts-tooling.md.
            """
    )

    @Option(name: .long, help: "The contracts folder. Default: $BOOKSHELF_CONTRACTS, else ./contracts or a parent's.")
    var contracts: String?

    @Option(name: .long, help: "The address to listen on.")
    var host: String = "127.0.0.1"

    @Option(name: .long, help: "The port to listen on (0: one the system picks, printed at start).")
    var port: Int = 8081

    func run() async throws {
        let api: SchemaRegistryAPI
        do {
            api = try SchemaRegistryAPI(registry: try ContractsLocation.load(flag: contracts, environmentVariable: ContractsLocation.bookshelfVariable))
        } catch {
            printError("bookshelf: \(error)")
            throw ExitCode(2)
        }
        var logger = Logger(label: "bookshelf.registry")
        logger.logLevel = .warning
        let router = Router()
        for method in [HTTPRequest.Method.get, .post, .put, .delete, .patch] {
            router.on("/**", method: method) { request, context -> Response in
                let body = try await request.body.collect(upTo: 4 << 20)
                var query: [String: String] = [:]
                for (name, value) in request.uri.queryParameters { query[String(name)] = String(value) }
                let answer = api.respond(method: request.method.rawValue, path: request.uri.path, query: query,
                                         body: Array(buffer: body))
                return Response(
                    status: HTTPResponse.Status(code: answer.status),
                    headers: [.contentType: "application/vnd.schemaregistry.v1+json"],
                    body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body.serializedBytes())))
            }
        }
        let application = Application(
            router: router, configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "bookshelf-registry"),
            onServerRunning: { channel in
                StandardStream.output.write("registry listening on \(host):\(channel.localAddress?.port ?? port)\n")
            },
            logger: logger)
        try await application.runService()
    }
}
