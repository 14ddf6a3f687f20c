// swift-tools-version:6.0
// The ceiling for healthhost's HTTP numbers on this machine: the smallest server SwiftNIO's
// NIOHTTP1 pipeline allows (configureHTTPServerPipeline + one handler answering "pong"),
// measured by bench/http.sh's ratio script in the same run as nginx. Not part of the
// product or of CI; build it with `swift build -c release --package-path bench/nio-baseline`.
import PackageDescription

let package = Package(
    name: "nio-baseline",
    dependencies: [.package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2")],
    targets: [
        .executableTarget(
            name: "nio-baseline",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ])
    ]
)
