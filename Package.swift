// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Bookshelf",
    platforms: [.macOS(.v14)],
    products: [
        // The kit: libraries another Swift package depends on. Each module name carries the kit's name, so
        // none collides with a module of the ecosystem (swift-kafka-client's `Kafka`, a `JSONSchema`).
        .library(name: "BookshelfJSON", targets: ["BookshelfJSON", "BookshelfJSONSchema"]),
        .library(name: "BookshelfContracts", targets: ["BookshelfContracts"]),
        .library(name: "BookshelfKafka", targets: ["BookshelfKafka"]),
        .library(name: "BookshelfHTTPClient", targets: ["BookshelfHTTPClient"]),
        .library(name: "BookshelfDiscovery", targets: ["BookshelfDiscovery"]),
        .library(name: "BookshelfServiceKit", targets: ["BookshelfServiceKit"]),
        // For a team's own tests, as Hummingbird ships HummingbirdTesting: an in-memory event log, an embedded
        // broker for the length of a test, and checks of examples, events and bodies against a contracts folder.
        .library(name: "BookshelfTesting", targets: ["BookshelfTesting"]),
        // The Bookshelf app, the kit's first user.
        .executable(name: "bookshelf", targets: ["bookshelf"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // Without the default traits: "FullFoundation" would link full Foundation and ICU into every
        // process (about 8 MiB resident each) for DateFormatter options no service uses, and
        // "ConfigurationSupport" adds swift-configuration, which nothing here reads.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
    ],
    targets: [
        // C libraries from Debian's -dev packages, found by pkg-config.
        .systemLibrary(name: "CJansson", pkgConfig: "jansson", providers: [.apt(["libjansson-dev"])]),
        .systemLibrary(name: "CRdKafka", pkgConfig: "rdkafka", providers: [.apt(["librdkafka-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        // glibc's malloc tuning (mallopt), which Swift's Glibc module leaves out: the executable's choice, no library's.
        .systemLibrary(name: "CMalloc"),

        // Where short-lived jansson documents are allocated: C, because its allocator is installed before
        // main and keeps per-thread state, which must each exist once in the process.
        .target(name: "CJanssonArena", dependencies: ["CJansson"]),

        // JSON and JSON Schema.
        .target(name: "BookshelfJSON", dependencies: ["CJansson", "CJanssonArena"]),
        .target(name: "BookshelfJSONSchema", dependencies: ["BookshelfJSON", "CJansson"]),
        .target(name: "BookshelfContracts", dependencies: ["BookshelfJSON", "CJansson", "BookshelfJSONSchema"]),

        // Transport and discovery.
        .target(name: "BookshelfKafka", dependencies: [
            "CRdKafka",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .target(name: "BookshelfHTTPClient", dependencies: [
            "CCurl",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "BookshelfDiscovery", dependencies: [
            "BookshelfHTTPClient", "BookshelfJSON",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),

        // The Bookshelf app's table of services (names, ports, tags), which its services, the stack and the
        // gateway read.
        .target(name: "BookshelfApp"),

        // What every service shares, then one module per service.
        .target(name: "BookshelfServiceKit", dependencies: [
            "BookshelfJSON", "CJansson", "BookshelfContracts", "BookshelfKafka", "BookshelfDiscovery", "BookshelfHTTPClient",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
        ]),
        .target(name: "BookshelfTesting", dependencies: [
            "BookshelfServiceKit", "BookshelfContracts", "BookshelfJSON", "BookshelfKafka",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // The Bookshelf app: its table of services (names, ports, tags), its domain (books and their events,
        // the names its contracts fix), then one module per service.
        .target(name: "BookshelfDomain", dependencies: ["BookshelfServiceKit", "BookshelfContracts", "BookshelfJSON"]),
        .target(name: "NewBook", dependencies: ["BookshelfApp", "BookshelfDomain", "BookshelfServiceKit", "BookshelfContracts", "BookshelfJSON"]),
        .target(name: "BookRead", dependencies: ["BookshelfApp", "BookshelfDomain", "BookshelfServiceKit", "BookshelfContracts", "BookshelfJSON"]),
        .target(name: "ListBooks", dependencies: ["BookshelfApp", "BookshelfDomain", "BookshelfServiceKit", "BookshelfContracts"]),
        .target(name: "LastRead", dependencies: ["BookshelfApp", "BookshelfDomain", "BookshelfServiceKit", "BookshelfContracts"]),
        .target(name: "Gateway", dependencies: ["BookshelfApp", "BookshelfServiceKit", "BookshelfHTTPClient", "BookshelfDiscovery", "BookshelfContracts", "BookshelfJSONSchema", "BookshelfJSON"]),
        .target(name: "Stack", dependencies: [
            "BookshelfApp",
            .product(name: "Logging", package: "swift-log"),
        ]),

        .executableTarget(name: "bookshelf", dependencies: [
            "BookshelfJSON", "BookshelfJSONSchema", "BookshelfContracts", "BookshelfKafka", "BookshelfDiscovery", "BookshelfHTTPClient", "BookshelfServiceKit",
            "CJansson", "BookshelfApp", "BookshelfDomain", "NewBook", "BookRead", "ListBooks", "LastRead", "Gateway", "Stack", "CMalloc",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ],
        linkerSettings: [
            // Release binaries: each idle service maps fewer pages of the executable. The toolchain's
            // static-stdlib arguments export every symbol (~22,000 dynamic symbols the loader reads and
            // hashes at start); nothing loads this executable as a library, so the export is dropped.
            // lld packs the 68,000 relative relocations of the position-independent executable into a
            // few kilobytes (DT_RELR, glibc 2.36+), where gold writes 1.6 MB the loader reads at start.
            .unsafeFlags(["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
                          "-Xlinker", "--no-export-dynamic"], .when(configuration: .release)),
        ]),

        // Benchmarks and the JSON Schema conformance runner, apart from the product (as swift-kafka-client and
        // Hummingbird keep theirs): an executable no product ships, built on the kit's modules so that it times
        // the code the services run. Declared here, not in a package of its own, so that no second copy of the
        // dependencies is built. Benchmarks/HummingbirdProxy, the gateway's peer, is a package of its own.
        .executableTarget(name: "bookshelf-bench", dependencies: [
            "BookshelfJSON", "BookshelfJSONSchema", "BookshelfContracts", "BookshelfKafka", "BookshelfServiceKit", "BookshelfDomain", "Gateway",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
        ], path: "Benchmarks/BookshelfBench",
        // Linked as the shipped executable is, with lld: the Makefile's release flags name a symbol-ordering
        // file, an option gold does not have.
        linkerSettings: [.unsafeFlags(["-use-ld=lld"], .when(configuration: .release))]),

        // Unit tests mirror Sources: Tests/Unit/<Module>.
        // CJansson: the reader's differential test compares it with jansson's own json_loadb.
        .testTarget(name: "BookshelfJSONTests", dependencies: ["BookshelfJSON", "CJansson", "CJanssonArena"], path: "Tests/Unit/BookshelfJSON"),
        .testTarget(name: "BookshelfJSONSchemaTests", dependencies: ["BookshelfJSONSchema", "BookshelfJSON"], path: "Tests/Unit/BookshelfJSONSchema"),
        .testTarget(name: "BookshelfContractsTests", dependencies: ["BookshelfContracts", "BookshelfJSONSchema", "BookshelfJSON"], path: "Tests/Unit/BookshelfContracts"),
        .testTarget(name: "BookshelfKafkaTests", dependencies: ["BookshelfKafka", "BookshelfTesting", "CRdKafka"], path: "Tests/Unit/BookshelfKafka"),
        // What the HTTP client, discovery and gateway tests share: a live server, sockets that misbehave.
        .target(name: "HTTPTestSupport", dependencies: [
            "BookshelfServiceKit",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
        ], path: "Tests/Support/HTTPTestSupport"),
        .testTarget(name: "BookshelfHTTPClientTests", dependencies: [
            "BookshelfHTTPClient", "HTTPTestSupport",
            .product(name: "Hummingbird", package: "hummingbird"),
        ], path: "Tests/Unit/BookshelfHTTPClient"),
        .testTarget(name: "BookshelfDiscoveryTests", dependencies: [
            "BookshelfDiscovery", "BookshelfHTTPClient", "HTTPTestSupport",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], path: "Tests/Unit/BookshelfDiscovery"),
        .testTarget(name: "BookshelfServiceKitTests", dependencies: [
            "BookshelfServiceKit", "BookshelfContracts", "BookshelfKafka", "BookshelfJSON",
            "BookshelfTesting",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
        ], path: "Tests/Unit/BookshelfServiceKit"),
        .testTarget(name: "BookshelfTestingTests", dependencies: [
            "BookshelfTesting", "BookshelfServiceKit", "BookshelfContracts", "BookshelfKafka",
        ], path: "Tests/Unit/BookshelfTesting"),
        .testTarget(name: "BookshelfDomainTests", dependencies: [
            "BookshelfDomain", "BookshelfServiceKit", "BookshelfContracts",
        ], path: "Tests/Unit/BookshelfDomain"),
        .testTarget(name: "ServicesTests", dependencies: [
            "BookshelfDomain", "NewBook", "BookRead", "ListBooks", "LastRead", "BookshelfContracts", "BookshelfJSON",
            "BookshelfTesting",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
        ], path: "Tests/Unit/Services"),
        .testTarget(name: "GatewayTests", dependencies: [
            "Gateway", "BookshelfServiceKit", "BookshelfDiscovery", "BookshelfHTTPClient", "BookshelfJSON", "HTTPTestSupport",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
        ], path: "Tests/Unit/Gateway"),
        .testTarget(name: "BookshelfBenchTests", dependencies: [
            "bookshelf-bench",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
        ], path: "Tests/Unit/BookshelfBench"),
        .testTarget(name: "ContractTests", dependencies: [
            "BookshelfContracts", "BookshelfJSONSchema", "BookshelfJSON", "BookshelfKafka", "BookshelfServiceKit", "BookshelfDomain", "NewBook", "BookRead", "ListBooks", "LastRead",
            "Gateway", "BookshelfDiscovery", "BookshelfHTTPClient",
            "BookshelfTesting",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], path: "Tests/Contract"),
        .testTarget(name: "StackTests", dependencies: [
            "Stack", "BookshelfApp",
            .product(name: "Logging", package: "swift-log"),
        ], path: "Tests/Unit/Stack"),
        .testTarget(name: "E2ETests", dependencies: [], path: "Tests/E2E"),
    ]
)
