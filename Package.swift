// swift-tools-version: 6.1
import PackageDescription

// Opine's targets follow one bundle's way through the system (docs/architecture.md tells it file by file):
//
//   OpineCore ──► OpineStore ──► OpineIntake ──┐
//       │             │                        ├──► OpineDaemon ──► opined
//       │             ├──────► OpineDelivery ──┤
//       │             └──────► OpineLifecycle ─┴──► opine
//       ├──► OpineConfiguration ──────────────────► opine (with OpineStore, OpineIntake and OpineLifecycle)
//       └──► OpinePack ───────────────────────────► opine
//
// OpineLifecycle (the purge's edge) is used by both OpineDaemon and opine; OpineIntake's checks also serve
// `opine validate`, and OpinePack (bundles from a study folder) serves `opine pack`.
//
// Each stage depends only on the stages before it. OpineCore decides (bundle format, DICOM headers and the study
// checks, workflow, notifications, delivery policy) and does no I/O beyond reading a secret file; OpineStore persists what Core decided; OpineIntake
// moves bytes from the drop directory into the store; OpineDelivery sends the outbox through libcurl; OpineDaemon runs
// both under systemd. The executables are thin shells.
let package = Package(
    name: "Opine",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "opined", targets: ["opined"]),
        .executable(name: "opine", targets: ["opine"]),
        .executable(name: "opine-upload", targets: ["opine-upload"]),
        .library(name: "OpineCore", targets: ["OpineCore"]),
        .library(name: "OpineStore", targets: ["OpineStore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", exact: "0.9.20"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", exact: "0.6.0"),
        // The upload service's HTTP server; its swift-configuration support is not used, so that trait is off.
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1", traits: []),
        // Hummingbird's own types (HTTP fields, byte buffers, socket addresses), named directly by the service.
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // libcurl's C API, with typed wrappers for its variadic calls (see Sources/CCurl/shim.h).
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        // Linux calls the Glibc module leaves out (see Sources/CLinux/shim.h); header-only, links nothing.
        .systemLibrary(name: "CLinux"),

        // 1. Decisions as values: the bundle format, DICOM headers and the study summary and checks, the workflow,
        //    notifications and delivery policy. No database, no network, no archive library.
        .target(
            name: "OpineCore",
            dependencies: ["CLinux", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // 1b. Reading `opine.toml` and its environment overrides into Core's `Configuration`.
        .target(
            name: "OpineConfiguration",
            dependencies: ["OpineCore", .product(name: "TOMLKit", package: "TOMLKit")]
        ),
        // 2. The SQLite store: records, migrations, and persisting what Core decided, atomically with its audit
        //    event and its outbox notifications.
        .target(
            name: "OpineStore",
            dependencies: [
                "OpineCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // 3. Intake: from the drop directory, through the checks and staging, into the store (or quarantine).
        .target(
            name: "OpineIntake",
            dependencies: [
                "OpineCore",
                "OpineStore",
                "CLinux",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ]
        ),
        // 4. Delivery: the outbox to every endpoint, signed, through libcurl's multi interface.
        .target(
            name: "OpineDelivery",
            dependencies: ["OpineCore", "OpineStore", "CCurl", .product(name: "Logging", package: "swift-log")]
        ),
        // 4b. The purge's edge: removes what the retention policy decided and the store tombstoned, for opined's
        //     daily purge and `opine purge` alike (so it links neither libcurl nor ZIPFoundation).
        .target(name: "OpineLifecycle", dependencies: ["OpineCore", "OpineStore"]),
        // 3b. Packing: a bundle from a study folder (an MRI CD) for `opine pack`, and later the upload service. It
        //     reads and writes files only: no GRDB, no libcurl.
        .target(
            name: "OpinePack",
            dependencies: [
                "OpineCore",
                "CLinux",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ]
        ),
        // 5. The daemon: intake and delivery under service lifecycle, sd_notify, watchdog, reload, logging.
        .target(
            name: "OpineDaemon",
            dependencies: [
                "OpineCore",
                "OpineConfiguration",
                "OpineStore",
                "OpineIntake",
                "OpineDelivery",
                "OpineLifecycle",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "opined",
            dependencies: ["OpineDaemon", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // The admin CLI reads and writes the store; `opine validate` runs intake's checks and `opine pack` makes
        // bundles, so it links ZIPFoundation (through OpineIntake and OpinePack), never libcurl.
        .executableTarget(
            name: "opine",
            dependencies: [
                "OpineCore",
                "OpineConfiguration",
                "OpineStore",
                "OpineIntake",
                "OpineLifecycle",
                "OpinePack",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // 6. The upload service: the patients' page, resumable (tus) uploads, bundles built with OpinePack and
        //    renamed into the drop directory, receipts, and status fed by opined's webhooks. Hummingbird; no GRDB,
        //    no libcurl, nothing of the store.
        .target(
            name: "OpineUpload",
            dependencies: [
                "OpineCore",
                "OpinePack",
                "CLinux",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // The page's script, style and templates, read at start from the source tree or the installed copy.
            exclude: ["Assets"]
        ),
        .executableTarget(
            name: "opine-upload",
            dependencies: [
                "OpineUpload",
                "OpineCore",
                "OpineConfiguration",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // libFuzzer entry point under `make fuzz`; an input-replay tool in ordinary builds.
        .executableTarget(name: "opine-fuzz", dependencies: ["OpineCore", "OpineIntake"]),

        // Fixtures both test targets share: one way to build a manifest, a PDF, a DICOM file, a bundle.
        .target(
            name: "OpineTestSupport",
            dependencies: [
                "OpineCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            path: "Tests/OpineTestSupport"
        ),
        .testTarget(
            name: "UnitTests",
            dependencies: [
                "OpineCore",
                "OpineConfiguration",
                "OpineStore",
                "OpineIntake",
                "OpineDelivery",
                "OpineDaemon",
                "OpineLifecycle",
                "OpinePack",
                "OpineTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "OpineCore",
                "OpineConfiguration",
                "OpineStore",
                "OpineTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            // Run from its source path by the tests, not bundled.
            exclude: ["Support/receiver.py"]
        ),
    ]
)
