// swift-tools-version: 6.2
// sockfuzz: a scriptable TCP test client and fuzzer with an embedded echo server.
// The targets follow the layers: C shim -> syscalls -> reactor (event loop + backends)
// -> embedded server / client engine -> scenario language and runner -> one executable.
import PackageDescription

/// The hot paths (event loop, server, clients): specialise generics across modules, and leave
/// exclusivity to the compile-time checks in release builds (debug builds and tests keep the
/// dynamic checks). Both were found by profiling the server against a C reference.
let hotPath: [SwiftSetting] = [
    .unsafeFlags(["-cross-module-optimization", "-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "sockfuzz",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sockfuzz", targets: ["sockfuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        // What Glibc does not import on this toolchain: epoll, eventfd, accept4, the FD_* macros.
        .target(name: "CSockfuzz"),
        // The system liburing (liburing-dev) behind the io_uring echo server, with a small C face.
        .target(name: "CUring", linkerSettings: [.linkedLibrary("uring")]),
        // The words every layer shares, with no I/O: backend kinds, fault names, server settings
        // and their validation, typed stat keys, load pacing, and one parser for durations,
        // sizes, counts and rates (the language and the command line both read values with it).
        .target(name: "Vocabulary"),
        // Every syscall wrapped once: EINTR retried, EAGAIN as a value, errors naming call/errno/fd.
        .target(name: "Syscalls", dependencies: ["CSockfuzz"], swiftSettings: hotPath),
        // The single-threaded event loop and its busy / select / epoll backends.
        .target(name: "Reactor", dependencies: [
            "Vocabulary", "Syscalls", "CSockfuzz",
            .product(name: "HeapModule", package: "swift-collections"),
        ], swiftSettings: hotPath),
        // The echo server under test, on its own thread, in any backend.
        .target(name: "EmbeddedServer", dependencies: ["Vocabulary", "Reactor", "Syscalls", "CSockfuzz", "COpenSSL", "CUring"], swiftSettings: hotPath),
        // The system OpenSSL (libssl-dev) for the embedded server's TLS, with tiny wrappers of its macros.
        .systemLibrary(name: "COpenSSL", providers: [.apt(["libssl-dev"])]),
        // The impairment proxy: proxies with toxics on one event loop, and toxiproxy's HTTP API.
        .target(name: "Proxy", dependencies: [
            "Vocabulary", "Reactor", "Syscalls", "CSockfuzz", "Framing",
            .product(name: "DequeModule", package: "swift-collections"),
        ], swiftSettings: hotPath),
        // The client side: connection groups driven on one epoll loop, echo and pattern checks.
        .target(name: "ClientEngine", dependencies: [
            "Reactor", "Syscalls", "CSockfuzz", "Framing", "Vocabulary", "COpenSSL", "TLSClient",
            .product(name: "DequeModule", package: "swift-collections"),
            .product(name: "Histogram", package: "hdrhistogram-swift"),
        ], swiftSettings: hotPath),
        // A TLS client over the system OpenSSL: SSL_CTX from the client's settings, non-blocking
        // SSL_read/SSL_write. Shared by every client side (load, and the scenario engine).
        .target(name: "TLSClient", dependencies: ["Vocabulary", "Syscalls", "COpenSSL"], swiftSettings: hotPath),
        // Sustained load (closed and open loop) with verified echoes and latency percentiles.
        .target(name: "Load", dependencies: [
            "Vocabulary", "Results", "Reactor", "Syscalls", "CSockfuzz", "Framing", "TLSClient",
            .product(name: "Histogram", package: "hdrhistogram-swift"),
        ], swiftSettings: hotPath),
        // Incremental framing codecs (raw, line, delimiter, length prefix, RESP, HTTP/1 responses):
        // bytes in, in any fragmentation, whole frames out. No I/O.
        .target(name: "Framing", dependencies: [
            "Vocabulary",
            .product(name: "DequeModule", package: "swift-collections"),
        ], swiftSettings: hotPath),
        // Mutants of requests that know their framing (lengths that lie, repeated headers, edge
        // integers, injected delimiters) and byte havoc; every choice from a seed. No I/O.
        .target(name: "RequestMutation", dependencies: ["Framing", "Vocabulary"]),
        // Lexer, parser and checker of the scenario language; no I/O beyond reading included files.
        .target(name: "ScenarioLanguage", dependencies: ["Vocabulary", "Framing"]),
        // Executes scenarios against the embedded server or a target; results and reports.
        .target(name: "ScenarioRunner", dependencies: [
            "ScenarioLanguage", "ClientEngine", "EmbeddedServer", "Load", "Reactor", "Syscalls", "Framing", "Results", "TLSClient", "Vocabulary",
            "ProcessMonitor", "Proxy",
        ]),
        // Random programs checked against a model of an echo server, shrunk on failure.
        .target(name: "Fuzzing", dependencies: [
            "ScenarioRunner", "ScenarioLanguage", "EmbeddedServer", "Reactor", "Syscalls", "Framing",
            "TLSClient", "Vocabulary", "ProcessMonitor", "RequestMutation",
        ]),
        // The server under test as a process (`--spawn`): started in its own process group on a
        // free port, watched, restarted after a crash or hang, ended by its process group id.
        .target(name: "ProcessMonitor", dependencies: ["Syscalls", "CSockfuzz"]),
        // The benchmark harness of `sockfuzz bench`: servers as processes, measurements, and the
        // report as a table, JSON and an HTML page with SVG charts. Never prints.
        .target(name: "Bench", dependencies: ["Load", "Results", "Framing", "Syscalls", "CSockfuzz", "TLSClient"]),
        // zlib (zlib1g-dev), for HdrHistogram's compressed encoding.
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        // Results that merge across segments: HdrHistogram encodings and interval logs.
        .target(name: "Results", dependencies: [
            "CZlib", "Vocabulary",
            .product(name: "Histogram", package: "hdrhistogram-swift"),
        ]),
        // The shares of a segmented test (`load`, `run`, `fuzz --segment i/n --json`) added up, as
        // `sockfuzz merge` reports them: each share's verdict worked out again from its figures,
        // exact totals, percentiles from merged histograms, and the merged HTML pages. Not in
        // Results: it reads the shares' own types (Load, ScenarioRunner, Fuzzing), and Load
        // depends on Results. Never prints.
        .target(name: "Merging", dependencies: [
            "Results", "Load", "ScenarioRunner", "Fuzzing", "Bench", "Vocabulary",
            .product(name: "Histogram", package: "hdrhistogram-swift"),
        ]),
        // What `--metrics-listen` serves: the Prometheus text of a run's, a fuzz campaign's and the
        // proxies' figures, and the small HTTP endpoint scrapers read it from, on a thread of its
        // own. Not in Results, for the reason Merging is not: it reads those commands' own types.
        .target(name: "Metrics", dependencies: [
            "Results", "ScenarioRunner", "Fuzzing", "Proxy", "ClientEngine", "Reactor", "Syscalls",
            .product(name: "Histogram", package: "hdrhistogram-swift"),
        ]),
        // GNU readline (libreadline-dev) for the interactive console's line editing and history.
        .systemLibrary(name: "CReadline", providers: [.apt(["libreadline-dev"])]),
        .executableTarget(name: "sockfuzz", dependencies: [
            "Fuzzing", "Load", "Bench", "Merging", "Metrics", "ScenarioRunner", "Results", "Vocabulary",
            "EmbeddedServer", "ClientEngine", "Reactor", "Syscalls", "ScenarioLanguage", "Framing", "TLSClient", "ProcessMonitor", "RequestMutation",
            "Proxy",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            "CReadline",
        ]),
        // Helpers shared by the test targets (blocking loopback clients, condition waits).
        .target(name: "TestSupport", dependencies: ["Syscalls", "CSockfuzz", "COpenSSL", "CUring", "Vocabulary"], path: "Tests/TestSupport"),
        .testTarget(name: "ReactorTests", dependencies: ["Reactor", "Syscalls", "CSockfuzz", "TestSupport"]),
        .testTarget(name: "ProxyTests", dependencies: ["Proxy", "EmbeddedServer", "Reactor", "Syscalls", "Vocabulary", "Framing", "TestSupport"]),
        .testTarget(name: "EmbeddedServerTests", dependencies: ["EmbeddedServer", "Reactor", "Syscalls", "CSockfuzz", "TestSupport"]),
        .testTarget(name: "FuzzingTests", dependencies: [
            "Fuzzing", "ScenarioRunner", "ScenarioLanguage", "EmbeddedServer", "Reactor", "Syscalls", "TestSupport", "Load", "Framing",
            "ProcessMonitor",
        ]),
        .testTarget(name: "ScenarioRunnerTests", dependencies: [
            "ScenarioRunner", "ScenarioLanguage", "Reactor", "Syscalls", "TestSupport", "Framing", "ClientEngine", "Vocabulary",
            "TLSClient", "COpenSSL",
        ]),
        .testTarget(name: "LoadTests", dependencies: ["Load", "Results", "EmbeddedServer", "Reactor", "Syscalls", "TestSupport", "TLSClient", "Vocabulary"]),
        // Seeded mutants of the example scenarios, shared by the in-process and the executable property tests.
        .target(name: "ScenarioMutations", dependencies: ["ScenarioLanguage", "ClientEngine", "Vocabulary"], path: "Tests/ScenarioMutations"),
        .testTarget(name: "ScenarioLanguageTests", dependencies: ["ScenarioLanguage", "Vocabulary", "ScenarioMutations", "Framing", "TestSupport"]),
        .testTarget(name: "FramingTests", dependencies: ["Framing", "Vocabulary"]),
        .testTarget(name: "RequestMutationTests", dependencies: ["RequestMutation", "Framing", "Vocabulary", "ScenarioLanguage", "TestSupport"]),
        .testTarget(name: "ResultsTests", dependencies: [
            "Results", "TestSupport", .product(name: "Histogram", package: "hdrhistogram-swift"),
        ]),
        // Merging on synthetic shares: the shares checks, the sums, and every contradiction refused.
        .testTarget(name: "MergingTests", dependencies: [
            "Merging", "Load", "ScenarioRunner", "ScenarioLanguage", "Fuzzing", "Results", "Vocabulary",
            .product(name: "Histogram", package: "hdrhistogram-swift"),
        ]),
        // The bench report's JSON schema and HTML well-formedness, on synthetic data (no benchmarks);
        // the C reference programs built and run briefly against each other.
        .testTarget(name: "BenchTests", dependencies: ["Bench", "TestSupport", "COpenSSL"]),
        // The exporters' text from known figures, and the endpoint's HTTP handling over loopback.
        .testTarget(name: "MetricsTests", dependencies: [
            "Metrics", "ScenarioRunner", "Fuzzing", "Proxy", "ClientEngine", "Results", "Syscalls", "Vocabulary", "TestSupport",
            "EmbeddedServer",
        ]),
        // The interactive console, driven through a pseudo-terminal and through piped stdin.
        .testTarget(name: "ConsoleTests", dependencies: [
            "sockfuzz", "ScenarioLanguage", "TestSupport", "ScenarioMutations", "Results", "Merging", "Framing",
            .product(name: "Histogram", package: "hdrhistogram-swift"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)
