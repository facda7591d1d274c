// swift-tools-version:6.1
import PackageDescription

// A second app on the Bookshelf kit: a reviews service in its own package, built only on the kit's library
// products (docs/getting-started.md walks through it). Another team would depend on the kit by URL:
// .package(url: "https://github.com/<owner>/bookshelf", from: "…").
let package = Package(
    name: "Reviews",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "reviews", targets: ["ReviewsCommand"]),
    ],
    dependencies: [
        .package(name: "Bookshelf", path: "../.."),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // Without the default traits, as the kit builds it (they would link full Foundation into the service).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
    ],
    targets: [
        // The service: its events, its projection and its routes; no process-wide set-up.
        .target(name: "Reviews", dependencies: [
            .product(name: "BookshelfServiceKit", package: "Bookshelf"),
            .product(name: "BookshelfContracts", package: "Bookshelf"),
            .product(name: "BookshelfJSON", package: "Bookshelf"),
            .product(name: "Hummingbird", package: "hummingbird"),
        ]),
        // `reviews`: the kit's options, the Kafka wiring, then the service's routes.
        .executableTarget(name: "ReviewsCommand", dependencies: [
            "Reviews",
            .product(name: "BookshelfServiceKit", package: "Bookshelf"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "ReviewsTests", dependencies: [
            "Reviews",
            .product(name: "BookshelfServiceKit", package: "Bookshelf"),
            .product(name: "BookshelfContracts", package: "Bookshelf"),
            .product(name: "BookshelfJSON", package: "Bookshelf"),
            .product(name: "BookshelfKafka", package: "Bookshelf"),
            .product(name: "BookshelfTesting", package: "Bookshelf"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
        ]),
    ]
)
