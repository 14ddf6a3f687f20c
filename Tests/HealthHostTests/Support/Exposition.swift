import Foundation
import Testing

/// What `promtool check metrics` says about `exposition` (empty when it has nothing to
/// say); a non-zero exit is a test failure.
func promtool(_ exposition: String) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/promtool")
    process.arguments = ["check", "metrics"]
    let input = ProcessLaunch.pipe()
    let output = ProcessLaunch.pipe()
    process.standardInput = input
    process.standardOutput = output
    process.standardError = output
    try ProcessLaunch.run(process)
    input.fileHandleForWriting.write(Data(exposition.utf8))
    try input.fileHandleForWriting.close()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "promtool: \(text)")
    return text
}

/// The value of the sample `series` (name and labels as exposed, e.g.
/// `healthhost_trace_spans_dropped_total{reason="queue_full"}`) in `exposition`.
func sample(_ series: String, in exposition: String) -> Double? {
    for line in exposition.split(separator: "\n") where line.hasPrefix(series + " ") {
        return Double(line.dropFirst(series.count + 1))
    }
    return nil
}
