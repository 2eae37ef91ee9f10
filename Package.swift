// swift-tools-version: 6.1
// Sluice: GitOps for Apache Flink jobs. The targets follow the flow in docs/ARCHITECTURE.md:
// Git commit -> SpecSet -> DesiredState -> Plan -> Verdicts -> Apply -> Status (SluicePipeline runs the stages in order).
import PackageDescription

let package = Package(
    name: "Sluice",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "sluice", targets: ["sluice"]),
        .executable(name: "sluice-runtime", targets: ["sluice-runtime"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.0"),
        // Without Hummingbird's default FullFoundation trait (only its URL-encoded forms use it, and Sluice
        // has none), Hummingbird imports FoundationEssentials alone: the runtime agent links no Foundation.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: ["ConfigurationSupport"]),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.20.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
    ],
    targets: [
        // System libraries, found with pkg-config; the providers name the Debian packages.
        .systemLibrary(name: "CGit2", pkgConfig: "libgit2", providers: [.apt(["libgit2-dev"])]),
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        // curl.h only (libcurl4-openssl-dev; scripts/install-deps.sh checks it with pkg-config). Not through
        // pkg-config here: its `-lcurl` would link libcurl at process start, which CCurlLoader avoids.
        .systemLibrary(name: "CCurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        // libcurl opened with dlopen on first use (glibc 2.34+ has dlopen in libc): a process that makes no
        // request maps neither libcurl nor its TLS libraries (docs/runtime.md, "Idle memory").
        .target(name: "CCurlLoader", dependencies: ["CCurl"]),
        // glibc's malloc.h (mallinfo2, malloc_trim), which Swift's Glibc module leaves out.
        .systemLibrary(name: "CMalloc"),
        // RE2 (libre2-dev) behind a small extern "C" shim: RE2 has only a C++ API.
        .target(name: "CRE2Shim", linkerSettings: [.linkedLibrary("re2")]),
        .target(name: "SluiceRegex", dependencies: ["CRE2Shim", "SluiceCore"]),

        .target(name: "SluiceCore"),
        .target(name: "SluiceYAML", dependencies: ["CYAML", "SluiceCore"]),
        .target(
            name: "SluiceGit",
            dependencies: [
                "CGit2", "SluiceCore", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        // The CRDs are compiled into the binary (C23 #embed), not a resource bundle: no Foundation `Bundle`
        // in the runtime agent's link, and no resource directory to install beside the binaries.
        .target(name: "CSluiceCRDs"),
        .target(
            name: "SluiceSpec",
            dependencies: ["SluiceYAML", "SluiceCore", "SluiceRegex", "CSluiceCRDs", .product(name: "Crypto", package: "swift-crypto")],
            exclude: ["CRDs"]
        ),
        .target(name: "SluiceCEL", dependencies: ["SluiceRegex"]),
        .target(name: "SluiceKubernetes", dependencies: ["SluiceYAML", "SluiceCore", "SluiceHTTP", .product(name: "Crypto", package: "swift-crypto")]),
        .target(
            name: "SluiceHTTP",
            dependencies: ["SluiceCore", "CCurl", "CCurlLoader", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // What Sluice's two Hummingbird servers (serve, runtime serve) share: answers, refusals, bearer tokens.
        .target(name: "SluiceHTTPServer", dependencies: ["SluiceCore", .product(name: "Hummingbird", package: "hummingbird")]),
        .target(name: "SluiceStatusClient", dependencies: ["SluiceCore", "SluiceHTTP"]),
        .target(
            name: "SluiceFlink",
            dependencies: ["SluiceHTTP", "SluiceCore", "SluiceYAML", "SluiceSpec", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "SluiceRuntime",
            dependencies: [
                "SluiceCore", "SluiceYAML", "SluiceHTTP", "SluiceFlink", "SluiceSpec", "SluiceHTTPServer",
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        // The flags `sluice runtime` and the `sluice-runtime` agent share (the one hands them to the other).
        .target(
            name: "SluiceRuntimeOptions",
            dependencies: ["SluiceCore", "SluiceRuntime", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .target(
            name: "SluiceSync",
            dependencies: [
                "SluiceSpec", "SluiceYAML", "SluiceCore", "SluiceFlink", "SluiceHTTP", "SluiceRuntime", "SluiceKubernetes",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "SluicePolicy", dependencies: ["SluiceCEL", "SluiceSpec", "SluiceYAML", "SluiceCore"]),
        // The flow itself, one function per stage: load, render, plan, verdicts, apply (and `check`'s review).
        .target(name: "SluicePipeline", dependencies: ["SluiceCore", "SluiceSpec", "SluiceSync", "SluicePolicy", "SluiceReport", "SluiceYAML"]),
        .target(
            name: "SluiceServer",
            dependencies: [
                "SluiceCore", "SluiceGit", "SluiceSpec", "SluiceSync", "SluicePipeline", "SluicePolicy", "SluiceReport", "SluiceKubernetes", "SluiceHTTP",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"), "SluiceHTTPServer", "SluiceStatusClient",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"), "CMalloc",
            ]
        ),
        .target(name: "SluiceReport", dependencies: ["SluicePolicy", "SluiceSync", "SluiceSpec", "SluiceYAML", "SluiceCore"]),
        .executableTarget(
            name: "sluice",
            dependencies: [
                "SluiceCore", "SluiceYAML", "SluiceGit", "SluiceSpec", "SluicePipeline", "SluiceSync", "SluiceReport",
                "SluiceRuntime", "SluiceRuntimeOptions", "SluiceServer", "SluiceStatusClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The runtime's agent for edge hosts: `sluice runtime serve` in a binary that links no Foundation (docs/runtime.md).
        .executableTarget(
            name: "sluice-runtime",
            dependencies: ["SluiceCore", "SluiceRuntime", "SluiceRuntimeOptions", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "sluice-bench",
            dependencies: [
                "SluiceCore", "SluiceYAML", "SluiceGit", "SluiceSpec", "SluiceCEL", "SluiceFlink", "SluiceSync", "SluiceTestSupport",
                "SluiceServer", "SluicePipeline", "SluiceHTTP", "CYAML",
            ],
            path: "Benchmarks/sluice-bench"
        ),

        .target(name: "SluiceTestSupport", dependencies: ["SluiceCore"], path: "Tests/SluiceTestSupport", exclude: ["kube-fake"]),
        .testTarget(name: "SluiceCoreTests", dependencies: ["SluiceCore"]),
        .testTarget(name: "SluiceYAMLTests", dependencies: ["SluiceYAML", "SluiceTestSupport"]),
        .testTarget(name: "SluiceGitTests", dependencies: ["SluiceGit", "SluiceTestSupport"]),
        .testTarget(
            name: "SluiceSpecTests",
            dependencies: ["SluiceSpec", "SluiceYAML", "SluiceGit", "SluiceTestSupport"]
        ),
        .testTarget(
            name: "SluiceKubernetesTests",
            dependencies: [
                "SluiceKubernetes", "SluiceTestSupport", "SluiceSync", "SluiceServer", "SluicePipeline", "SluiceSpec", "SluiceYAML", "SluiceCore", "SluiceHTTP",
                "SluiceFlink", .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "SluiceCELTests", dependencies: ["SluiceCEL", "SluiceRegex", "SluiceTestSupport"], resources: [.copy("Conformance")]),
        .testTarget(name: "SluicePipelineTests", dependencies: ["SluicePipeline", "SluiceSync", "SluiceSpec", "SluiceCore", "SluiceTestSupport"]),
        .testTarget(name: "SluicePolicyTests", dependencies: ["SluicePolicy", "SluiceSpec", "SluiceTestSupport"]),
        .testTarget(name: "SluiceSyncTests", dependencies: ["SluiceSync", "SluiceSpec", "SluiceYAML", "SluiceCore", "SluiceKubernetes"]),
        .testTarget(
            name: "SluiceRuntimeTests",
            dependencies: [
                "SluiceRuntime", "SluiceYAML", "SluiceTestSupport", "SluiceCore", "SluiceFlink", "SluiceHTTP", "SluiceServer", "SluiceSpec",
                "SluiceSync", "SluicePipeline",
            ]
        ),
        .testTarget(
            name: "SluiceServerTests",
            dependencies: [
                "SluiceServer", "SluicePipeline", "SluiceSync", "SluiceSpec", "SluiceCore", "SluiceYAML", "SluiceGit", "SluiceTestSupport",
                "SluiceFlink", "SluiceHTTP", "SluiceKubernetes", "SluiceRuntime", "SluiceStatusClient",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "SluiceHTTPTests", dependencies: ["SluiceHTTP", "SluiceTestSupport"]),
        .testTarget(
            name: "SluiceFlinkTests",
            dependencies: [
                "SluiceFlink", "SluiceSync", "SluiceSpec", "SluiceHTTP", "SluiceCore", "SluiceYAML", "SluiceTestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "SluiceReportTests",
            dependencies: ["SluiceReport", "SluicePolicy", "SluiceSync", "SluiceSpec", "SluiceYAML", "SluiceTestSupport"]
        ),
        .testTarget(
            name: "SluiceCLITests",
            dependencies: ["SluiceTestSupport", "SluiceYAML"],
            resources: [.copy("Golden")]
        ),
    ]
)
