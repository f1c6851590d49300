// swift-tools-version:6.1
import PackageDescription

/// Synod: Patterns of Distributed Systems in Swift.
/// Targets follow the design map (docs/architecture.md): pure protocol cores at the
/// bottom, drivers (the simulator, later the NIO runtime) above them, the CLI on top.
let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "Synod",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "SynodCore", targets: ["SynodCore"]),
        .library(name: "Raft", targets: ["Raft"]),
        .library(name: "Paxos", targets: ["Paxos"]),
        .library(name: "Simulation", targets: ["Simulation"]),
        .library(name: "Checker", targets: ["Checker"]),
        .library(name: "KV", targets: ["KV"]),
        .library(name: "Replication", targets: ["Replication"]),
        .library(name: "Lab", targets: ["Lab"]),
        .library(name: "Storage", targets: ["Storage"]),
        .library(name: "SynodServer", targets: ["SynodServer"]),
        .executable(name: "synod", targets: ["synod"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.1.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.1.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
    ],
    targets: [
        .target(name: "SynodCore", swiftSettings: strict),
        .target(name: "Raft", dependencies: ["SynodCore"], swiftSettings: strict),
        .target(name: "Paxos", dependencies: ["SynodCore"], swiftSettings: strict),
        .target(name: "KV", dependencies: ["SynodCore"], swiftSettings: strict),
        .target(name: "Storage", dependencies: ["SynodCore"], swiftSettings: strict),
        .target(name: "Replication", dependencies: ["SynodCore"], swiftSettings: strict),
        .target(name: "Checker", dependencies: ["SynodCore", "Raft"], swiftSettings: strict),
        .target(
            name: "Simulation",
            dependencies: [
                "SynodCore", "Raft", "Paxos", "Checker", "KV", "Storage", "Replication",
                .product(name: "HeapModule", package: "swift-collections"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "SynodServer",
            dependencies: [
                "SynodCore", "Raft", "KV", "Storage", "Replication",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "Lab",
            dependencies: [
                "SynodCore", "Raft", "Paxos", "Simulation", "Checker", "KV",
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "synod",
            dependencies: [
                "SynodCore", "Raft", "Paxos", "Simulation", "Checker", "Lab", "KV", "Storage", "Replication",
                "SynodServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "SynodCoreTests", dependencies: ["SynodCore"], swiftSettings: strict),
        .testTarget(name: "RaftTests", dependencies: ["Raft", "SynodCore"], swiftSettings: strict),
        .target(name: "SynodTestSupport", path: "Tests/SynodTestSupport", swiftSettings: strict),
        .testTarget(
            name: "StorageTests", dependencies: ["Storage", "SynodCore", "SynodTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "SynodServerTests",
            dependencies: [
                "SynodServer", "Raft", "KV", "SynodCore", "Checker", "Replication", "SynodTestSupport",
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict),
        .testTarget(name: "PaxosTests", dependencies: ["Paxos", "SynodCore"], swiftSettings: strict),
        .testTarget(
            name: "SingleDecreeTests",
            dependencies: ["Paxos", "Simulation", "Lab", "SynodCore", "SynodTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(name: "KVTests", dependencies: ["KV", "SynodCore"], swiftSettings: strict),
        .testTarget(
            name: "ReplicationTests", dependencies: ["Replication", "Raft", "KV", "SynodCore"], swiftSettings: strict),
        .testTarget(
            name: "CheckerTests", dependencies: ["Checker", "SynodCore", "SynodTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "LabTests", dependencies: ["Lab", "Simulation", "Raft", "Paxos", "SynodCore", "Checker"],
            swiftSettings: strict),
        .testTarget(
            name: "SimulationTests",
            dependencies: ["Simulation", "Checker", "Raft", "Paxos", "SynodCore", "KV", "SynodTestSupport"],
            swiftSettings: strict
        ),
    ]
)
