import ArgumentParser
import BookshelfApp
import FoundationEssentials
import Gateway
import Logging
import BookshelfServiceKit

struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: BookshelfServices.gateway.subcommand,
        abstract: "The public REST API on :\(BookshelfServices.gateway.port), checked against contracts/ and routed to the services.",
        discussion: ServiceOptions.environmentHelp(prefix: BookshelfServices.environmentPrefix)
    )

    @OptionGroup var options: ServiceOptions

    @Option(name: .customLong("upstream"), help: ArgumentHelp(
        "A service instance, NAME=URL (e.g. booklist=http://127.0.0.1:8084); repeat for more. Env BOOKSHELF_UPSTREAMS (comma-separated). Ignored with --consul.",
        valueName: "NAME=URL"
    ))
    var upstreams: [String] = []

    @Option(help: "Require Authorization: Bearer TOKEN on writes. Env BOOKSHELF_API_TOKEN. Default: none (writes open).")
    var apiToken: String?

    @Option(help: "Seconds an upstream may take to answer before the client gets 504. Env BOOKSHELF_UPSTREAM_TIMEOUT. Default 10.")
    var upstreamTimeout: Double?

    @Option(help: ArgumentHelp(
        "Folder of Swagger UI's dist (swagger-ui-bundle.js, swagger-ui.css) served for /apidocs/index.html. Env BOOKSHELF_SWAGGER_UI_DIR. Default: drf-spectacular-sidecar's swagger-ui-dist in a .venv of the working directory or a parent (make setup installs it), then \(SwaggerUIAssets.imageDirectory) (the Docker image's).",
        valueName: "DIR"
    ))
    var swaggerUIDir: String?

    func run() async throws {
        MallocTuning.keepFreedArenaTop()
        let settings = Settings.bookshelf
        let configuration = try options.resolve(defaults: GatewayService.defaults, environment: settings.environment)
        LogFormat.bootstrap(configuration.logFormat, level: configuration.logLevel)
        let logger = Logger(label: "bookshelf.gateway")
        let timeout = try settings.get(
            "UPSTREAM_TIMEOUT", flag: upstreamTimeout, named: "--upstream-timeout", expected: "a positive number of seconds",
            where: { $0 > 0 && $0.isFinite }
        ) ?? 10
        let assembly = try GatewayAssembly(
            configuration: configuration,
            upstreamFlags: upstreams,
            apiToken: settings.text("API_TOKEN", flag: apiToken),
            upstreamTimeout: .milliseconds(Int(timeout * 1000)),
            swaggerUI: SwaggerUIAssets.locate(flag: swaggerUIDir, settings: settings),
            settings: settings,
            logger: logger
        )
        logger.info("gateway listening", metadata: ["address": "\(configuration.host):\(configuration.port)"])
        do {
            try await ServiceHost.run(
                configuration: configuration, routes: assembly.routes.routes, dependencies: assembly.dependencies, logger: logger,
                handlersOnEventLoop: true, frontHandlers: assembly.frontHandlers
            )
        } catch {
            await assembly.client.shutdown()
            throw error
        }
        await assembly.client.shutdown()
    }
}
