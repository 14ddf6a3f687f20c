// swift-tools-version:6.0
// A healthhost check plugin in its own package: the template to copy. It depends on
// healthhost for the HealthPluginSDK library and builds libhh-example.so, which a
// plugin folder picks up (hh-*.so, libhh-*.so).
//
// Outside this repository, depend on healthhost by URL instead of by path:
//   .package(url: "https://github.com/<you>/healthhost.git", from: "0.1.0")
// and build with the same Swift version as the host (see docs/plugins-swift.md: "Swift runtime").
// On the server install healthhost-swift-plugin-runtime beside healthhost.
import PackageDescription

let package = Package(
    name: "example-plugin",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "hh-example", type: .dynamic, targets: ["ExamplePlugin"])
    ],
    dependencies: [
        .package(name: "healthhost", path: "../..")
    ],
    targets: [
        .target(
            name: "ExamplePlugin",
            dependencies: [
                .product(name: "HealthPluginSDK", package: "healthhost"),
                // Only because its errors are FoundationEssentials `LocalizedError`s: with
                // it, a thrown error's `errorDescription` is the check's message.
                .product(name: "HealthPluginSDKFoundation", package: "healthhost"),
            ],
            // On a server with only the packages there is no toolchain: the Swift
            // libraries the host does not load itself (FoundationEssentials, from the
            // healthhost-swift-plugin-runtime package) are found here. After the
            // toolchain's own folder, so a build machine is unaffected.
            linkerSettings: [.unsafeFlags(["-Xlinker", "-rpath", "-Xlinker", "/usr/lib/healthhost/swift"])])
    ]
)
