// swift-tools-version:6.1
import PackageDescription

// The peer `make bench-gateway` sets beside nginx and Bookshelf's gateway: the same routes proxied the way a
// Swift team would build a gateway from the ecosystem's parts, Hummingbird 2 in front and AsyncHTTPClient to the
// services. A package of its own, so that `make test` and the product never build AsyncHTTPClient and its TLS.
let package = Package(
    name: "HummingbirdProxy",
    platforms: [.macOS(.v14)],
    dependencies: [
        // Pinned: the report names the versions it measured. No default traits, as in the root package.
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1", traits: []),
        .package(url: "https://github.com/swift-server/async-http-client", exact: "1.37.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
    ],
    targets: [
        .executableTarget(
            name: "hummingbird-proxy",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            path: "Sources/HummingbirdProxy"
        ),
    ]
)
