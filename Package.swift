// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Opine",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "opined", targets: ["opined"]),
        .executable(name: "opine", targets: ["opine"]),
        .library(name: "OpineKit", targets: ["OpineKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", exact: "0.9.20"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", exact: "0.6.0"),
    ],
    targets: [
        // libcurl's C API, with typed wrappers for its variadic calls (see Sources/CCurl/shim.h).
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        // Linux calls the Glibc module leaves out (see Sources/CLinux/shim.h).
        .systemLibrary(name: "CLinux"),
        .target(
            name: "OpineKit",
            dependencies: [
                "CCurl",
                "CLinux",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "opined",
            dependencies: [
                "OpineKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "opine",
            dependencies: [
                "OpineKit",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // libFuzzer entry point under `make fuzz`; an input-replay tool in ordinary builds.
        .executableTarget(name: "opine-fuzz", dependencies: ["OpineKit"]),
        .testTarget(
            name: "OpineKitTests",
            dependencies: [
                "OpineKit",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "OpineKit",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            // Run from its source path by the tests, not bundled.
            exclude: ["Support/receiver.py"]
        ),
    ]
)
