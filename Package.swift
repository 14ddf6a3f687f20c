// swift-tools-version:6.0
// healthhost: a Swift health-check host that loads C-ABI check plugins.
import PackageDescription

/// Settings every Swift target shares (Swift 6 language mode comes with tools 6.0).
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "healthhost",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "healthhost", targets: ["healthhost"]),
        // The Swift plugin SDK: a check plugin in a few lines of safe Swift.
        .library(name: "HealthPluginSDK", targets: ["HealthPluginSDK"]),
        // Add to a Swift plugin whose errors are FoundationEssentials `LocalizedError`s.
        .library(name: "HealthPluginSDKFoundation", targets: ["HealthPluginSDKFoundation"]),
        // Bundled check plugins. In a folder, the host loads `hh-*.so` and `libhh-*.so`.
        .library(name: "hh-core", type: .dynamic, targets: ["CorePlugin"]),
        .library(name: "hh-system", type: .dynamic, targets: ["SystemPlugin"]),
        .library(name: "hh-nagios", type: .dynamic, targets: ["NagiosPlugin"]),
        .library(name: "hh-net", type: .dynamic, targets: ["NetPlugin"]),
        .library(name: "hh-redis", type: .dynamic, targets: ["RedisPlugin"]),
        .library(name: "hh-postgres", type: .dynamic, targets: ["PostgresPlugin"]),
        .library(name: "hh-mysql", type: .dynamic, targets: ["MySQLPlugin"]),
        // The Swift SDK test plugin (Tests/Fixtures/SDKTestPlugin), loaded by file path in the
        // tests; its name keeps it out of plugin folders (which load only hh-*.so, libhh-*.so).
        .library(name: "sdktest-plugin", type: .dynamic, targets: ["SDKTestPlugin"]),
    ],
    dependencies: [
        // HTTP/1.1 server (NIOHTTP1) and the thread pool that runs blocking plugin calls.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        // Logging API shared with every server-side Swift library.
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        // SIGTERM/SIGINT handling and graceful shutdown of long-running services.
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // The tracing API (Tracer, Span, context propagation); healthhost's own exporter
        // sends spans over OTLP/HTTP (see Sources/HealthTracing for why not swift-otel).
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        // W3C traceparent/tracestate parsing and ids.
        .package(url: "https://github.com/swift-otel/swift-w3c-trace-context.git", from: "1.0.0"),
    ],
    targets: [
        // The C ABI (include/healthhost_plugin.h), importable from Swift.
        .systemLibrary(name: "HealthPluginABI", path: "include"),
        // libffi, to call check functions with the C arguments their parameters declare.
        .systemLibrary(
            name: "CFFI", path: "Sources/CFFI", pkgConfig: "libffi", providers: [.apt(["libffi-dev"])]),
        // SHA-256 of plugin files from the system's Nettle (smaller at run time than
        // OpenSSL's libcrypto: see bench/README.md, idle RSS).
        .systemLibrary(
            name: "CNettle", path: "Sources/CNettle", pkgConfig: "nettle",
            providers: [.apt(["nettle-dev"])]),

        // prctl(PR_SET_PDEATHSIG) and closefrom for spawned plugin workers (not callable from Swift).
        .target(name: "CProcessSupport", path: "Sources/CProcessSupport"),
        // The Swift version a Swift plugin and the host must share (loader and SDK agree).
        .target(name: "HealthSwiftVersion", swiftSettings: strictSettings),
        // The one JSON writer: response bodies, environment dumps, plugin config.
        .target(name: "HealthJSON", swiftSettings: strictSettings),
        // The POSIX layer over the C library: spawning with clean descriptors and signals,
        // detached threads, per-thread shards, file paths and reads, this process's facts.
        .target(name: "HealthPOSIX", dependencies: ["CProcessSupport"], swiftSettings: strictSettings),
        // Check model, registry, check selection and the runner. No HTTP, no dlopen.
        .target(
            name: "HealthCore",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings),
        // Prometheus exposition of the engine's statistics and the request counters.
        .target(name: "HealthMetrics", dependencies: ["HealthCore", "HealthPOSIX"], swiftSettings: strictSettings),
        // The OTLP/HTTP span exporter, written by hand: the protobuf encoding of spans,
        // batching, gzip (CZlib), http:// over NIO and https:// through libcurl (CCurlExport),
        // retries. Knows nothing of the tracing API: the tracer hands it spans through one
        // protocol (`SpanExporting`).
        .target(
            name: "HealthOTLP",
            dependencies: [
                // HealthPOSIX for the per-thread queue shards, HealthHTTP for the http:// client.
                "HealthCore", "HealthPOSIX", "HealthHTTP", "CZlib", "CCurlExport",
                .product(name: "W3CTraceContext", package: "swift-w3c-trace-context"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings),
        // Traces: the swift-distributed-tracing Tracer, sampling, server and check spans,
        // W3C context, the OTEL_* settings; spans go out through HealthOTLP.
        .target(
            name: "HealthTracing",
            dependencies: [
                // HealthHTTP for the collector's address (HTTPTarget) in the settings.
                "HealthCore", "HealthHTTP", "HealthOTLP",
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "W3CTraceContext", package: "swift-w3c-trace-context"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings),
        // libyaml, the reference YAML parser (what Yams embeds, without Foundation).
        .systemLibrary(
            name: "CYAML", path: "Sources/CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        // zlib, for gzip span exports (OTEL_EXPORTER_OTLP_COMPRESSION=gzip): the
        // compression every OTLP collector accepts.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // HTTPS span exports through libcurl, loaded with dlopen only when an https://
        // collector is configured (the headers at build time, nothing linked).
        // (dlopen is in glibc itself since 2.34.)
        .target(name: "CCurlExport", path: "Sources/CCurlExport"),
        // YAML text to a node tree with line and column marks, and a Decoder over it.
        .target(name: "HealthYAML", dependencies: ["CYAML"], swiftSettings: strictSettings),
        // The YAML configuration: model, strict decoding, errors with line numbers.
        .target(
            name: "HealthConfig",
            // HealthHTTP for the values the `http` section configures (request log policy).
            dependencies: ["HealthCore", "HealthPOSIX", "HealthJSON", "HealthHTTP", "HealthYAML"],
            swiftSettings: strictSettings),
        // Turns plugin files into checks: dlopen, ABI validation, calls into C.
        .target(
            name: "HealthPluginLoader",
            dependencies: [
                "HealthPluginABI", "HealthCore", "HealthPOSIX", "HealthJSON", "HealthSwiftVersion", "CNettle", "CFFI", "CProcessSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings),
        // A small HTTP/1.1 server on SwiftNIO. Knows nothing of checks or plugins.
        .target(
            name: "HealthHTTP",
            dependencies: [
                "HealthJSON",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings),
        // One request pipeline (auth, check selection, engine, render, metrics) and the
        // dialects as its routes, each configured by its own config section.
        .target(
            name: "HealthDialects",
            dependencies: [
                "HealthCore", "HealthConfig", "HealthHTTP", "HealthJSON", "HealthMetrics", "HealthTracing", "CNettle",
                .product(name: "Tracing", package: "swift-distributed-tracing"), .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: strictSettings),
        // Wiring: config + loader + registry + dialects + server. Used by the CLI and tests.
        .target(
            name: "HealthHostApp",
            dependencies: [
                "HealthCore", "HealthPOSIX", "HealthConfig", "HealthPluginLoader", "HealthHTTP", "HealthDialects", "HealthSwiftVersion",
                "HealthMetrics", "HealthTracing", .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                // SIGHUP, for the reload signal (part of swift-service-lifecycle).
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings),
        // The Swift plugin SDK. Depends on the C ABI, the shared Swift version and HealthJSON
        // (its config reader) only: plugins link nothing else of the host, and no Foundation.
        .target(name: "HealthPluginSDK", dependencies: ["HealthPluginABI", "HealthJSON", "HealthSwiftVersion"], swiftSettings: strictSettings),
        // LocalizedError messages for plugins that import FoundationEssentials anyway.
        .target(name: "HealthPluginSDKFoundation", dependencies: ["HealthPluginSDK"], swiftSettings: strictSettings),
        // The `healthhost` command.
        .executableTarget(
            name: "healthhost",
            dependencies: [
                "HealthHostApp", "HealthPluginLoader", "HealthPOSIX", "CProcessSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings),

        // bench/: the in-process cost of a plugin check call (run by bench/engine.sh).
        .executableTarget(
            name: "healthhost-bench", dependencies: ["HealthCore", "HealthPluginLoader", .product(name: "Logging", package: "swift-log")],
            path: "bench/Sources/healthhost-bench", swiftSettings: strictSettings),
        // bench/: what a traced request's server span costs, without HTTP around it.
        .executableTarget(
            name: "healthhost-span-bench",
            dependencies: ["HealthTracing", .product(name: "Logging", package: "swift-log")],
            path: "bench/Sources/healthhost-span-bench", swiftSettings: strictSettings),

        // Bundled check plugins (explicit paths: SwiftPM reserves Plugins/ for package plugins).
        .target(
            name: "CorePlugin", path: "Plugins/core",
            // Only the entry symbol is non-static, so it is the only export.
            cSettings: [.headerSearchPath("../../include")]),

        // The `nagios` plugin: any Nagios/Monitoring Plugins executable as a check.
        .target(name: "NagiosPlugin", path: "Plugins/nagios", cSettings: [.headerSearchPath("../../include")]),

        // The `net` plugin: tcp, http (libcurl), tls (OpenSSL). A plugin of its own, so a
        // host without libcurl still starts when it does not load it.
        .target(
            name: "NetPlugin", dependencies: ["PluginSupport"], path: "Plugins/net",
            cSettings: [.headerSearchPath("../../include")], linkerSettings: [.linkedLibrary("curl"), .linkedLibrary("resolv")]),
        // The `redis` plugin: RESP over a socket (see Plugins/redis/redis.c for why not hiredis).
        .target(
            name: "RedisPlugin", dependencies: ["PluginSupport"], path: "Plugins/redis",
            cSettings: [.headerSearchPath("../../include")]),
        // The `postgres` plugin (libpq). A plugin of its own: a host without libpq starts
        // as long as it does not load it.
        .systemLibrary(name: "CLibPQ", path: "Sources/CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .target(
            name: "PostgresPlugin", dependencies: ["CLibPQ", "PluginSupport"], path: "Plugins/postgres",
            cSettings: [.headerSearchPath("../../include")]),
        // The `mysql` plugin (MySQL and MariaDB through libmariadb).
        .systemLibrary(
            name: "CMariaDB", path: "Sources/CMariaDB", pkgConfig: "libmariadb", providers: [.apt(["libmariadb-dev"])]),
        .target(
            name: "MySQLPlugin", dependencies: ["CMariaDB", "PluginSupport"], path: "Plugins/mysql", cSettings: [.headerSearchPath("../../include")]),
        // What the bundled plugins share (static): connecting by a deadline and TLS over
        // it, state per configured check, secrets read from files.
        .target(
            name: "PluginSupport", path: "Plugins/support", cSettings: [.headerSearchPath("../../include")],
            linkerSettings: [.linkedLibrary("ssl"), .linkedLibrary("crypto")]),

        // The `system` plugin, written with the Swift SDK.
        .target(
            name: "SystemPlugin", dependencies: ["HealthPluginSDK"], path: "Plugins/system", swiftSettings: strictSettings),
        .target(
            name: "SDKTestPlugin", dependencies: ["HealthPluginSDK", "HealthPluginSDKFoundation"], path: "Tests/Fixtures/SDKTestPlugin",
            swiftSettings: strictSettings),

        .testTarget(
            name: "HealthHostTests",
            dependencies: [
                "HealthCore", "HealthPOSIX", "HealthConfig", "HealthPluginLoader", "HealthHTTP", "HealthDialects",
                "HealthHostApp", "HealthSwiftVersion", "HealthJSON", "HealthMetrics", "HealthTracing", "HealthOTLP", "HealthYAML",
                // Built so the CLI tests can run the real binary.
                "healthhost",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                // EmbeddedChannel: the connection handler driven with bytes and a manual clock.
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: strictSettings),
    ]
)
